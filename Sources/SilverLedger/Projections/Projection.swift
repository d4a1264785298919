/// Queryable state rebuilt from events: a value with an `apply` step.
///
/// ```swift
/// struct CountByType: Projection, Codable {
///     static let name = "count-by-type"
///     static let schemaVersion = 1
///     static let decodesPayloads = false
///     var counts: [String: Int] = [:]
///     mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) { counts[event.eventType, default: 0] += 1 }
/// }
/// let counts = try store.project(CountByType.self, asOf: .position(1_000))
/// ```
///
/// A projection that is also `Codable` can be snapshotted
/// (``EventStore/saveSnapshot(_:)``); raise ``schemaVersion`` whenever its
/// stored shape or its meaning changes, so that old snapshots are ignored.
public protocol Projection: Sendable {
    /// A stable name (used for its snapshot file).
    static var name: String { get }
    /// The version of its state's shape and meaning. Default 1.
    static var schemaVersion: Int { get }
    /// Whether ``apply(_:decoded:)`` needs payloads decoded. Default true; a
    /// projection reading only envelopes (types, streams, dates) sets false and replays faster.
    static var decodesPayloads: Bool { get }
    /// The state before any event.
    init()
    /// Folds one event in. `decoded` is the payload as the current Swift type,
    /// or nil if its type is not registered (or payloads are not decoded).
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?)
}

extension Projection {
    /// Version 1.
    public static var schemaVersion: Int { 1 }
    /// True.
    public static var decodesPayloads: Bool { true }
}

/// Which past state to rebuild.
public enum AsOf: Sendable, Hashable {
    /// Everything committed.
    case now
    /// The events before this log position (the state right before it was written).
    case position(UInt64)
    /// The events recorded at or before this time (microseconds since 1970-01-01 UTC).
    case recordedAt(Int64)
}

/// A projection's state and the position it has seen up to.
public struct Projected<P: Projection>: Sendable {
    /// The state.
    public var projection: P
    /// One past the last position applied.
    public var position: UInt64
    /// Events applied in this rebuild (the tail after a snapshot, or all of them).
    public var eventsApplied: UInt64
    /// Whether a snapshot was used.
    public var usedSnapshot: Bool
}

/// A projection that, in a rebuild, reads what it needs of each event itself
/// (its ``Preparer``), and folds in runs of those prepared values instead of
/// whole decoded events one at a time.
///
/// A long rebuild prepares events on a second thread while the calling one
/// folds them in, as for any projection; a preparer can skip the fields the
/// state does not keep and hand over plain values (an array of an enum of the
/// forms it folds) instead of boxed `any Event`s, and both sides run as the
/// projection's own concrete code, a run of about a thousand events per call:
/// this is what makes a rebuild of a large store cheap.
/// ``apply(prepared:)`` must leave the state exactly as
/// ``Projection/apply(_:decoded:)`` would for the same events: live
/// projections (``ProjectionRunner``) still fold whole events in.
public protocol PreparedProjection: Projection {
    /// Reads the events of a rebuild into what ``apply(prepared:)`` takes.
    associatedtype Preparer: EventPreparer
    /// Folds in a run of events, in log order, as the preparer read them. The
    /// run is the projection's own (no one else holds it): it may move the
    /// values out instead of copying them.
    mutating func apply(prepared: consuming Preparer.Prepared)
}

/// Reads what a ``PreparedProjection`` needs of each event of a rebuild. One
/// is made for each rebuild and used on one thread, in log order.
public protocol EventPreparer: Sendable {
    /// What the preparer hands over for a run of events (an array of its own values, say).
    associatedtype Prepared: Sendable
    /// A preparer for a rebuild of a store that knows `types`.
    init(types: EventTypes)
    /// Reads one event and keeps what the projection needs of it, to be handed
    /// over by the next ``take()``.
    ///
    /// `typeSlot` is a number below 64 that the rebuild gives each event type
    /// name it meets: the same name keeps its slot while at most 64 names have
    /// been seen, so a preparer can remember per slot how it reads a type, as
    /// long as it checks that the name it remembered is still the event's.
    /// `decode` decodes the whole payload (the registered type, upcast if it
    /// is an old version; nil if its type and version are not registered).
    /// An error thrown here (keeping nothing of the event) stops the rebuild
    /// after the events prepared before it are applied; it is reported as a ``EventStoreError/Code/corruptedEvent``
    /// naming the event.
    mutating func prepare(_ event: RecordedEvent, typeSlot: Int, decode: () throws -> (any Event)?) throws
    /// Hands over what was prepared since the last call, in log order, and starts a new run.
    mutating func take() -> Prepared
}
