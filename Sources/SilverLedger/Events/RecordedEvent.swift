/// Who recorded an event, for which command, and what it is about: the
/// metadata every event carries besides its payload.
public struct EventMetadata: Hashable, Sendable, Codable {
    /// The business date the event is about (not when it was recorded).
    public var businessDate: LedgerDate
    /// Who recorded it (an operator's id).
    public var recordedBy: String
    /// The id of the command that produced it; the same command sent twice is recorded once.
    public var commandID: String
    /// Groups the events of one larger piece of work, if given.
    public var correlationID: String?
    /// The event or command that caused this one, if given.
    public var causationID: String?

    /// Metadata for the events of one command.
    public init(businessDate: LedgerDate, recordedBy: String, commandID: String, correlationID: String? = nil, causationID: String? = nil) {
        self.businessDate = businessDate
        self.recordedBy = recordedBy
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
    }
}

/// An event as the store keeps it: where it is, which stream and version,
/// its type name and schema version, when it was recorded, its metadata and
/// its payload (in the binary codec), decoded on demand.
public struct RecordedEvent: Hashable, Sendable {
    /// Its position in the whole log (from 0).
    public var position: UInt64
    /// The stream it belongs to, e.g. `cadre-000017`.
    public var streamID: String
    /// Its version within the stream (from 0).
    public var streamVersion: UInt64
    /// The stable name of its type.
    public var eventType: String
    /// The schema version it was written with.
    public var schemaVersion: Int
    /// When it was recorded: microseconds since 1970-01-01 UTC (the log's timestamp).
    public var recordedAt: Int64
    /// Business date, operator, command and correlation ids.
    public var metadata: EventMetadata
    /// The payload in the binary codec (a copy; ``withPayloadBytes(_:)`` reads it in place).
    public var payload: [UInt8] {
        get { Array(payloadSlice) }
        set { payloadSlice = newValue[...] }
    }
    /// The payload's bytes, usually a slice of the batch they were read with.
    var payloadSlice: ArraySlice<UInt8>

    /// Creates a recorded event.
    public init(position: UInt64, streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
                recordedAt: Int64, metadata: EventMetadata, payload: [UInt8]) {
        self.position = position
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.eventType = eventType
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.metadata = metadata
        self.payloadSlice = payload[...]
    }

    init(position: UInt64, streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
         recordedAt: Int64, metadata: EventMetadata, payloadSlice: ArraySlice<UInt8>) {
        self.position = position
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.eventType = eventType
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.metadata = metadata
        self.payloadSlice = payloadSlice
    }

    /// Calls `body` with the payload's bytes, without copying them.
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try payloadSlice.withUnsafeBytes(body)
    }

    /// The payload as the current Swift value of its type, upcast if it is an
    /// old version; nil if `types` does not know its (name, version).
    public func decoded(with types: EventTypes) throws -> (any Event)? {
        try payloadSlice.withUnsafeBytes { try types.decode(name: eventType, version: schemaVersion, payload: $0) }
    }

    /// The payload as an `E`, upcast if need be; nil if the event is of another type.
    public func decoded<E: Event>(as type: E.Type, with types: EventTypes) throws -> E? {
        guard eventType == E.eventType else { return nil }
        return try decoded(with: types) as? E
    }
}
