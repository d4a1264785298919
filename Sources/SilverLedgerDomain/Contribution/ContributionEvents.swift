import SilverLedger

/// What the rules of contribution (作用发挥) need to know.
public struct ContributionState: Codable, Sendable, Hashable {
    public init() {}
}

/// The events of contribution.
enum ContributionEvents {
    static let all: [any DomainEvent.Type] = []
}
