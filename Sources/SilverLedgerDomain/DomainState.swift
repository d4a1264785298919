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
        case let e as Medal50Awarded:
            cadres[e.cadre]?.medal50AwardedOn = e.awardedOn
        default:
            break
        }
    }
}
