import Foundation
import SilverLedger

extension DomainError.Code {
    /// 送学上门: the cadre has no absence from the meeting awaiting study at home
    /// (not an absentee, already delivered, or no such meeting with absentees).
    public static let noPendingAbsence = DomainError.Code(rawValue: "meeting.noPendingAbsence")
    /// 民主评议党员: the evaluation date is outside the year evaluated and the first quarter of the next.
    public static let evaluationOutOfPeriod = DomainError.Code(rawValue: "evaluation.period")
    /// 民主评议党员: the cadre was already evaluated for that year.
    public static let evaluationAlreadyRecorded = DomainError.Code(rawValue: "evaluation.alreadyRecorded")
}

/// 记录组织生活 ("三会一课"): a meeting of a branch with its attendees and its
/// absentees (each with a reason).
///
/// The branch is active on the meeting date; there is at least one attendee;
/// every attendee and absentee is a registered cadre, alive on that date and a
/// member of the branch on it, named once across both lists. The meeting is
/// its own stream, `meeting-<id>`: an id is used once.
public struct RecordMeeting: DomainCommand, Codable {
    public var meeting: String
    public var branch: BranchID
    public var kind: MeetingType
    public var topic: String
    public var heldOn: LedgerDate
    public var attendees: [CadreID]
    public var absentees: [MeetingAbsence]

    public init(meeting: String, branch: BranchID, kind: MeetingType, topic: String = "", heldOn: LedgerDate,
                attendees: [CadreID], absentees: [MeetingAbsence] = []) {
        self.meeting = meeting
        self.branch = branch
        self.kind = kind
        self.topic = topic
        self.heldOn = heldOn
        self.attendees = attendees
        self.absentees = absentees
    }

    public var date: LedgerDate { heldOn }

    /// The meeting's stream: `meeting-<id>`.
    public var stream: String { Self.stream(meeting) }

    /// The stream of meeting `id`.
    public static func stream(_ id: String) -> String { "meeting-" + id }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(meeting, "meeting id", "会议编号")
        try Rules.notInFuture(heldOn, today: today, "the \(kind.rawValue)", kind.chinese)
        _ = try Rules.activeBranch(branch, on: heldOn, in: state)
        guard !attendees.isEmpty else {
            throw DomainError(.invalidValue, english: "a meeting (\(kind.rawValue)) of branch \(branch) needs at least one attendee",
                              chinese: "党支部\(branch)的\(kind.chinese)须至少有一名参会党员",
                              values: ["meeting": meeting, "branch": branch.rawValue])
        }
        // The closures below read the lists, not `self`: one that reads `self`
        // gets a copy of the whole command.
        let attendees = self.attendees
        // The reasons trimmed; the list copied only if one of them changes.
        var absences = absentees
        for i in absences.indices {
            let reason = absences[i].reason.trimmed
            if reason.utf8.count != absences[i].reason.utf8.count { absences[i].reason = reason }
            try Rules.nonEmpty(reason, "the reason of \(absences[i].cadre)'s absence", "\(absences[i].cadre)的缺席原因")
        }
        if let k = Rules.firstRepeat(count: attendees.count + absences.count, { k in
            k < attendees.count ? attendees[k] : absences[k - attendees.count].cadre
        }) {
            guard k >= attendees.count else { throw named(attendees[k], "attendee", "参会", again: "attendee", "参会") }
            let cadre = absences[k - attendees.count].cadre
            let present = attendees.contains(cadre)
            throw named(cadre, present ? "attendee" : "absentee", present ? "参会" : "缺席", again: "absentee", "缺席")
        }
        try Rules.livingMembers(attendees.count + absences.count, {
            $0 < attendees.count ? attendees[$0] : absences[$0 - attendees.count].cadre
        }, of: branch, on: heldOn, in: state)
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [
            MeetingRecorded(meeting: meeting, branch: branch, kind: kind, topic: topic.trimmed, heldOn: heldOn,
                            attendees: attendees, absentees: absences),
        ])]
    }

    /// A member named a second time, first in the list `first`, then in `again`.
    private func named(_ cadre: CadreID, _ first: String, _ 名单: String, again: String, _ 再: String) -> DomainError {
        let both = first == again ? "twice as \(again)" : "both as \(first) and as \(again)"
        let 两次 = first == again ? "在\(再)名单中出现两次" : "同时出现在\(名单)和\(再)名单中"
        return DomainError(.duplicateName,
                           english: "cadre \(cadre) is named \(both) of meeting \(meeting); each member is named once",
                           chinese: "离退休干部\(cadre)\(两次)（会议\(meeting)），每人只能出现一次",
                           values: ["cadre": cadre.rawValue, "meeting": meeting])
    }
}

