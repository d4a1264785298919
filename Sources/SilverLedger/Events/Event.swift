/// A fact recorded in the ledger: a `Codable` value type stored under a
/// stable name and schema version, never under its Swift type name (which
/// changes when code is refactored).
///
/// ```swift
/// struct VisitLogged: Event {
///     static let eventType = "VisitLogged"
///     var cadre: String
///     var kind: String
/// }
/// ```
///
/// Change an event's fields by raising ``schemaVersion`` and registering the
/// old shape with an upcaster (``EventTypes/register(_:as:version:upcast:)``).
public protocol Event: Codable, Sendable {
    /// The stable name the event is stored under.
    static var eventType: String { get }
    /// The version of this shape of the event. Default 1.
    static var schemaVersion: Int { get }
    /// Writes the event in its own binary form and returns true if it has one
    /// (``BinaryCodable``); otherwise writes nothing and returns false.
    ///
    /// Supplied for every event: do not implement it. It lets the store reach
    /// a type's own writer in place, without copying the event first.
    func _writeOwnBinaryForm(to writer: inout BinaryWriter) -> Bool
}

extension Event {
    /// No binary form of its own: the store encodes the event through `Codable`.
    public func _writeOwnBinaryForm(to writer: inout BinaryWriter) -> Bool { false }
}

extension Event where Self: BinaryCodable {
    /// The event's own binary form (``BinaryCodable/write(to:)``).
    public func _writeOwnBinaryForm(to writer: inout BinaryWriter) -> Bool {
        write(to: &writer)
        return true
    }
}

extension Event {
    /// Version 1.
    public static var schemaVersion: Int { 1 }
}
