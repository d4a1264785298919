import Foundation
import SilverLedger

extension DomainError.Code {
    /// 一人一策 care plans are for lixiu (离休) cadres only.
    public static let carePlanNotLixiu = DomainError.Code(rawValue: "carePlan.notLixiu")
    /// A cadre has one active care plan: a new one replaces it and needs a reason.
    public static let carePlanReplacementReason = DomainError.Code(rawValue: "carePlan.reasonRequired")
}

/// 一人一策: create the care plan of a lixiu cadre, with the contact paired with them (结对联系人).
///
/// A cadre has one active plan. A new plan replaces the active one and needs a
/// reason, is not dated before it, and keeps it in the history; a first plan
/// takes no reason.
public struct CreateCarePlan: DomainCommand, Codable {
    public var cadre: CadreID
    /// 结对联系人: the name of the contact paired with the cadre.
    public var contact: String
    /// What the plan provides for (服务措施).
    public var measures: String
    public var createdOn: LedgerDate
    /// Why the active plan is replaced; empty for a first plan.
    public var replacementReason: String

    public init(cadre: CadreID, contact: String, measures: String, createdOn: LedgerDate, replacementReason: String = "") {
        self.cadre = cadre
        self.contact = contact
        self.measures = measures
        self.createdOn = createdOn
        self.replacementReason = replacementReason
    }

    public var date: LedgerDate { createdOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(createdOn, today: today, "the care plan", "一人一策")
        try Rules.nonEmpty(contact, "paired contact", "结对联系人")
        try Rules.nonEmpty(measures, "measures", "服务措施")
        let record = try Rules.livingCadre(cadre, on: createdOn, in: state)
        guard record.category == .lixiu else {
            throw DomainError(.carePlanNotLixiu,
                              english: "cadre \(cadre) is \(record.category.rawValue) (\(record.category.chinese)); care plans (一人一策) are for lixiu cadres",
                              chinese: "离退休干部\(cadre)为\(record.category.chinese)干部，\"一人一策\"仅适用于离休干部",
                              values: ["cadre": cadre.rawValue, "category": record.category.rawValue])
        }
        let reason = replacementReason.trimmed
        var replaces: CarePlanCreated.Replaced?
        if let active = record.carePlan {
            guard !reason.isEmpty else {
                throw DomainError(.carePlanReplacementReason,
                                  english: "cadre \(cadre) has an active care plan (created \(active.createdOn), contact \(active.contact)); a new plan replaces it only with a reason",
                                  chinese: "离退休干部\(cadre)已有\(active.createdOn)制定的\"一人一策\"（联系人\(active.contact)），新方案替换须说明理由",
                                  values: ["cadre": cadre.rawValue, "activeCreatedOn": "\(active.createdOn)", "activeContact": active.contact])
            }
            try Rules.ordered(active.createdOn, "the active plan", "现行方案制定日期", createdOn, "the new plan", "新方案制定日期")
            replaces = .init(contact: active.contact, createdOn: active.createdOn, reason: reason)
        } else if !reason.isEmpty {
            throw DomainError(.invalidValue, english: "cadre \(cadre) has no care plan to replace; a first plan takes no replacement reason",
                              chinese: "离退休干部\(cadre)尚无\"一人一策\"方案，首次制定无需替换理由", values: ["cadre": cadre.rawValue])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            CarePlanCreated(cadre: cadre, contact: contact.trimmed, measures: measures,
                            createdOn: createdOn, replaces: replaces),
        ])]
    }
}

/// 困难帮扶: record assistance to a cadre in hardship; the amount is in fen (分), ≥ 0.
public struct RecordHardshipAssistance: DomainCommand, Codable {
    public var cadre: CadreID
    /// The amount in fen (分): 12_345 is ¥123.45. 0 for help in kind.
    public var amountFen: Int
    public var purpose: String
    public var assistedOn: LedgerDate

    public init(cadre: CadreID, amountFen: Int, purpose: String, assistedOn: LedgerDate) {
        self.cadre = cadre
        self.amountFen = amountFen
        self.purpose = purpose
        self.assistedOn = assistedOn
    }

    public var date: LedgerDate { assistedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(assistedOn, today: today, "the hardship assistance", "困难帮扶")
        guard amountFen >= 0 else {
            throw DomainError(.invalidValue, english: "an assistance amount of \(amountFen) fen is negative (amounts are in fen, at least 0)",
                              chinese: "帮扶金额\(amountFen)分不能为负数", values: ["amountFen": "\(amountFen)"])
        }
        try Rules.nonEmpty(purpose, "purpose", "帮扶事由")
        try Rules.checkLiving(cadre, on: assistedOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [
            HardshipAssistanceRecorded(cadre: cadre, amountFen: amountFen, purpose: purpose, assistedOn: assistedOn),
        ])]
    }
}

/// 居家养老服务: record a home-care service provided to a cadre.
public struct RecordHomeCareService: DomainCommand, Codable {
    public var cadre: CadreID
    /// What was provided (e.g. 助餐, 助浴, 上门护理).
    public var service: String
    public var servedOn: LedgerDate

    public init(cadre: CadreID, service: String, servedOn: LedgerDate) {
        self.cadre = cadre
        self.service = service
        self.servedOn = servedOn
    }

    public var date: LedgerDate { servedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(servedOn, today: today, "the home-care service", "居家养老服务")
        try Rules.nonEmpty(service, "service", "服务内容")
        try Rules.checkLiving(cadre, on: servedOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [HomeCareServiceRecorded(cadre: cadre, service: service, servedOn: servedOn)])]
    }
}

/// 适老化改造: record an adaptation of a cadre's home for old age.
public struct RecordHomeAdaptation: DomainCommand, Codable {
    public var cadre: CadreID
    /// What was done (e.g. 卫生间加装扶手).
    public var adaptation: String
    public var completedOn: LedgerDate

    public init(cadre: CadreID, adaptation: String, completedOn: LedgerDate) {
        self.cadre = cadre
        self.adaptation = adaptation
        self.completedOn = completedOn
    }

    public var date: LedgerDate { completedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(completedOn, today: today, "the home adaptation", "适老化改造")
        try Rules.nonEmpty(adaptation, "adaptation", "改造内容")
        try Rules.checkLiving(cadre, on: completedOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [HomeAdaptationRecorded(cadre: cadre, adaptation: adaptation, completedOn: completedOn)])]
    }
}
