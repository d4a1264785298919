import SilverLedger

/// "光荣在党50年" 纪念章 awarded.
public struct Medal50Awarded: Event, Equatable {
    public static let eventType = "Medal50Awarded"
    public var cadre: CadreID
    public var awardedOn: LedgerDate
    /// Party standing in full years on the award date (≥ 50).
    public var standingYears: Int
}

extension Medal50Awarded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.cadres[cadre]?.medal50AwardedOn = awardedOn
    }
}

/// The events of honours (政治荣誉).
enum HonourEvents {
    static let all: [any DomainEvent.Type] = [Medal50Awarded.self]
}
