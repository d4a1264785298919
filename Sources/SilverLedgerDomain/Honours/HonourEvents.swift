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
        state.updateCadreDetails(cadre) { $0.medal50AwardedOn = awardedOn }
    }
}

/// 政治生日: a cadre's political birthday (the anniversary of joining the party) celebrated.
public struct PoliticalBirthdayRecorded: Event, Equatable {
    public static let eventType = "PoliticalBirthdayRecorded"
    public var cadre: CadreID
    /// Who held the ceremony (a branch, the bureau, …).
    public var organiser: String
    public var heldOn: LedgerDate
    /// Full years from joining the party (入党日期) to the ceremony: "入党N周年".
    public var yearsSinceJoining: Int
}

/// The titles of honour the bureau records.
public enum HonourTitle: String, Codable, Sendable, CaseIterable {
    /// 先进个人: for a cadre.
    case advancedIndividual
    /// 银发先锋: for a cadre.
    case silverPioneer
    /// 先进集体: for a branch.
    case advancedCollective

    /// 先进个人 / 银发先锋 / 先进集体.
    public var chinese: String {
        switch self {
        case .advancedIndividual: "先进个人"
        case .silverPioneer: "银发先锋"
        case .advancedCollective: "先进集体"
        }
    }

    /// Whether the title is given to a branch (先进集体) rather than to a cadre.
    public var isCollective: Bool { self == .advancedCollective }
}

/// The level of the body conferring an honour.
public enum HonourLevel: String, Codable, Sendable, CaseIterable {
    /// 省级
    case province
    /// 市级
    case city
    /// 县级
    case county

    /// 省级 / 市级 / 县级.
    public var chinese: String {
        switch self {
        case .province: "省级"
        case .city: "市级"
        case .county: "县级"
        }
    }
}

/// Who receives an honour: a cadre, or a branch (先进集体).
public enum HonourRecipient: Sendable, Hashable, CustomStringConvertible {
    case cadre(CadreID)
    case branch(BranchID)

    /// The stream of the recipient, where its honours are recorded.
    public var stream: String {
        switch self {
        case .cadre(let id): id.stream
        case .branch(let id): id.stream
        }
    }

    /// `cadre C1` / `branch B1`.
    public var description: String {
        switch self {
        case .cadre(let id): "cadre \(id)"
        case .branch(let id): "branch \(id)"
        }
    }

    /// 离退休干部C1 / 党支部B1.
    public var chinese: String {
        switch self {
        case .cadre(let id): "离退休干部\(id)"
        case .branch(let id): "党支部\(id)"
        }
    }
}

/// An honour as the once-only rule sees it: title, level and year.
public struct HonourKey: Codable, Sendable, Hashable {
    public var title: HonourTitle
    public var level: HonourLevel
    public var year: Int
}

/// 政治荣誉: an honour (先进个人, 银发先锋, 先进集体) of a level for a year, recorded.
///
/// Exactly one of ``cadre`` and ``branch`` is set (stored as two optionals, so
/// the payload reads `{"cadre":"C1",…}` or `{"branch":"B1",…}`).
public struct HonourRecorded: Event, Equatable {
    public static let eventType = "HonourRecorded"
    /// The cadre honoured (先进个人, 银发先锋).
    public var cadre: CadreID?
    /// The branch honoured (先进集体).
    public var branch: BranchID?
    public var title: HonourTitle
    public var level: HonourLevel
    /// The year the honour is for (评选年度).
    public var year: Int
    public var awardedOn: LedgerDate

    public init(recipient: HonourRecipient, title: HonourTitle, level: HonourLevel, year: Int, awardedOn: LedgerDate) {
        switch recipient {
        case .cadre(let id): cadre = id
        case .branch(let id): branch = id
        }
        self.title = title
        self.level = level
        self.year = year
        self.awardedOn = awardedOn
    }

    /// The cadre or branch honoured.
    public var recipient: HonourRecipient {
        if let cadre { return .cadre(cadre) }
        return .branch(branch ?? BranchID(""))
    }

    public var key: HonourKey { HonourKey(title: title, level: level, year: year) }
}

extension PoliticalBirthdayRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.updateCadreDetails(cadre) { $0.lastPoliticalBirthdayOn.keepLatest(heldOn) }
    }
}

extension HonourRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        switch recipient {
        case .cadre(let cadre): state.updateCadreDetails(cadre) { $0.honours.insert(key) }
        case .branch(let branch): state.contribution.collectiveHonours.insert(.init(branch: branch, honour: key))
        }
    }
}

/// The events of honours (政治荣誉).
enum HonourEvents {
    static let all: [any DomainEvent.Type] = [Medal50Awarded.self, PoliticalBirthdayRecorded.self, HonourRecorded.self]
}
