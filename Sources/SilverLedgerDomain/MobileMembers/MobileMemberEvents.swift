import SilverLedger

/// What the rules of mobile members (流动党员) need to know.
public struct MobileMembersState: Codable, Sendable, Hashable {
    public init() {}
}

/// The events of mobile members.
enum MobileMemberEvents {
    static let all: [any DomainEvent.Type] = []
}
