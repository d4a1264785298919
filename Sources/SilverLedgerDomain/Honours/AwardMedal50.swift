import SilverLedger

/// 颁发"光荣在党50年"纪念章: award the medal for 50 years in the party.
///
/// The cadre must be a party member, alive on the award date, with party
/// standing of at least 50 full years on that date (full-membership date +
/// 50 years ≤ award date; 29 February counts as 28 February in years without
/// it), and never awarded the medal before.
public struct AwardMedal50: DomainCommand, Codable {
    /// The years of standing the medal needs.
    public static let requiredYears = 50

    public var cadre: CadreID
    public var awardedOn: LedgerDate

    public init(cadre: CadreID, awardedOn: LedgerDate) {
        self.cadre = cadre
        self.awardedOn = awardedOn
    }

    public var date: LedgerDate { awardedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(awardedOn, today: today, "the award", "颁发")
        let record = try Rules.livingCadre(cadre, on: awardedOn, in: state)
        if let previous = record.medal50AwardedOn {
            throw DomainError(.medalAlreadyAwarded,
                              english: "cadre \(cadre) was already awarded the \"光荣在党50年\" medal on \(previous); it is awarded once",
                              chinese: "离退休干部\(cadre)已于\(previous)获颁\"光荣在党50年\"纪念章，不得重复颁发",
                              values: ["cadre": cadre.rawValue, "awardedOn": "\(previous)"])
        }
        guard let membership = record.membership else {
            throw DomainError(.notAPartyMember,
                              english: "cadre \(cadre) is not a party member (no membership recorded); the medal is for party members",
                              chinese: "离退休干部\(cadre)无党员信息记录，纪念章仅颁发给党员",
                              values: ["cadre": cadre.rawValue])
        }
        let years = PartyStanding.years(from: membership.fullMemberOn, to: awardedOn)
        guard years >= Self.requiredYears else {
            let reaches = PartyStanding.date(reaching: Self.requiredYears, from: membership.fullMemberOn)
            throw DomainError(.medalStandingTooShort,
                              english: "party standing on \(awardedOn) is \(years) years, \(Self.requiredYears) required (full member since \(membership.fullMemberOn); reaches \(Self.requiredYears) on \(reaches))",
                              chinese: "截至\(awardedOn)党龄\(years)年，不满\(Self.requiredYears)年（\(membership.fullMemberOn)转正，\(reaches)满\(Self.requiredYears)年）",
                              values: ["cadre": cadre.rawValue, "awardedOn": "\(awardedOn)", "standingYears": "\(years)",
                                       "requiredYears": "\(Self.requiredYears)", "fullMemberOn": "\(membership.fullMemberOn)", "reachesOn": "\(reaches)"])
        }
        return [StreamWrite(stream: cadre.stream, events: [Medal50Awarded(cadre: cadre, awardedOn: awardedOn, standingYears: years)])]
    }
}
