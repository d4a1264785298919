import SilverLedger

/// 离休 (joined the revolution before October 1949) or 退休.
public enum CadreCategory: String, Codable, Sendable, CaseIterable {
    case lixiu, tuixiu

    /// 离休 / 退休.
    public var chinese: String { self == .lixiu ? "离休" : "退休" }
}

/// The level held before retirement (原职级).
public enum FormerLevel: String, Codable, Sendable, CaseIterable {
    /// 省部级
    case provincial
    /// 厅局级
    case departmental
    /// 县处级
    case county
    /// 乡科级
    case section
    /// 其他
    case other
}

/// 登记: a cadre entered in the register.
public struct CadreRegistered: Event, Equatable {
    public static let eventType = "CadreRegistered"
    public var cadre: CadreID
    public var name: String
    public var category: CadreCategory
    public var birthDate: LedgerDate
    public var formerLevel: FormerLevel
    public var formerUnit: String
    public var retiredOn: LedgerDate
    public var residence: String
    /// The date the cadre was entered (the event's business date); nothing about the cadre is dated before it.
    public var registeredOn: LedgerDate
}

/// 党员信息: party membership recorded (入党日期, 转正日期).
public struct PartyMembershipRecorded: Event, Equatable {
    public static let eventType = "PartyMembershipRecorded"
    public var cadre: CadreID
    public var joinedOn: LedgerDate
    public var fullMemberOn: LedgerDate
    public var recordedOn: LedgerDate
}

/// 更正党员信息: recorded membership dates corrected; the old ones stay in the history.
public struct PartyMembershipCorrected: Event, Equatable {
    public static let eventType = "PartyMembershipCorrected"
    public var cadre: CadreID
    public var previousJoinedOn: LedgerDate
    public var previousFullMemberOn: LedgerDate
    public var joinedOn: LedgerDate
    public var fullMemberOn: LedgerDate
    public var reason: String
    public var correctedOn: LedgerDate
}

/// 去世: a cadre's death recorded.
public struct DeathRecorded: Event, Equatable {
    public static let eventType = "DeathRecorded"
    public var cadre: CadreID
    public var diedOn: LedgerDate
    public var recordedOn: LedgerDate
}

extension CadreRegistered: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.cadres[cadre] = CadreRecord(
            id: cadre, name: name, category: category, birthDate: birthDate, formerLevel: formerLevel,
            formerUnit: formerUnit, retiredOn: retiredOn, residence: residence, registeredOn: registeredOn)
    }
}

extension PartyMembershipRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { $0.membership = .init(joinedOn: joinedOn, fullMemberOn: fullMemberOn) }
    }
}

extension PartyMembershipCorrected: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { $0.membership = .init(joinedOn: joinedOn, fullMemberOn: fullMemberOn) }
    }
}

extension DeathRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadre(cadre) { $0.diedOn = diedOn }
        // Death ends branch membership and every office. An open outflow stays open
        // in the state: a return dated before the death may still be recorded late
        // (queries leave the dead out).
        if let branch = state.cadres[cadre]?.currentBranch { state.leave(cadre, branch, on: diedOn) }
    }
}

/// The events of the cadre register.
enum CadreRegisterEvents {
    static let all: [any DomainEvent.Type] = [
        CadreRegistered.self, PartyMembershipRecorded.self, PartyMembershipCorrected.self, DeathRecorded.self,
    ] + CadreChangeEvents.all
}
