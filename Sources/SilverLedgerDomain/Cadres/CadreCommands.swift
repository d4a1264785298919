import SilverLedger

/// 登记离退休干部: enter a cadre in the register.
public struct RegisterCadre: DomainCommand, Codable {
    public var cadre: CadreID
    public var name: String
    public var category: CadreCategory
    public var birthDate: LedgerDate
    public var formerLevel: FormerLevel
    public var formerUnit: String
    public var retiredOn: LedgerDate
    public var residence: String
    public var registeredOn: LedgerDate

    public init(cadre: CadreID, name: String, category: CadreCategory, birthDate: LedgerDate, formerLevel: FormerLevel,
                formerUnit: String, retiredOn: LedgerDate, residence: String, registeredOn: LedgerDate) {
        self.cadre = cadre
        self.name = name
        self.category = category
        self.birthDate = birthDate
        self.formerLevel = formerLevel
        self.formerUnit = formerUnit
        self.retiredOn = retiredOn
        self.residence = residence
        self.registeredOn = registeredOn
    }

    public var date: LedgerDate { registeredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        guard state.cadres[cadre] == nil else {
            throw DomainError(.cadreAlreadyRegistered, english: "cadre \(cadre) is already registered", chinese: "离退休干部\(cadre)已登记",
                              values: ["cadre": cadre.rawValue])
        }
        try Rules.nonEmpty(cadre.rawValue, "cadre id", "干部编号")
        try Rules.nonEmpty(name, "name", "姓名")
        try Rules.nonEmpty(formerUnit, "former unit", "原工作单位")
        try Rules.nonEmpty(residence, "residence", "居住地")
        try Rules.notInFuture(registeredOn, today: today, "registration", "登记")
        try Rules.ordered(birthDate, "birth date", "出生日期", retiredOn, "retirement date", "离退休日期", strictly: true)
        try Rules.ordered(retiredOn, "retirement date", "离退休日期", registeredOn, "registration date", "登记日期")
        let event = CadreRegistered(cadre: cadre, name: name, category: category, birthDate: birthDate, formerLevel: formerLevel,
                                    formerUnit: formerUnit, retiredOn: retiredOn, residence: residence, registeredOn: registeredOn)
        return [StreamWrite(stream: cadre.stream, expectedVersion: .noStream, events: [event])]
    }
}

/// 记录党员信息: record a cadre's party membership (入党, 转正).
public struct RecordPartyMembership: DomainCommand, Codable {
    public var cadre: CadreID
    public var joinedOn: LedgerDate
    public var fullMemberOn: LedgerDate
    public var recordedOn: LedgerDate

    public init(cadre: CadreID, joinedOn: LedgerDate, fullMemberOn: LedgerDate, recordedOn: LedgerDate) {
        self.cadre = cadre
        self.joinedOn = joinedOn
        self.fullMemberOn = fullMemberOn
        self.recordedOn = recordedOn
    }

    public var date: LedgerDate { recordedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(recordedOn, today: today, "the membership record", "党员信息记录")
        let record = try Rules.livingCadre(cadre, on: recordedOn, in: state)
        if let m = record.membership {
            throw DomainError(.membershipAlreadyRecorded,
                              english: "party membership of cadre \(cadre) is already recorded (joined \(m.joinedOn), full member \(m.fullMemberOn)); correct it with a reason instead",
                              chinese: "离退休干部\(cadre)的党员信息已记录（入党\(m.joinedOn)，转正\(m.fullMemberOn)），如有错误请说明理由后更正",
                              values: ["cadre": cadre.rawValue, "joinedOn": "\(m.joinedOn)", "fullMemberOn": "\(m.fullMemberOn)"])
        }
        try MembershipDates.check(joinedOn: joinedOn, fullMemberOn: fullMemberOn, birthDate: record.birthDate, recordedOn: recordedOn)
        return [StreamWrite(stream: cadre.stream, events: [
            PartyMembershipRecorded(cadre: cadre, joinedOn: joinedOn, fullMemberOn: fullMemberOn, recordedOn: recordedOn),
        ])]
    }
}

