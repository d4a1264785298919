import SilverLedger

/// What the register knows of one cadre, as the rules need it.
public struct CadreRecord: Codable, Sendable, Hashable {
    /// 入党 and 转正 dates.
    public struct Membership: Codable, Sendable, Hashable {
        public var joinedOn: LedgerDate
        public var fullMemberOn: LedgerDate
    }

    public var id: CadreID
    public var name: String
    public var category: CadreCategory
    public var birthDate: LedgerDate
    public var formerLevel: FormerLevel
    public var formerUnit: String
    public var retiredOn: LedgerDate
    public var residence: String
    public var registeredOn: LedgerDate
    public var membership: Membership?
    public var diedOn: LedgerDate?
    public var medal50AwardedOn: LedgerDate?
    /// The date of the latest visit (走访), if any.
    public var lastVisitedOn: LedgerDate?
    /// The branches the cadre has belonged to, in order; at most the last one is open.
    public var branchStints: [BranchStint] = []

    /// A time in one branch: from `from`, until `until` (exclusive; nil while it lasts).
    public struct BranchStint: Codable, Sendable, Hashable {
        public var branch: BranchID
        public var from: LedgerDate
        public var until: LedgerDate?

        /// Whether the stint covers `date`.
        public func covers(_ date: LedgerDate) -> Bool { from <= date && until.map { date < $0 } ?? true }
    }

    /// The branch the cadre belongs to now, if any.
    public var currentBranch: BranchID? {
        branchStints.last.flatMap { $0.until == nil ? $0.branch : nil }
    }

    /// The branch the cadre belonged to on `date`, if any.
    public func branch(on date: LedgerDate) -> BranchID? {
        branchStints.last { $0.covers(date) }?.branch
    }

    /// Whether the cadre was alive on `date` (a death on that very date counts as not alive).
    public func isAlive(on date: LedgerDate) -> Bool {
        diedOn.map { date < $0 } ?? true
    }

    /// 党龄 in full years on `date`, or nil if the cadre is not a party member.
    public func partyStanding(on date: LedgerDate) -> Int? {
        membership.map { PartyStanding.years(from: $0.fullMemberOn, to: date) }
    }
}

/// The state the rules are checked against, rebuilt from the log: a
/// projection like any other, also updated by the ``Ledger`` as it accepts
/// commands.
public struct DomainState: Projection, Codable, Sendable {
    public static let name = "domain-state"
    public static let schemaVersion = 1

    public var cadres: [CadreID: CadreRecord] = [:]
    public var branches: [BranchID: BranchRecord] = [:]
    /// Every need found on a visit, open or resolved, by id.
    public var needs: [String: NeedRecord] = [:]

    /// A need found on a visit and what became of it.
    public struct NeedRecord: Codable, Sendable, Hashable {
        public var cadre: CadreID
        public var kind: NeedKind
        public var foundOn: LedgerDate
        public var resolvedOn: LedgerDate?
    }

    public init() {}

    public mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if let decoded { evolve(decoded) }
    }

    /// Folds one domain event in.
    public mutating func evolve(_ event: any Event) {
        switch event {
        case let e as CadreRegistered:
            cadres[e.cadre] = CadreRecord(
                id: e.cadre, name: e.name, category: e.category, birthDate: e.birthDate, formerLevel: e.formerLevel,
                formerUnit: e.formerUnit, retiredOn: e.retiredOn, residence: e.residence, registeredOn: e.registeredOn)
        case let e as PartyMembershipRecorded:
            cadres[e.cadre]?.membership = .init(joinedOn: e.joinedOn, fullMemberOn: e.fullMemberOn)
        case let e as PartyMembershipCorrected:
            cadres[e.cadre]?.membership = .init(joinedOn: e.joinedOn, fullMemberOn: e.fullMemberOn)
        case let e as DeathRecorded:
            cadres[e.cadre]?.diedOn = e.diedOn
            // Death ends branch membership and every office.
            if let branch = cadres[e.cadre]?.currentBranch { leave(e.cadre, branch, on: e.diedOn) }
        case let e as BranchEstablished:
            branches[e.branch] = BranchRecord(id: e.branch, name: e.name, type: e.kind, parentOrganisation: e.parentOrganisation,
                                              establishedOn: e.establishedOn)
        case let e as MemberAdded:
            join(e.cadre, e.branch, on: e.addedOn)
        case let e as MemberRemoved:
            leave(e.cadre, e.branch, on: e.removedOn)
        case let e as MemberTransferred:
            leave(e.cadre, e.from, on: e.transferredOn)
            join(e.cadre, e.to, on: e.transferredOn)
        case let e as OfficerElected:
            branches[e.branch]?.seat(e)
        case let e as BranchDissolved:
            branches[e.branch]?.dissolvedOn = e.dissolvedOn
        case let e as VisitLogged:
            // Visits may be logged late: keep the latest date, not the latest record.
            if cadres[e.cadre]?.lastVisitedOn.map({ $0 < e.visitedOn }) ?? true { cadres[e.cadre]?.lastVisitedOn = e.visitedOn }
            for need in e.needs { needs[need.id] = NeedRecord(cadre: e.cadre, kind: need.kind, foundOn: e.visitedOn) }
        case let e as NeedFollowedUp:
            if e.resolved { needs[e.need]?.resolvedOn = e.followedUpOn }
        case let e as Medal50Awarded:
            cadres[e.cadre]?.medal50AwardedOn = e.awardedOn
        default:
            break
        }
    }

    private mutating func join(_ cadre: CadreID, _ branch: BranchID, on date: LedgerDate) {
        cadres[cadre]?.branchStints.append(.init(branch: branch, from: date, until: nil))
        branches[branch]?.members.insert(cadre)
    }

    private mutating func leave(_ cadre: CadreID, _ branch: BranchID, on date: LedgerDate) {
        if let last = cadres[cadre]?.branchStints.indices.last, cadres[cadre]?.branchStints[last].until == nil {
            cadres[cadre]?.branchStints[last].until = date
        }
        branches[branch]?.members.remove(cadre)
        branches[branch]?.vacate(cadre)
    }
}
