import SilverLedger

/// What the rules of organisational life (组织生活, "三会一课") need to know.
///
/// Only what validation needs is kept: a province holds some 30,000 branches
/// × 30 meetings a year × 10 years, so meetings themselves are not kept here
/// (their ids are guarded by their streams, `meeting-<id>`, which must not
/// exist yet). What stays is the absences still awaiting study at home
/// (送学上门), which leave as they are delivered, and the years in which each
/// cadre was evaluated (民主评议党员).
public struct OrganisationalLifeState: Codable, Sendable, Hashable {
    /// A meeting with absentees who have not yet been delivered its study at home.
    public struct AwaitingStudy: Codable, Sendable, Hashable {
        public var branch: BranchID
        public var heldOn: LedgerDate
        /// The absentees not yet delivered the study, in the meeting's order.
        public var absentees: [CadreID]
    }

    /// By meeting id: meetings with absences awaiting study at home; a meeting
    /// leaves when its last absentee is delivered.
    public var awaitingStudy: [MeetingID: AwaitingStudy] = [:]
    /// By cadre: the years evaluated (民主评议党员), each with its evaluation date.
    public var evaluations: [CadreID: [Int: LedgerDate]] = [:]
    /// By branch: meetings held per month, for "三会一课" compliance.
    public var meetingsByMonth: [BranchID: MonthlyMeetings] = [:]

    /// A branch's meetings counted per calendar month, in 16 bytes a month.
    public struct MonthlyMeetings: Codable, Sendable, Hashable {
        /// The first month counted, as `year × 12 + month − 1`.
        public var firstMonth: Int
        /// Per month from ``firstMonth``: meetings of each kind, attendances and absences.
        public var months: [MonthCounts] = []

        /// The counts of the month holding `date` (zero if none were recorded).
        public func counts(in year: Int, month: Int) -> MonthCounts {
            let i = year * 12 + month - 1 - firstMonth
            return months.indices.contains(i) ? months[i] : MonthCounts()
        }

        mutating func add(_ kind: MeetingType, on heldOn: LedgerDate, attendances: Int, absences: Int) {
            let (year, month, _) = heldOn.components
            let key = year * 12 + month - 1
            if months.isEmpty { firstMonth = key }
            if key < firstMonth {
                months.insert(contentsOf: repeatElement(MonthCounts(), count: firstMonth - key), at: 0)
                firstMonth = key
            }
            let i = key - firstMonth
            if i >= months.count { months.append(contentsOf: repeatElement(MonthCounts(), count: i - months.count + 1)) }
            months[i].add(kind, attendances: attendances, absences: absences)
        }
    }

    /// One month of a branch's meetings.
    public struct MonthCounts: Codable, Sendable, Hashable {
        public var generalMeetings: UInt16 = 0
        public var committeeMeetings: UInt16 = 0
        public var groupMeetings: UInt16 = 0
        public var partyLectures: UInt16 = 0
        public var themeDays: UInt16 = 0
        public var organisationalLifeMeetings: UInt16 = 0
        public var attendances: UInt32 = 0
        public var absences: UInt32 = 0

        public init() {}

        mutating func add(_ kind: MeetingType, attendances: Int, absences: Int) {
            switch kind {
            case .generalMeeting: generalMeetings &+= 1
            case .committeeMeeting: committeeMeetings &+= 1
            case .groupMeeting: groupMeetings &+= 1
            case .partyLecture: partyLectures &+= 1
            case .themeDay: themeDays &+= 1
            case .organisationalLifeMeeting: organisationalLifeMeetings &+= 1
            }
            self.attendances &+= UInt32(attendances)
            self.absences &+= UInt32(absences)
        }
    }

    public init() {}
}

/// "三会一课" and the other meetings of a branch's organisational life.
public enum MeetingType: String, Codable, Sendable, CaseIterable {
    /// 支部党员大会
    case generalMeeting
    /// 支委会
    case committeeMeeting
    /// 党小组会
    case groupMeeting
    /// 党课
    case partyLecture
    /// 主题党日
    case themeDay
    /// 组织生活会
    case organisationalLifeMeeting