/// 送学上门: the study of a meeting delivered at home to a member who missed it.
///
/// The cadre was an absentee of the meeting and has not been delivered its
/// study yet; the delivery is on or after the meeting date, the cadre alive on
/// it. Recorded in the meeting's stream.
public struct DeliverStudyAtHome: DomainCommand, Codable {
    public var meeting: String
    public var cadre: CadreID
    public var deliveredOn: LedgerDate

    public init(meeting: String, cadre: CadreID, deliveredOn: LedgerDate) {
        self.meeting = meeting
        self.cadre = cadre
        self.deliveredOn = deliveredOn
    }

    public var date: LedgerDate { deliveredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(deliveredOn, today: today, "the study at home", "送学上门")
        guard let awaiting = state.organisationalLife.awaitingStudy[MeetingID(meeting)] else {
            throw DomainError(.noPendingAbsence,
                              english: "meeting \(meeting) has no absentee awaiting study at home (送学上门) for cadre \(cadre): no such meeting, it had no absentees, or every absentee has been delivered the study",
                              chinese: "会议\(meeting)没有待送学上门的缺席党员（离退休干部\(cadre)）：会议不存在、无人缺席或均已送学",
                              values: ["meeting": meeting, "cadre": cadre.rawValue])
        }
        guard awaiting.absentees.contains(cadre) else {
            let others = awaiting.absentees.map(\.rawValue).joined(separator: ", ")
            throw DomainError(.noPendingAbsence,
                              english: "cadre \(cadre) has no absence from meeting \(meeting) (\(awaiting.heldOn)) awaiting study at home (送学上门): not recorded as absent, or already delivered (awaiting: \(others))",
                              chinese: "离退休干部\(cadre)没有\(awaiting.heldOn)会议\(meeting)的待送学缺席记录：未登记缺席或已送学（待送学：\(others)）",
                              values: ["meeting": meeting, "cadre": cadre.rawValue, "heldOn": "\(awaiting.heldOn)", "awaiting": others])
        }
        try Rules.ordered(awaiting.heldOn, "the meeting", "会议日期", deliveredOn, "the study at home", "送学上门日期")
        try Rules.checkLiving(cadre, on: deliveredOn, in: state)
        return [StreamWrite(stream: RecordMeeting.stream(meeting), events: [
            StudyDeliveredAtHome(meeting: meeting, branch: awaiting.branch, cadre: cadre, heldOn: awaiting.heldOn, deliveredOn: deliveredOn),
        ])]
    }
}

/// 民主评议党员: a member's rating for a year.
///
/// The cadre is a member of the branch on the evaluation date and alive on it;
/// the evaluation is dated within the year evaluated or in the first quarter
/// of the next (by 31 March); a cadre is evaluated once per year.
public struct RecordDemocraticEvaluation: DomainCommand, Codable {
    public var branch: BranchID
    public var cadre: CadreID
    public var year: Int
    public var rating: EvaluationRating
    public var evaluatedOn: LedgerDate

    public init(branch: BranchID, cadre: CadreID, year: Int, rating: EvaluationRating, evaluatedOn: LedgerDate) {
        self.branch = branch
        self.cadre = cadre
        self.year = year
        self.rating = rating
        self.evaluatedOn = evaluatedOn
    }

    public var date: LedgerDate { evaluatedOn }

    /// Whether `date` falls within `year` or the first quarter of the next year.
    public static func isInPeriod(_ date: LedgerDate, of year: Int) -> Bool {
        let (y, m, _) = date.components
        return y == year || (y == year + 1 && m <= 3)
    }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(evaluatedOn, today: today, "the democratic evaluation", "民主评议党员")
        guard Self.isInPeriod(evaluatedOn, of: year) else {
            throw DomainError(.evaluationOutOfPeriod,
                              english: "the democratic evaluation for \(year) must be dated within \(year) or by 31 March \(year + 1) (dated \(evaluatedOn))",
                              chinese: "\(year)年度民主评议党员须在\(year)年内或\(year + 1)年3月31日前进行（评议日期\(evaluatedOn)）",
                              values: ["year": "\(year)", "evaluatedOn": "\(evaluatedOn)"])
        }
        _ = try Rules.activeBranch(branch, on: evaluatedOn, in: state)
        let record = try Rules.livingCadre(cadre, on: evaluatedOn, in: state)
        try Rules.member(record, of: branch, on: evaluatedOn)
        if let previous = state.organisationalLife.evaluations[cadre]?[year] {
            throw DomainError(.evaluationAlreadyRecorded,
                              english: "cadre \(cadre) was already evaluated for \(year) (on \(previous)); a member is evaluated once a year",
                              chinese: "离退休干部\(cadre)的\(year)年度民主评议已于\(previous)记录，每年只评议一次",
                              values: ["cadre": cadre.rawValue, "year": "\(year)", "evaluatedOn": "\(previous)"])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            DemocraticEvaluationRecorded(branch: branch, cadre: cadre, year: year, rating: rating, evaluatedOn: evaluatedOn),
        ])]
    }
}
