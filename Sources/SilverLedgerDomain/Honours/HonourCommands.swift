import SilverLedger

extension DomainError.Code {
    /// 政治生日: a ceremony for this cadre is already recorded in that calendar year.
    public static let politicalBirthdayAlreadyHeld = DomainError.Code(rawValue: "politicalBirthday.alreadyHeld")
    /// The title does not fit the recipient (先进集体 is for a branch; 先进个人 and 银发先锋 for a cadre).
    public static let honourRecipientMismatch = DomainError.Code(rawValue: "honour.recipient")
    /// The recipient already has this title at this level for this year.
    public static let honourAlreadyRecorded = DomainError.Code(rawValue: "honour.alreadyRecorded")
}

extension Rules {
    /// The cadre was a party member on `date`: membership recorded, joined on or before it.
    static func partyMember(_ cadre: CadreRecord, on date: LedgerDate, _ why: String, _ 原因: String) throws(DomainError) -> CadreRecord.Membership {
        guard let membership = cadre.membership else {
            throw DomainError(.notAPartyMember, english: "cadre \(cadre.id) is not a party member (no membership recorded); \(why)",
                              chinese: "离退休干部\(cadre.id)无党员信息记录，\(原因)", values: ["cadre": cadre.id.rawValue])
        }
        guard membership.joinedOn <= date else {
            throw DomainError(.notAPartyMember, english: "cadre \(cadre.id) joined the party on \(membership.joinedOn), after \(date); \(why)",
                              chinese: "离退休干部\(cadre.id)于\(membership.joinedOn)入党，晚于\(date)，\(原因)",
                              values: ["cadre": cadre.id.rawValue, "joinedOn": "\(membership.joinedOn)", "date": "\(date)"])
        }
        return membership
    }
}

/// 政治生日: record a ceremony for a cadre's political birthday (the anniversary of joining the party).
///
/// The cadre is a party member and alive on the date. At most one ceremony a
/// calendar year per cadre, recorded in date order.
public struct RecordPoliticalBirthday: DomainCommand, Codable {
    public var cadre: CadreID
    /// Who held the ceremony (a branch, the bureau, …).
    public var organiser: String
    public var heldOn: LedgerDate

    public init(cadre: CadreID, organiser: String, heldOn: LedgerDate) {
        self.cadre = cadre
        self.organiser = organiser
        self.heldOn = heldOn
    }

    public var date: LedgerDate { heldOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(heldOn, today: today, "the political birthday", "政治生日")
        try Rules.nonEmpty(organiser, "organiser", "组织者")
        let record = try Rules.livingCadre(cadre, on: heldOn, in: state)
        let membership = try Rules.partyMember(record, on: heldOn, "a political birthday is a party member's", "政治生日仅为党员举办")
        if let last = record.lastPoliticalBirthdayOn {
            if last.year == heldOn.year {
                throw DomainError(.politicalBirthdayAlreadyHeld,
                                  english: "cadre \(cadre)'s political birthday of \(last.year) was already celebrated on \(last); once a year",
                                  chinese: "离退休干部\(cadre)的\(last.year)年度政治生日已于\(last)举办，每年一次",
                                  values: ["cadre": cadre.rawValue, "year": "\(last.year)", "heldOn": "\(last)"])
            }
            if heldOn < last {
                throw DomainError(.invalidDates,
                                  english: "cadre \(cadre)'s last political birthday recorded was on \(last); one dated \(heldOn) cannot be recorded after it",
                                  chinese: "离退休干部\(cadre)最近一次政治生日为\(last)，不能在其后补记\(heldOn)的政治生日",
                                  values: ["cadre": cadre.rawValue, "date": "\(heldOn)", "lastHeldOn": "\(last)"])
            }
        }
        let years = PartyStanding.years(from: membership.joinedOn, to: heldOn)
        return [StreamWrite(stream: cadre.stream, events: [
            PoliticalBirthdayRecorded(cadre: cadre, organiser: organiser, heldOn: heldOn, yearsSinceJoining: years),
        ])]
    }
}

