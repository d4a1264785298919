import SilverLedger

/// An event of the domain: it knows how it changes the state the rules are
/// checked against. Each group of DOMAIN.md keeps its events, with their
/// effect on the state, in its own folder.
public protocol DomainEvent: Event {
    /// Folds the event into the state.
    func apply(to state: inout DomainState)
}

/// Every event type of the domain, by group.
enum DomainEvents {
    static let all: [any DomainEvent.Type] = CadreRegisterEvents.all + BranchEvents.all + CareEvents.all + StudyEvents.all
        + HonourEvents.all
        + OrganisationalLifeEvents.all
        + MobileMemberEvents.all
        + ContributionEvents.all
}
