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
/// back as a ``RecordedEvent`` whose ``RecordedEvent/decoded`` is nil, with
/// its raw payload, and is written back unchanged on export.
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
    }

    var entries: [Key: Entry] = [:]
    /// The current version of each registered name.
    var current: [String: any Event.Type] = [:]

    /// No types registered.
    public init() {}

    /// Registers the current shape of an event under its ``Event/eventType`` and ``Event/schemaVersion``.
    public mutating func register<E: Event>(_ type: E.Type) {
        entries[Key(name: E.eventType, version: E.schemaVersion)] = Entry(
            decodeBinary: { try BinaryDecoder().decode(E.self, from: $0) },
            currentType: E.self)
        current[E.eventType] = E.self
    }

    /// Registers an old shape stored as (`name`, `version`) and how to turn it into the current event.
    public mutating func register<Old: Decodable & Sendable, New: Event>(
        _ old: Old.Type, as name: String, version: Int, upcast: @escaping @Sendable (Old) throws -> New
    ) {
        precondition(name == New.eventType, "an upcaster turns \(name) into \(New.eventType): names must match")
        precondition(version != New.schemaVersion, "version \(version) of \(name) is the current one; register it with register(_:)")
        entries[Key(name: name, version: version)] = Entry(
            decodeBinary: { try upcast(BinaryDecoder().decode(Old.self, from: $0)) },
            currentType: New.self)
    }

    /// Whether a stored (name, version) can be decoded.
    public func knows(_ name: String, version: Int) -> Bool {
        entries[Key(name: name, version: version)] != nil
    }

    /// The registered names, sorted.
    public var names: [String] { current.keys.sorted() }

    /// Decodes a stored payload; nil if the (name, version) is not registered.
    func decode(name: String, version: Int, payload: UnsafeRawBufferPointer) throws -> (any Event)? {
        guard let entry = entries[Key(name: name, version: version)] else { return nil }
        return try entry.decodeBinary(payload)
    }
}
