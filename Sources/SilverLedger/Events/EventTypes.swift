/// The event types a store knows: how each stored (name, schema version)
/// decodes into a current Swift value, upcasting old versions on read.
///
/// ```swift
/// var types = EventTypes()
/// types.register(VisitLogged.self)                        // "VisitLogged" v2, the current shape
/// types.register(VisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
///     VisitLogged(cadre: old.cadre, kind: old.kind, channel: .inPerson)
/// }
/// ```
///
/// An event whose (name, version) is not registered is still read: it comes
/// back as a ``RecordedEvent`` whose ``RecordedEvent/decoded(with:)`` is nil, with
/// its raw payload, and is written back unchanged on export.
///
/// Each registration also gives the JSON form of its stored shape (see
/// ``EventJSON``): the payload of a version is written in JSON as the type
/// registered for that version, an old version in its old shape, never upcast.
public struct EventTypes: Sendable {
    struct Key: Hashable, Sendable {
        var name: String
        var version: Int
    }

    struct Entry: Sendable {
        /// Decodes the binary payload into the current type (upcasting if the entry is an old version).
        var decodeBinary: @Sendable (UnsafeRawBufferPointer) throws -> any Event
        /// The type the entry decodes to.
        var currentType: any Event.Type
        /// The Swift type of the stored shape: the registered type of this version (the old type for an old version).
        var storedType: any (Codable & Sendable).Type
        /// The binary payload as the JSON of the stored shape (not upcast). Throws if the
        /// bytes do not decode as the stored shape, if the value has no JSON form (a NaN,
        /// an infinity), or if that JSON would not give back exactly these bytes.
        var binaryToJSON: @Sendable ([UInt8]) throws -> [UInt8]
        /// Reads the stored shape from a JSON decoder positioned at the payload and
        /// returns it in the binary codec.
        var jsonToBinary: @Sendable (any Decoder) throws -> [UInt8]
        /// Checks that a binary payload decodes as the stored shape.
        var checkBinary: @Sendable ([UInt8]) throws -> Void
    }

    var entries: [Key: Entry] = [:]
    /// The current version of each registered name.
    var current: [String: any Event.Type] = [:]

    /// No types registered.
    public init() {}

    /// Registers the current shape of an event under its ``Event/eventType`` and ``Event/schemaVersion``.
    ///
    /// An event that is ``BinaryCodable`` is read with its own reader; the
    /// others through `Codable`.
    public mutating func register<E: Event>(_ type: E.Type) {
        let decode: @Sendable (UnsafeRawBufferPointer) throws -> any Event
        if let fast = E.self as? any (BinaryCodable & Event).Type {
            decode = EventTypes.fastDecoder(fast)
        } else {
            decode = { try BinaryDecoder().decode(E.self, from: $0) }
        }
        entries[Key(name: E.eventType, version: E.schemaVersion)] = EventTypes.entry(stored: E.self, current: E.self, decodeBinary: decode)
        current[E.eventType] = E.self
    }

    /// Decodes with the type's own reader; when that fails, decodes again
    /// through `Codable`, whose error names the field at fault.
    private static func fastDecoder<F: BinaryCodable & Event>(_: F.Type) -> @Sendable (UnsafeRawBufferPointer) throws -> any Event {
        { bytes in
            do {
                return try BinaryReader.decode(F.self, from: bytes)
            } catch {
                _ = try BinaryDecoder().decode(F.self, from: bytes)
                throw error   // the two forms disagree: report the fast reader's error
            }
        }
    }

    /// Registers an old shape stored as (`name`, `version`) and how to turn it into the current event.
    ///
    /// The old shape must be `Codable`: reading upcasts it, but the JSON form
    /// (``EventJSON``) writes and reads an old version in its own shape.
    public mutating func register<Old: Codable & Sendable, New: Event>(
        _ old: Old.Type, as name: String, version: Int, upcast: @escaping @Sendable (Old) throws -> New
    ) {
        precondition(name == New.eventType, "an upcaster turns \(name) into \(New.eventType): names must match")
        precondition(version != New.schemaVersion, "version \(version) of \(name) is the current one; register it with register(_:)")
        entries[Key(name: name, version: version)] = EventTypes.entry(
            stored: Old.self, current: New.self, decodeBinary: { try upcast(BinaryDecoder().decode(Old.self, from: $0)) })
    }

    /// Whether a stored (name, version) can be decoded.
    public func knows(_ name: String, version: Int) -> Bool {
        entries[Key(name: name, version: version)] != nil
    }

    /// Whether events stored as (`name`, `version`) are read as `E` itself:
    /// `E` was registered with ``register(_:)`` under that name and version,
    /// and they are not an old version upcast into it.
    public func reads<E: Event>(_ name: String, version: Int, as type: E.Type) -> Bool {
        guard let entry = entries[Key(name: name, version: version)] else { return false }
        return ObjectIdentifier(entry.storedType) == ObjectIdentifier(E.self) && ObjectIdentifier(entry.currentType) == ObjectIdentifier(E.self)
    }

    /// The registered names, sorted.
    public var names: [String] { current.keys.sorted() }

    /// Decodes a stored payload; nil if the (name, version) is not registered.
    func decode(name: String, version: Int, payload: UnsafeRawBufferPointer) throws -> (any Event)? {
        guard let entry = entries[Key(name: name, version: version)] else { return nil }
        return try entry.decodeBinary(payload)
    }

    /// Decodes the payloads of many events, remembering the decoder of each
    /// type seen by the slot of its name in the ``EnvelopeDecoder`` that read
    /// the events: a lookup by name would hash the name and copy the entry's
    /// closures for every event.
    struct PayloadDecoder {
        typealias Decode = @Sendable (UnsafeRawBufferPointer) throws -> any Event
        private struct Remembered {
            var name: String
            var version: Int
            var decode: Decode?
        }
        let types: EventTypes
        private var slots: [Remembered?] = Array(repeating: nil, count: TypeNames.capacity)

        init(_ types: EventTypes) { self.types = types }

        /// The payload of `event` decoded, or nil if its (type, version) is not
        /// registered. `slot`: the slot of its type name (``EnvelopeDecoder/typeSlot``).
        mutating func decode(_ event: RecordedEvent, slot: Int) throws -> (any Event)? {
            // The name held for a slot is the very string the event has (no
            // comparison of bytes), unless the slot was given to another name since.
            if let r = slots[slot], r.version == event.schemaVersion, r.name == event.eventType {
                guard let decode = r.decode else { return nil }
                return try event.withPayloadBytes(decode)
            }
            let decode = types.entry(name: event.eventType, version: event.schemaVersion)?.decodeBinary
            slots[slot] = Remembered(name: event.eventType, version: event.schemaVersion, decode: decode)
            guard let decode else { return nil }
            return try event.withPayloadBytes(decode)
        }
    }

    /// The registration of a stored (name, version), if any.
    func entry(name: String, version: Int) -> Entry? {
        entries[Key(name: name, version: version)]
    }

    /// An entry whose stored shape is `Stored`.
    private static func entry<Stored: Codable & Sendable>(
        stored: Stored.Type, current: any Event.Type,
        decodeBinary: @escaping @Sendable (UnsafeRawBufferPointer) throws -> any Event
    ) -> Entry {
        let json = EventJSON.payloadCoding(Stored.self)
        return Entry(decodeBinary: decodeBinary, currentType: current, storedType: Stored.self,
                     binaryToJSON: json.binaryToJSON, jsonToBinary: json.jsonToBinary, checkBinary: json.checkBinary)
    }
}
