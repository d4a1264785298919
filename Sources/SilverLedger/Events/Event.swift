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
}

extension Event {
    /// Version 1.
    public static var schemaVersion: Int { 1 }
}
