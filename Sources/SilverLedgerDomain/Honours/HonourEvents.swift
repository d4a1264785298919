import SilverLedger

/// "光荣在党50年" 纪念章 awarded.
public struct Medal50Awarded: Event, Equatable {
    public static let eventType = "Medal50Awarded"
    public var cadre: CadreID
    public var awardedOn: LedgerDate
    /// Party standing in full years on the award date (≥ 50).
    public var standingYears: Int
}
