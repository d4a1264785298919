import SilverLedger

/// What the rules of mobile members (流动党员) need to know: the open outflow
/// of each member away, and the date of each member's latest return (a new
/// outflow may not start before it).
public struct MobileMembersState: Codable, Sendable, Hashable {
    /// An outflow not yet closed by a return: both organisations share responsibility (双向共管).
    public struct Outflow: Codable, Sendable, Hashable {
        /// The home branch that registered the outflow (流出地党组织).
        public var fromBranch: BranchID
        public var destination: String
        public var since: LedgerDate
        /// The organisation that accepted the inflow (流入地党组织), once accepted.
        public var receivingOrganisation: String?
        public var acceptedOn: LedgerDate?
    }

    /// By cadre: the open outflow (one at a time).
    public var away: [CadreID: Outflow] = [:]
    /// By cadre: the date of the latest return.
    public var lastReturnedOn: [CadreID: LedgerDate] = [:]

    public init() {}
}

/// 流出登记: the home branch registers a member living away for a long time.
public struct OutflowRegistered: Event, Equatable {
    public static let eventType = "OutflowRegistered"
    public var cadre: CadreID
    public var fromBranch: BranchID
    /// 流入地.
    public var destination: String
    /// 外出原因.
    public var reason: String
    public var since: LedgerDate
}

/// 流入接收: the receiving organisation accepts the member (in the cadre's stream).
public struct InflowAccepted: Event, Equatable {
    public static let eventType = "InflowAccepted"
    public var cadre: CadreID
    /// The home branch of the outflow accepted.
    public var fromBranch: BranchID
    public var receivingOrganisation: String
    /// The start of the outflow accepted.
    public var since: LedgerDate
    public var acceptedOn: LedgerDate
}

/// 返回: the member is back; the open outflow is closed.
public struct MobileMemberReturned: Event, Equatable {
    public static let eventType = "MobileMemberReturned"
    public var cadre: CadreID
    /// The home branch of the outflow closed.
    public var fromBranch: BranchID
    /// The start of the outflow closed.
    public var since: LedgerDate
    public var returnedOn: LedgerDate
}

extension OutflowRegistered: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.mobileMembers.away[cadre] = .init(fromBranch: fromBranch, destination: destination, since: since)
    }
}

extension InflowAccepted: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.mobileMembers.away[cadre]?.receivingOrganisation = receivingOrganisation
        state.mobileMembers.away[cadre]?.acceptedOn = acceptedOn
    }
}

extension MobileMemberReturned: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.mobileMembers.away[cadre] = nil
        state.mobileMembers.lastReturnedOn[cadre] = returnedOn
    }
}

/// The events of mobile members.
enum MobileMemberEvents {
    static let all: [any DomainEvent.Type] = [OutflowRegistered.self, InflowAccepted.self, MobileMemberReturned.self]
}
