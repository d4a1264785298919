import SilverLedger

/// 党龄: party standing, in full years, counted from the full-membership date
/// (转正日期; Party Constitution, art. 7).
///
/// A member who became a full member on 29 February completes a year on
/// 28 February in years without a 29 February.
public enum PartyStanding {
    /// Full years from `fullMemberOn` to `date` (0 if `date` is earlier).
    public static func years(from fullMemberOn: LedgerDate, to date: LedgerDate) -> Int {
        guard fullMemberOn <= date else { return 0 }
        var years = date.components.year - fullMemberOn.components.year
        if fullMemberOn.adding(years: years) > date { years -= 1 }
        return years
    }

    /// The date on which a member reaches `years` full years of standing.
    public static func date(reaching years: Int, from fullMemberOn: LedgerDate) -> LedgerDate {
        fullMemberOn.adding(years: years)
    }
}