/// 政治荣誉: record an honour of a level (province, city, county) for a year.
///
/// 先进个人 and 银发先锋 go to a cadre alive on the award date; 先进集体 to a
/// branch active on it. The year is not after the award date's year (nor
/// today's), nor before the recipient's registration or establishment. The same
/// title, level and year is recorded once per recipient.
public struct RecordHonour: DomainCommand, Codable {
    public var recipient: HonourRecipient
    public var title: HonourTitle
    public var level: HonourLevel
    /// The year the honour is for (评选年度).
    public var year: Int
    public var awardedOn: LedgerDate

    public init(recipient: HonourRecipient, title: HonourTitle, level: HonourLevel, year: Int, awardedOn: LedgerDate) {
        self.recipient = recipient
        self.title = title
        self.level = level
        self.year = year
        self.awardedOn = awardedOn
    }

    public var date: LedgerDate { awardedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(awardedOn, today: today, "the honour", "荣誉授予")
        guard year <= today.year else {
            throw DomainError(.dateInFuture, english: "an honour for \(year) is for a year in the future (today is \(today))",
                              chinese: "评选年度\(year)年晚于今年（今天是\(today)）", values: ["year": "\(year)", "today": "\(today)"])
        }
        guard year <= awardedOn.year else {
            throw DomainError(.invalidDates,
                              english: "an honour for \(year) cannot be awarded on \(awardedOn), before that year; the year is at most the award date's",
                              chinese: "\(year)年度的荣誉不能在\(awardedOn)授予，评选年度不得晚于授予日期所在年份",
                              values: ["year": "\(year)", "awardedOn": "\(awardedOn)"])
        }
        let key = HonourKey(title: title, level: level, year: year)
        let since: LedgerDate
        let already: Bool
        switch recipient {
        case .cadre(let cadre):
            guard !title.isCollective else { throw mismatch() }
            let record = try Rules.livingCadre(cadre, on: awardedOn, in: state)
            since = record.registeredOn
            already = record.honours.contains(key)
        case .branch(let branch):
            guard title.isCollective else { throw mismatch() }
            let record = try Rules.activeBranch(branch, on: awardedOn, in: state)
            since = record.establishedOn
            already = state.contribution.collectiveHonours.contains(.init(branch: branch, honour: key))
        }
        guard year >= since.year else {
            throw DomainError(.dateBeforeExistence,
                              english: "an honour for \(year) is before \(recipient) existed in the records (\(since))",
                              chinese: "评选年度\(year)年早于\(recipient.chinese)的登记或成立日期（\(since)）",
                              values: ["year": "\(year)", "recipient": "\(recipient)", "since": "\(since)"])
        }
        guard !already else {
            throw DomainError(.honourAlreadyRecorded,
                              english: "\(recipient) already has the \(level.rawValue) \(title.rawValue) (\(level.chinese)\(title.chinese)) honour for \(year)",
                              chinese: "\(recipient.chinese)已获\(year)年度\(level.chinese)\(title.chinese)，不得重复记录",
                              values: ["recipient": "\(recipient)", "title": title.rawValue, "level": level.rawValue, "year": "\(year)"])
        }
        return [StreamWrite(stream: recipient.stream, events: [
            HonourRecorded(recipient: recipient, title: title, level: level, year: year, awardedOn: awardedOn),
        ])]
    }

    private func mismatch() -> DomainError {
        DomainError(.honourRecipientMismatch,
                    english: "\(title.rawValue) (\(title.chinese)) is for \(title.isCollective ? "a branch" : "a cadre"), not for \(recipient)",
                    chinese: "\(title.chinese)授予\(title.isCollective ? "党支部" : "个人")，不能授予\(recipient.chinese)",
                    values: ["title": title.rawValue, "recipient": "\(recipient)"])
    }
}

/// Written as an object with one key, the kind of recipient: `{"cadre":"C000017"}`
/// or `{"branch":"B0012"}` (the field `recipient` of ``RecordHonour``).
extension HonourRecipient: Codable {
    private enum CodingKeys: String, CodingKey { case cadre, branch }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let cadre = try container.decodeIfPresent(CadreID.self, forKey: .cadre)
        let branch = try container.decodeIfPresent(BranchID.self, forKey: .branch)
        switch (cadre, branch) {
        case (let cadre?, nil): self = .cadre(cadre)
        case (nil, let branch?): self = .branch(branch)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a recipient is an object with exactly one key, cadre or branch"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .cadre(let id): try container.encode(id, forKey: .cadre)
        case .branch(let id): try container.encode(id, forKey: .branch)
        }
    }
}
