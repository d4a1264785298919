import SilverLedger

/// 独立, 联合 or 临时党支部.
public enum BranchType: String, Codable, Sendable, CaseIterable {
    /// 独立党支部
    case standalone
    /// 联合党支部
    case joint
    /// 临时党支部
    case temporary
}

/// 书记, 副书记 or 委员.
public enum BranchRole: String, Codable, Sendable, CaseIterable {
    case secretary, deputySecretary, committeeMember

    /// 书记 / 副书记 / 委员.
    public var chinese: String {
        switch self {
        case .secretary: "书记"
        case .deputySecretary: "副书记"
        case .committeeMember: "委员"
        }
    }
}

/// 成立党支部.
public struct BranchEstablished: Event, Equatable {
    public static let eventType = "BranchEstablished"
    public var branch: BranchID
    public var name: String
    public var kind: BranchType
    /// 上级党组织.
    public var parentOrganisation: String
    public var establishedOn: LedgerDate
}

/// 党员加入支部 (not a transfer: the cadre was in no branch).
public struct MemberAdded: Event, Equatable {
    public static let eventType = "MemberAdded"
    public var branch: BranchID
    public var cadre: CadreID
    public var addedOn: LedgerDate
}

/// 党员离开支部.
public struct MemberRemoved: Event, Equatable {
    public static let eventType = "MemberRemoved"
    public var branch: BranchID
    public var cadre: CadreID
    public var reason: String
    public var removedOn: LedgerDate
}

/// 组织关系转接: a member moves from one branch to another, in one event (in the stream of the branch joined).
public struct MemberTransferred: Event, Equatable {
    public static let eventType = "MemberTransferred"
    public var cadre: CadreID
    public var from: BranchID
    public var to: BranchID
    public var transferredOn: LedgerDate
}

/// 选举: a secretary, deputy secretary or committee member elected, with the count that makes it valid.
public struct OfficerElected: Event, Equatable {
    public static let eventType = "OfficerElected"
    public var branch: BranchID
    public var role: BranchRole
    public var cadre: CadreID
    public var electedOn: LedgerDate
    public var termYears: Int
    /// 应到会有选举权的党员: members entitled to vote.
    public var entitled: Int
    /// 实到会: voters present.
    public var present: Int
    /// 赞成票: votes for the winner.
    public var votesFor: Int

    /// When the term ends: the election date plus the term's years.
    public var termEndsOn: LedgerDate { electedOn.adding(years: termYears) }
}

/// 撤销党支部 (no members left).
public struct BranchDissolved: Event, Equatable {
    public static let eventType = "BranchDissolved"
    public var branch: BranchID
    public var dissolvedOn: LedgerDate
}

extension BranchEstablished: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.branches[branch] = BranchRecord(id: branch, name: name, type: kind, parentOrganisation: parentOrganisation,
                                              establishedOn: establishedOn)
    }
}

extension MemberAdded: DomainEvent {
    public func apply(to state: inout DomainState) { state.join(cadre, branch, on: addedOn) }
}

extension MemberRemoved: DomainEvent {
    public func apply(to state: inout DomainState) { state.leave(cadre, branch, on: removedOn) }
}

extension MemberTransferred: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.leave(cadre, from, on: transferredOn)
        state.join(cadre, to, on: transferredOn)
    }
}

extension OfficerElected: DomainEvent {
    public func apply(to state: inout DomainState) { state.branches[branch]?.seat(self) }
}

extension BranchDissolved: DomainEvent {
    public func apply(to state: inout DomainState) { state.branches[branch]?.dissolvedOn = dissolvedOn }
}

/// The events of branches.
enum BranchEvents {
    static let all: [any DomainEvent.Type] = [
        BranchEstablished.self, MemberAdded.self, MemberRemoved.self, MemberTransferred.self, OfficerElected.self, BranchDissolved.self,
        LiaisonAppointed.self, DemonstrationDesignated.self, DemonstrationReviewed.self, BrandRegistered.self,
    ]
}
