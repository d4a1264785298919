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
///
/// An event read from the store keeps the bytes of its record (a slice of
/// the batch it was read with) and builds its stream id and metadata strings
/// from them when they are asked for: a replay that reads only types, dates
/// and payloads builds none of them, and copying an event costs three
/// reference counts, not eight.
public struct RecordedEvent: Sendable {
    /// Its position in the whole log (from 0).
    public var position: UInt64
    /// Its version within the stream (from 0).
    public var streamVersion: UInt64
    /// The stable name of its type.
    public var eventType: String
    /// The schema version it was written with.
    public var schemaVersion: Int
    /// When it was recorded: microseconds since 1970-01-01 UTC (the log's timestamp).
    public var recordedAt: Int64
    /// The business date the event is about (also ``metadata``'s).
    public var businessDate: LedgerDate

    /// The record's bytes: the envelope (docs/EVENTS.md) then the payload from
    /// `payloadOffset`; for an event built with an initialiser, only the payload.
    private var record: ArraySlice<UInt8>
    private var payloadOffset: UInt32
    /// The stream id and metadata strings when they were given (an initialiser
    /// or a setter), not read from `record`.
    private var given: Strings?

    /// The strings of an event that are not kept as its record's bytes.
    private final class Strings: Sendable {
        let streamID: String
        let metadata: EventMetadata

        init(streamID: String, metadata: EventMetadata) {
            self.streamID = streamID
            self.metadata = metadata
        }
    }

    /// The stream it belongs to, e.g. `cadre-000017`.
    public var streamID: String {
        get {
            if let given { return given.streamID }
            return withRecordHead { EnvelopeCodec.Head(validated: $0).string($0, \.stream) }
        }
        set { given = Strings(streamID: newValue, metadata: metadata) }
    }

    /// Business date, operator, command and correlation ids.
    public var metadata: EventMetadata {
        get {
            if let given {
                var metadata = given.metadata
                metadata.businessDate = businessDate
                return metadata
            }
            return withRecordHead { b in
                let head = EnvelopeCodec.Head(validated: b)
                return EventMetadata(businessDate: businessDate, recordedBy: head.string(b, \.recordedBy),
                                     commandID: head.string(b, \.commandID),
                                     correlationID: head.correlationID.map { head.string(b, $0) },
                                     causationID: head.causationID.map { head.string(b, $0) })
            }
        }
        set {
            given = Strings(streamID: streamID, metadata: newValue)
            businessDate = newValue.businessDate
        }
    }

    /// The id of the command that produced it (``metadata``'s, without building the rest).
    var commandID: String {
        if let given { return given.metadata.commandID }
        return withRecordHead { EnvelopeCodec.Head(validated: $0).string($0, \.commandID) }
    }

    /// Calls `body` with the UTF-8 bytes of the stream id and of the command
    /// id, without building strings (the envelope is read once for both).
    func withIDBytes<R>(_ body: (_ stream: UnsafeRawBufferPointer, _ command: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let given {
            var stream = given.streamID, command = given.metadata.commandID
            return try stream.withUTF8 { s in try command.withUTF8 { c in try body(UnsafeRawBufferPointer(s), UnsafeRawBufferPointer(c)) } }
        }
        return try withRecordHead { b in
            let head = EnvelopeCodec.Head(validated: b)
            return try body(UnsafeRawBufferPointer(rebasing: b[head.stream]), UnsafeRawBufferPointer(rebasing: b[head.commandID]))
        }
    }

    /// The payload in the binary codec (a copy; ``withPayloadBytes(_:)`` reads it in place).
    public var payload: [UInt8] {
        get { Array(payloadSlice) }
        set { payloadSlice = newValue[...] }
    }

    /// The payload's bytes, usually a slice of the batch they were read with.
    var payloadSlice: ArraySlice<UInt8> {
        get { record[(record.startIndex + Int(payloadOffset))...] }
        set {
            if given == nil { given = Strings(streamID: streamID, metadata: metadata) }
            record = newValue
            payloadOffset = 0
        }
    }

    /// Creates a recorded event.
    public init(position: UInt64, streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
                recordedAt: Int64, metadata: EventMetadata, payload: [UInt8]) {
        self.init(position: position, streamID: streamID, streamVersion: streamVersion, eventType: eventType,
                  schemaVersion: schemaVersion, recordedAt: recordedAt, metadata: metadata, payloadSlice: payload[...])
    }

    init(position: UInt64, streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
         recordedAt: Int64, metadata: EventMetadata, payloadSlice: ArraySlice<UInt8>) {
        self.position = position
        self.streamVersion = streamVersion
        self.eventType = eventType
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.businessDate = metadata.businessDate
        self.record = payloadSlice
        self.payloadOffset = 0
        self.given = Strings(streamID: streamID, metadata: metadata)
    }

    /// An event read from the log: `record` is its whole record, whose envelope
    /// the caller has checked (``EnvelopeDecoder``), the payload from `payloadOffset`.
    init(position: UInt64, streamVersion: UInt64, eventType: String, schemaVersion: Int, recordedAt: Int64,
         businessDate: LedgerDate, record: ArraySlice<UInt8>, payloadOffset: Int) {
        self.position = position
        self.streamVersion = streamVersion
        self.eventType = eventType
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.businessDate = businessDate
        self.record = record
        self.payloadOffset = UInt32(payloadOffset)
        self.given = nil
    }

    private func withRecordHead<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try record.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(payloadOffset)])) }
    }

    /// Calls `body` with the payload's bytes, without copying them.
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try record.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Int(payloadOffset)...])) }
    }

    /// The payload as the current Swift value of its type, upcast if it is an
    /// old version; nil if `types` does not know its (name, version).
    public func decoded(with types: EventTypes) throws -> (any Event)? {
        try withPayloadBytes { try types.decode(name: eventType, version: schemaVersion, payload: $0) }
    }

    /// The payload as an `E`, upcast if need be; nil if the event is of another type.
    public func decoded<E: Event>(as type: E.Type, with types: EventTypes) throws -> E? {
        guard eventType == E.eventType else { return nil }
        return try decoded(with: types) as? E
    }
}

extension RecordedEvent: Hashable {
    /// Equal when every field is: position, stream, version, type, schema
    /// version, time, metadata and payload bytes (however each is kept).
    public static func == (a: RecordedEvent, b: RecordedEvent) -> Bool {
        a.position == b.position && a.streamVersion == b.streamVersion && a.eventType == b.eventType
            && a.schemaVersion == b.schemaVersion && a.recordedAt == b.recordedAt && a.businessDate == b.businessDate
            && a.streamID == b.streamID && a.metadata == b.metadata && a.payloadSlice.elementsEqual(b.payloadSlice)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(position)
        hasher.combine(streamID)
        hasher.combine(streamVersion)
        hasher.combine(eventType)
        hasher.combine(schemaVersion)
        hasher.combine(recordedAt)
        hasher.combine(metadata)
        withPayloadBytes { hasher.combine(bytes: $0) }
    }
}
