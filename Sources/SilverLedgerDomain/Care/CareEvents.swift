import SilverLedger

/// 一人一策: a care plan created for a lixiu cadre, with the contact paired with them.
public struct CarePlanCreated: Event, Equatable {
    public static let eventType = "CarePlanCreated"

    /// The plan this one replaces, and why.
    public struct Replaced: Codable, Sendable, Hashable {
        public var contact: String
        public var createdOn: LedgerDate
        public var reason: String
    }

    public var cadre: CadreID
    /// 结对联系人.
    public var contact: String
    /// What the plan provides for (服务措施).
    public var measures: String
    public var createdOn: LedgerDate
    /// The plan that was active until now, if any.
    public var replaces: Replaced?
}

/// 困难帮扶: assistance given to a cadre in hardship.
public struct HardshipAssistanceRecorded: Event, Equatable {
    public static let eventType = "HardshipAssistanceRecorded"
    public var cadre: CadreID
    /// The amount in fen (分), ≥ 0 (0: help in kind).
    public var amountFen: Int
    public var purpose: String
    public var assistedOn: LedgerDate
}

/// 居家养老服务: a home-care service provided to a cadre.
public struct HomeCareServiceRecorded: Event, Equatable {
    public static let eventType = "HomeCareServiceRecorded"
    public var cadre: CadreID
    public var service: String
    public var servedOn: LedgerDate
}

/// 适老化改造: a cadre's home adapted for old age.
public struct HomeAdaptationRecorded: Event, Equatable {
    public static let eventType = "HomeAdaptationRecorded"
    public var cadre: CadreID
    public var adaptation: String
    public var completedOn: LedgerDate
}

extension CarePlanCreated: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { $0.carePlan = .init(contact: contact, createdOn: createdOn) }
    }
}

extension HardshipAssistanceRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

extension HomeCareServiceRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

extension HomeAdaptationRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}
