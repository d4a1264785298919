import SilverLedger

/// An event of the domain: it knows how it changes the state the rules are
/// checked against. Each group of DOMAIN.md keeps its events, with their
/// effect on the state, in its own folder.
public protocol DomainEvent: Event {
    /// Folds the event into the state.
    func apply(to state: inout DomainState)
    /// Folds the event stored at `address` into the state, in place. The
    /// default (keep it) reads it through the concrete type: a rebuild calls
    /// this for every event it has only as an `any Event`, and a generic call
    /// of ``apply(to:)`` there would copy the event first.
    static func apply(at address: UnsafeRawPointer, to state: inout DomainState)
}

extension DomainEvent {
    @inline(__always)
    public static func apply(at address: UnsafeRawPointer, to state: inout DomainState) {
        address.assumingMemoryBound(to: Self.self).pointee.apply(to: &state)
    }
}

/// Every event type of the domain, by group.
enum DomainEvents {
    static let all: [any DomainEvent.Type] = CadreRegisterEvents.all + BranchEvents.all + CareEvents.all + StudyEvents.all
        + HonourEvents.all
        + OrganisationalLifeEvents.all
        + MobileMemberEvents.all
        + ContributionEvents.all

    /// The same types by their metatype's identity, each with its place in ``all``.
    static let byType: [ObjectIdentifier: (index: Int, type: any DomainEvent.Type)] =
        Dictionary(uniqueKeysWithValues: all.enumerated().map { (ObjectIdentifier($1), ($0, $1)) })

    /// The stable names of ``all``, in the same order.
    static let names: [String] = all.map { $0.eventType }
}

extension Optional where Wrapped == LedgerDate {
    /// Keeps the later of the date held and `date` (records may come late, out of date order).
    mutating func keepLatest(_ date: LedgerDate) {
        if self.map({ $0 < date }) ?? true { self = date }
    }
}
