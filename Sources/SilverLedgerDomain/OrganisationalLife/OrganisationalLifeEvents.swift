import SilverLedger

/// What the rules of organisational life (组织生活, "三会一课") need to know.
public struct OrganisationalLifeState: Codable, Sendable, Hashable {
    public init() {}
}

/// The events of organisational life.
enum OrganisationalLifeEvents {
    static let all: [any DomainEvent.Type] = []
}
