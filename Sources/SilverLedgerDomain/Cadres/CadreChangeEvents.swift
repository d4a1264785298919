import SilverLedger

/// 变更居住地: a cadre moved; the old residence stays in the history.
public struct ResidenceChanged: Event, Equatable {
    public static let eventType = "ResidenceChanged"
    public var cadre: CadreID
    public var previousResidence: String
    public var residence: String
    public var changedOn: LedgerDate
}

/// 易地安置: a cadre marked as living outside the area of the unit that serves them, or no longer.
public struct RelocationMarked: Event, Equatable {
    public static let eventType = "RelocationMarked"
    public var cadre: CadreID
    public var relocated: Bool
    /// 安置地: where the cadre lives; nil when `relocated` is false.
    public var area: String?
    public var markedOn: LedgerDate
}

/// 健康状况变更: 年老体弱 (frail) and 行动不便 (limited mobility), as they are from `changedOn`.
public struct HealthChanged: Event, Equatable {
    public static let eventType = "HealthChanged"
    public var cadre: CadreID
    public var frail: Bool
    public var limitedMobility: Bool
    public var changedOn: LedgerDate
}

/// 荣誉退休: the cadre's honourable retirement recorded (once).
public struct HonourableRetirementRecorded: Event, Equatable {
    public static let eventType = "HonourableRetirementRecorded"
    public var cadre: CadreID
    public var honouredOn: LedgerDate
}

extension ResidenceChanged: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { record in
            record.residence = residence
            record.residenceChangedOn = changedOn
        }
    }
}

extension RelocationMarked: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { record in
            record.relocated = relocated
            record.relocationArea = relocated ? area : nil
            record.relocationMarkedOn = markedOn
        }
    }
}

extension HealthChanged: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { record in
            record.frail = frail
            record.limitedMobility = limitedMobility
            record.healthChangedOn = changedOn
        }
    }
}

extension HonourableRetirementRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { $0.honourablyRetiredOn = honouredOn }
    }
}

/// The events that change a registered cadre's residence, relocation, health and retirement honour.
enum CadreChangeEvents {
    static let all: [any DomainEvent.Type] = [
        ResidenceChanged.self, RelocationMarked.self, HealthChanged.self, HonourableRetirementRecorded.self,
    ]
}
