import Foundation
import SilverLedger

extension DomainError.Code {
    /// The change records what the register already says (same residence, relocation or health).
    public static let cadreUnchanged = DomainError.Code(rawValue: "cadre.unchanged")
    /// 荣誉退休 is recorded once per cadre.
    public static let honourableRetirementRecorded = DomainError.Code(rawValue: "cadre.honourablyRetired")
}

/// A change of one of a cadre's attributes is not dated before the last change of it:
/// the register's current value is the one of the latest date.
enum ChangeOrder {
    static func check(_ last: LedgerDate?, _ date: LedgerDate, cadre: CadreID, _ what: String, _ 什么: String) throws(DomainError) {
        guard let last, date < last else { return }
        throw DomainError(.invalidDates,
                          english: "cadre \(cadre)'s \(what) last changed on \(last); a change dated \(date) cannot come before it",
                          chinese: "离退休干部\(cadre)的\(什么)已于\(last)变更，变更日期\(date)不能早于该日",
                          values: ["cadre": cadre.rawValue, "date": "\(date)", "lastChangedOn": "\(last)"])
    }
}

/// 变更居住地: the cadre lives somewhere else from `changedOn`.
///
/// The new residence is not empty and differs from the recorded one; the
/// cadre is registered and alive on the date; changes are recorded in date order.
public struct ChangeResidence: DomainCommand, Codable {
    public var cadre: CadreID
    public var residence: String
    public var changedOn: LedgerDate

    public init(cadre: CadreID, residence: String, changedOn: LedgerDate) {
        self.cadre = cadre
        self.residence = residence
        self.changedOn = changedOn
    }

    public var date: LedgerDate { changedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(changedOn, today: today, "the change of residence", "居住地变更")
        try Rules.nonEmpty(residence, "residence", "居住地")
        let record = try Rules.livingCadre(cadre, on: changedOn, in: state)
        try ChangeOrder.check(record.residenceChangedOn, changedOn, cadre: cadre, "residence", "居住地")
        let new = residence.trimmed
        guard new != record.residence.trimmed else {
            throw DomainError(.cadreUnchanged, english: "cadre \(cadre) already lives at \(new); nothing to change",
                              chinese: "离退休干部\(cadre)的居住地已是\(new)，无需变更", values: ["cadre": cadre.rawValue, "residence": new])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            ResidenceChanged(cadre: cadre, previousResidence: record.residence, residence: new, changedOn: changedOn),
        ])]
    }
}

/// 易地安置: mark a cadre as living outside the area of the unit that serves
/// them (with the area they live in), or no longer so.
///
/// A relocated cadre needs an area; a cadre marked not relocated takes none.
/// Marking what is already recorded is refused.
public struct MarkRelocated: DomainCommand, Codable {
    public var cadre: CadreID
    public var relocated: Bool
    /// 安置地: required when `relocated`, empty otherwise.
    public var area: String
    public var markedOn: LedgerDate

    public init(cadre: CadreID, relocated: Bool, area: String = "", markedOn: LedgerDate) {
        self.cadre = cadre
        self.relocated = relocated
        self.area = area
        self.markedOn = markedOn
    }

    public var date: LedgerDate { markedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(markedOn, today: today, "the relocation record", "易地安置登记")
        let area = self.area.trimmed
        if relocated {
            try Rules.nonEmpty(area, "relocation area", "安置地")
        } else if !area.isEmpty {
            throw DomainError(.invalidValue, english: "an area (\(area)) is given only for a relocated cadre; this marks cadre \(cadre) as not relocated",
                              chinese: "取消易地安置时不填写安置地（\(area)）", values: ["cadre": cadre.rawValue, "area": area])
        }
        let record = try Rules.livingCadre(cadre, on: markedOn, in: state)
        try ChangeOrder.check(record.relocationMarkedOn, markedOn, cadre: cadre, "relocation", "易地安置情况")
        if relocated, record.relocated, record.relocationArea == area {
            throw DomainError(.cadreUnchanged, english: "cadre \(cadre) is already marked relocated to \(area)",
                              chinese: "离退休干部\(cadre)已登记为易地安置（\(area)）", values: ["cadre": cadre.rawValue, "area": area])
        }
        if !relocated, !record.relocated {
            throw DomainError(.cadreUnchanged, english: "cadre \(cadre) is not marked relocated; nothing to undo",
                              chinese: "离退休干部\(cadre)未登记为易地安置，无需取消", values: ["cadre": cadre.rawValue])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            RelocationMarked(cadre: cadre, relocated: relocated, area: relocated ? area : nil, markedOn: markedOn),
        ])]
    }
}

/// 健康状况变更: 年老体弱 (frail) and 行动不便 (limited mobility) from `changedOn`.
///
/// At least one flag differs from the recorded ones.
public struct ChangeHealth: DomainCommand, Codable {
    public var cadre: CadreID
    /// 年老体弱.
    public var frail: Bool
    /// 行动不便.
    public var limitedMobility: Bool
    public var changedOn: LedgerDate

    public init(cadre: CadreID, frail: Bool, limitedMobility: Bool, changedOn: LedgerDate) {
        self.cadre = cadre
        self.frail = frail
        self.limitedMobility = limitedMobility
        self.changedOn = changedOn
    }

    public var date: LedgerDate { changedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(changedOn, today: today, "the change of health", "健康状况变更")
        let record = try Rules.livingCadre(cadre, on: changedOn, in: state)
        try ChangeOrder.check(record.healthChangedOn, changedOn, cadre: cadre, "health", "健康状况")
        guard record.frail != frail || record.limitedMobility != limitedMobility else {
            func yes(_ flag: Bool) -> String { flag ? "yes" : "no" }
            func 是(_ flag: Bool) -> String { flag ? "是" : "否" }
            throw DomainError(.cadreUnchanged,
                              english: "cadre \(cadre)'s health is already recorded as frail: \(yes(frail)), limited mobility: \(yes(limitedMobility))",
                              chinese: "离退休干部\(cadre)的健康状况已记录为年老体弱：\(是(frail))，行动不便：\(是(limitedMobility))",
                              values: ["cadre": cadre.rawValue, "frail": "\(frail)", "limitedMobility": "\(limitedMobility)"])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            HealthChanged(cadre: cadre, frail: frail, limitedMobility: limitedMobility, changedOn: changedOn),
        ])]
    }
}

/// 荣誉退休: record a cadre's honourable retirement, once.
public struct RecordHonourableRetirement: DomainCommand, Codable {
    public var cadre: CadreID
    public var honouredOn: LedgerDate

    public init(cadre: CadreID, honouredOn: LedgerDate) {
        self.cadre = cadre
        self.honouredOn = honouredOn
    }

    public var date: LedgerDate { honouredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(honouredOn, today: today, "the honourable retirement", "荣誉退休")
        let record = try Rules.livingCadre(cadre, on: honouredOn, in: state)
        if let previous = record.honourablyRetiredOn {
            throw DomainError(.honourableRetirementRecorded,
                              english: "cadre \(cadre)'s honourable retirement (荣誉退休) was already recorded on \(previous); it is recorded once",
                              chinese: "离退休干部\(cadre)已于\(previous)记录荣誉退休，不得重复记录",
                              values: ["cadre": cadre.rawValue, "honouredOn": "\(previous)"])
        }
        return [StreamWrite(stream: cadre.stream, events: [HonourableRetirementRecorded(cadre: cadre, honouredOn: honouredOn)])]
    }
}