    /// 支部党员大会, 支委会, 党小组会, 党课, 主题党日, 组织生活会.
    public var chinese: String {
        switch self {
        case .generalMeeting: "支部党员大会"
        case .committeeMeeting: "支委会"
        case .groupMeeting: "党小组会"
        case .partyLecture: "党课"
        case .themeDay: "主题党日"
        case .organisationalLifeMeeting: "组织生活会"
        }
    }
}

/// 民主评议党员的评定等次.
public enum EvaluationRating: String, Codable, Sendable, CaseIterable {
    /// 优秀
    case excellent
    /// 合格
    case qualified
    /// 基本合格
    case basicallyQualified
    /// 不合格
    case unqualified

    /// 优秀, 合格, 基本合格, 不合格.
    public var chinese: String {
        switch self {
        case .excellent: "优秀"
        case .qualified: "合格"
        case .basicallyQualified: "基本合格"
        case .unqualified: "不合格"
        }
    }
}

/// A member who missed a meeting, and why (缺席原因).
public struct MeetingAbsence: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var reason: String

    public init(cadre: CadreID, reason: String) {
        self.cadre = cadre
        self.reason = reason
    }
}

/// 组织生活: a meeting of a branch, with who attended and who was absent (with the reason).
public struct MeetingRecorded: Event, Equatable {
    public static let eventType = "MeetingRecorded"
    public var meeting: String
    public var branch: BranchID
    public var kind: MeetingType
    /// 会议主题 (may be empty).
    public var topic: String
    public var heldOn: LedgerDate
    public var attendees: [CadreID]
    public var absentees: [MeetingAbsence]
}

/// 送学上门: the study of a meeting taken to the home of a member who missed it (in the meeting's stream).
public struct StudyDeliveredAtHome: Event, Equatable {
    public static let eventType = "StudyDeliveredAtHome"
    public var meeting: String
    public var branch: BranchID
    public var cadre: CadreID
    /// The date of the meeting missed.
    public var heldOn: LedgerDate
    public var deliveredOn: LedgerDate
}

/// 民主评议党员: a member's rating for a year (in the cadre's stream).
public struct DemocraticEvaluationRecorded: Event, Equatable {
    public static let eventType = "DemocraticEvaluationRecorded"
    public var branch: BranchID
    public var cadre: CadreID
    public var year: Int
    public var rating: EvaluationRating
    public var evaluatedOn: LedgerDate
}

extension MeetingRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.organisationalLife.recordMeeting(MeetingID(meeting), of: branch, kind, on: heldOn, attendances: attendees.count,
                                               absentees: absentees.map(\.cadre))
    }
}

extension StudyDeliveredAtHome: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.organisationalLife.deliverStudy(of: MeetingID(meeting), to: cadre)
    }
}

extension DemocraticEvaluationRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.organisationalLife.evaluations[cadre, default: [:]][year] = evaluatedOn
    }
}

extension OrganisationalLifeState {
    /// Counts a meeting in its branch's month and, if members missed it,
    /// keeps them as awaiting its study (``MeetingRecorded``; a rebuild
    /// calls this with what it read of the event, the ledger through the event).
    mutating func recordMeeting(_ meeting: @autoclosure () -> MeetingID, of branch: BranchID, _ kind: MeetingType, on heldOn: LedgerDate,
                                attendances: Int, absentees: [CadreID]) {
        meetingsByMonth[branch, default: .init(firstMonth: 0)].add(kind, on: heldOn, attendances: attendances, absences: absentees.count)
        guard !absentees.isEmpty else { return }
        awaitingStudy[meeting()] = .init(branch: branch, heldOn: heldOn, absentees: absentees)
    }

    /// The study of `meeting` was taken to `cadre` (``StudyDeliveredAtHome``).
    mutating func deliverStudy(of meeting: MeetingID, to cadre: CadreID) {
        // In place: a copy taken out and written back would copy the absentees too.
        guard let i = awaitingStudy.index(forKey: meeting) else { return }
        awaitingStudy.values[i].absentees.removeAll { $0 == cadre }
        if awaitingStudy.values[i].absentees.isEmpty { awaitingStudy.remove(at: i) }
    }
}

/// The events of organisational life.
enum OrganisationalLifeEvents {
    static let all: [any DomainEvent.Type] = [MeetingRecorded.self, StudyDeliveredAtHome.self, DemocraticEvaluationRecorded.self]
}
