import SilverLedger

/// 1. A cadre's profile, with party standing in full years on a given date.
public struct CadreProfile: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var category: CadreCategory
    public var birthDate: LedgerDate
    public var formerLevel: FormerLevel
    public var formerUnit: String
    public var retiredOn: LedgerDate
    public var residence: String
    public var registeredOn: LedgerDate
    public var joinedPartyOn: LedgerDate?
    public var fullMemberOn: LedgerDate?
    /// 党龄 on ``on``, in full years; nil for a cadre who is not a party member.
    public var partyStandingYears: Int?
    /// The date the standing is counted to.
    public var on: LedgerDate
    public var branch: BranchID?
    public var diedOn: LedgerDate?
    public var medal50AwardedOn: LedgerDate?
    public var lastVisitedOn: LedgerDate?
}

extension LedgerView {
    /// The profile of a cadre, with party standing and branch on `date`; nil if the cadre is not registered.
    public func profile(of cadre: CadreID, on date: LedgerDate) -> CadreProfile? {
        guard let c = state.cadres[cadre] else { return nil }
        return CadreProfile(
            cadre: c.id, name: c.name, category: c.category, birthDate: c.birthDate, formerLevel: c.formerLevel,
            formerUnit: c.formerUnit, retiredOn: c.retiredOn, residence: c.residence, registeredOn: c.registeredOn,
            joinedPartyOn: c.membership?.joinedOn, fullMemberOn: c.membership?.fullMemberOn,
            partyStandingYears: c.partyStanding(on: date), on: date, branch: c.branch(on: date), diedOn: c.diedOn,
            medal50AwardedOn: c.medal50AwardedOn, lastVisitedOn: c.lastVisitedOn)
    }
}

/// 4. A member who reaches 50 years of standing by a date and has not been awarded the medal.
public struct MedalCandidate: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var fullMemberOn: LedgerDate
    /// The day the 50 years are reached.
    public var reachesFiftyOn: LedgerDate
    public var branch: BranchID?
}

extension LedgerView {
    /// 4. "光荣在党50年" eligibility: living party members who reach 50 full years
    /// of standing by `date` (the medal is usually presented around 1 July) and
    /// were not awarded it; by the date they reach 50 years, then by id.
    public func medalCandidates(by date: LedgerDate) -> [MedalCandidate] {
        state.cadres.values.compactMap { c -> MedalCandidate? in
            guard let m = c.membership, c.medal50AwardedOn == nil, c.isAlive(on: date) else { return nil }
            let reaches = PartyStanding.date(reaching: AwardMedal50.requiredYears, from: m.fullMemberOn)
            guard reaches <= date else { return nil }
            return MedalCandidate(cadre: c.id, name: c.name, fullMemberOn: m.fullMemberOn, reachesFiftyOn: reaches, branch: c.branch(on: date))
        }
        .sorted { ($0.reachesFiftyOn, $0.cadre) < ($1.reachesFiftyOn, $1.cadre) }
    }

    /// 4. Medals awarded per calendar year of the award date.
    public func medalsPerYear() -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for c in state.cadres.values {
            if let awarded = c.medal50AwardedOn { counts[awarded.components.year, default: 0] += 1 }
        }
        return counts
    }
}