/// 更正党员信息: correct recorded membership dates, with a reason; the old dates stay in the history.
public struct CorrectPartyMembership: DomainCommand, Codable {
    public var cadre: CadreID
    public var joinedOn: LedgerDate
    public var fullMemberOn: LedgerDate
    public var reason: String
    public var correctedOn: LedgerDate

    public init(cadre: CadreID, joinedOn: LedgerDate, fullMemberOn: LedgerDate, reason: String, correctedOn: LedgerDate) {
        self.cadre = cadre
        self.joinedOn = joinedOn
        self.fullMemberOn = fullMemberOn
        self.reason = reason
        self.correctedOn = correctedOn
    }

    public var date: LedgerDate { correctedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(correctedOn, today: today, "the correction", "更正")
        try Rules.nonEmpty(reason, "reason", "更正理由")
        let record = try Rules.registeredCadre(cadre, in: state)
        // A correction fixes the record; it may be made after the cadre's death.
        guard let previous = record.membership else {
            throw DomainError(.notAPartyMember, english: "cadre \(cadre) has no party membership recorded to correct",
                              chinese: "离退休干部\(cadre)没有可更正的党员信息", values: ["cadre": cadre.rawValue])
        }
        try Rules.notBeforeRegistration(record, correctedOn)
        try MembershipDates.check(joinedOn: joinedOn, fullMemberOn: fullMemberOn, birthDate: record.birthDate, recordedOn: correctedOn)
        guard previous.joinedOn != joinedOn || previous.fullMemberOn != fullMemberOn else {
            throw DomainError(.invalidValue, english: "the correction of cadre \(cadre)'s membership changes nothing",
                              chinese: "对离退休干部\(cadre)党员信息的更正与原记录相同", values: ["cadre": cadre.rawValue])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            PartyMembershipCorrected(cadre: cadre, previousJoinedOn: previous.joinedOn, previousFullMemberOn: previous.fullMemberOn,
                                     joinedOn: joinedOn, fullMemberOn: fullMemberOn, reason: reason, correctedOn: correctedOn),
        ])]
    }
}

/// 记录去世: record a cadre's death.
public struct RecordDeath: DomainCommand, Codable {
    public var cadre: CadreID
    public var diedOn: LedgerDate
    public var recordedOn: LedgerDate

    public init(cadre: CadreID, diedOn: LedgerDate, recordedOn: LedgerDate) {
        self.cadre = cadre
        self.diedOn = diedOn
        self.recordedOn = recordedOn
    }

    public var date: LedgerDate { recordedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(recordedOn, today: today, "the death record", "去世记录")
        try Rules.ordered(diedOn, "date of death", "去世日期", recordedOn, "record date", "记录日期")
        // Alive until `diedOn`: the registration must come before it, and no earlier death.
        let record = try Rules.livingCadre(cadre, on: diedOn, in: state)
        // Nor may it come before what is already recorded of the cadre (the same day may: a visit on the day of death).
        if let latest = record.latestRecordOn, diedOn < latest.date {
            throw DomainError(.invalidDates,
                              english: "cadre \(cadre) cannot have died on \(diedOn): \(latest.what) is recorded on \(latest.date)",
                              chinese: "离退休干部\(cadre)的去世日期\(diedOn)早于已有记录（\(latest.什么)，\(latest.date)）",
                              values: ["cadre": cadre.rawValue, "diedOn": "\(diedOn)", "latestRecordOn": "\(latest.date)", "record": latest.what])
        }
        return [StreamWrite(stream: cadre.stream, events: [DeathRecorded(cadre: cadre, diedOn: diedOn, recordedOn: recordedOn)])]
    }
}

/// The order membership dates must be in.
enum MembershipDates {
    static func check(joinedOn: LedgerDate, fullMemberOn: LedgerDate, birthDate: LedgerDate, recordedOn: LedgerDate) throws(DomainError) {
        try Rules.ordered(birthDate, "birth date", "出生日期", joinedOn, "join date", "入党日期", strictly: true)
        try Rules.ordered(joinedOn, "join date", "入党日期", fullMemberOn, "full-membership date", "转正日期")
        try Rules.ordered(fullMemberOn, "full-membership date", "转正日期", recordedOn, "record date", "记录日期")
    }
}
