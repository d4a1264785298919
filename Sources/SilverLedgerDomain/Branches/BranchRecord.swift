import SilverLedger

/// What the ledger knows of one branch, as the rules and queries need it.
public struct BranchRecord: Codable, Sendable, Hashable {
    /// An office held: who, since when, until when.
    public struct Office: Codable, Sendable, Hashable {
        public var cadre: CadreID
        public var electedOn: LedgerDate
        public var termEndsOn: LedgerDate
    }

    public var id: BranchID
    public var name: String
    public var type: BranchType
    public var parentOrganisation: String
    public var establishedOn: LedgerDate
    public var dissolvedOn: LedgerDate?
    /// The members now.
    public var members: Set<CadreID> = []
    /// 书记.
    public var secretary: Office?
    /// 副书记, by cadre.
    public var deputies: [CadreID: Office] = [:]
    /// 委员, by cadre.
    public var committee: [CadreID: Office] = [:]
    /// 联络员: the in-service party member appointed to help the branch (the latest appointment).
    public var liaison: Liaison?
    /// 示范党支部（"六好"）: the latest designation, its reviews, and whether it was revoked.
    public var demonstration: Demonstration?
    /// 特色支部 / 支部工作法: the branch's brand (the latest registration).
    public var brand: Brand?

    /// Whether the branch existed on `date` (established, not yet dissolved).
    public func isActive(on date: LedgerDate) -> Bool {
        establishedOn <= date && dissolvedOn.map { date < $0 } ?? true
    }

    /// Takes up the office an election gave.
    mutating func seat(_ election: OfficerElected) {
        // Offices whose term is over by this election are taken by the new one (换届).
        if let ended = secretary, ended.termEndsOn <= election.electedOn { secretary = nil }
        deputies = deputies.filter { $0.value.termEndsOn > election.electedOn }
        committee = committee.filter { $0.value.termEndsOn > election.electedOn }
        let office = Office(cadre: election.cadre, electedOn: election.electedOn, termEndsOn: election.termEndsOn)
        switch election.role {
        case .secretary:
            secretary = office
        case .deputySecretary:
            deputies[election.cadre] = office
        case .committeeMember:
            committee[election.cadre] = office
        }
    }

    /// A member who leaves (or dies) leaves every office.
    mutating func vacate(_ cadre: CadreID) {
        if secretary?.cadre == cadre { secretary = nil }
        deputies[cadre] = nil
        committee[cadre] = nil
    }
}
