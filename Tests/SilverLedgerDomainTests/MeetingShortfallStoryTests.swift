import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// The story "a quarter of meetings that falls short of 三会一课", told as
/// commands. Branch B0068 (five members; committee 郑克勤 secretary, 韩素梅,
/// 何永福, elected in January 2023):
///
/// - 2024 Q1, complete: a committee meeting (支委会) and a group meeting
///   (党小组会) each month, a general meeting (支部党员大会) in January, which
///   何永福 misses (行动不便) and is taken its study at home (送学上门) three
///   days later, and a party lecture (党课) in March.
/// - 2024 Q2, short: committee meetings in April and June only (none in May),
///   a group meeting in April only, a party lecture in May, which 韩素梅
///   misses (in hospital) and is taken home in June, a theme day (主题党日) in
///   May, which counts for none of the four, and no general meeting at all.
private func tellMeetingShortfall(_ ledger: Ledger) async throws {
    func run(_ command: some DomainCommand, _ id: String) async throws {
        try await ledger.execute(command, by: "op-党建办", commandID: id)
    }
    func meeting(_ id: String, _ kind: MeetingType, _ topic: String, on day: String, _ attendees: [CadreID],
                 absent: [MeetingAbsence] = []) async throws {
        try await run(RecordMeeting(meeting: id, branch: "B0068", kind: kind, topic: topic, heldOn: date(day),
                                    attendees: attendees, absentees: absent), "story3-\(id)")
    }
    func elect(_ role: BranchRole, _ cadre: CadreID, entitled: Int, present: Int, votes: Int, _ id: String) async throws {
        try await run(ElectOfficer(branch: "B0068", role: role, cadre: cadre, electedOn: date("2023-01-10"),
                                   entitled: entitled, present: present, votesFor: votes), id)
    }

    try await run(EstablishBranch(branch: "B0068", name: "省交通运输厅离退休干部第一党支部", type: .standalone,
                                  parentOrganisation: "省交通运输厅机关党委", establishedOn: date("2020-05-06")), "story3-001")
    for (id, name, born, retired, joined, full) in [
        ("C000401", "郑克勤", "1951-05-12", "2011-06-01", "1976-10-08", "1977-10-08"),
        ("C000402", "韩素梅", "1955-11-30", "2010-12-01", "1980-07-01", "1981-07-01"),
        ("C000403", "何永福", "1949-08-16", "2009-09-01", "1974-12-26", "1975-12-26"),
        ("C000404", "邓淑华", "1958-02-14", "2013-03-01", "1985-05-20", "1986-05-20"),
        ("C000405", "曹德胜", "1953-03-09", "2013-04-01", "1979-04-05", "1980-04-05"),
    ] {
        let cadre = CadreID(id)
        try await run(RegisterCadre(cadre: cadre, name: name, category: .tuixiu, birthDate: date(born), formerLevel: .county,
                                    formerUnit: "省交通运输厅", retiredOn: date(retired), residence: "杭州市拱墅区",
                                    registeredOn: date("2020-05-08")), "story3-reg-\(id)")
        try await run(RecordPartyMembership(cadre: cadre, joinedOn: date(joined), fullMemberOn: date(full), recordedOn: date("2020-05-08")),
                      "story3-party-\(id)")
        try await run(AddMember(branch: "B0068", cadre: cadre, addedOn: date("2020-05-12")), "story3-add-\(id)")
    }
    try await elect(.committeeMember, "C000401", entitled: 5, present: 5, votes: 5, "story3-002")
    try await elect(.committeeMember, "C000402", entitled: 5, present: 5, votes: 5, "story3-003")
    try await elect(.committeeMember, "C000403", entitled: 5, present: 5, votes: 4, "story3-004")
    try await elect(.secretary, "C000401", entitled: 3, present: 3, votes: 3, "story3-005")

    let committee: [CadreID] = ["C000401", "C000402", "C000403"]
    let everyone: [CadreID] = ["C000401", "C000402", "C000403", "C000404", "C000405"]
    // Q1: complete.
    try await meeting("B0068-2024-01-committee", .committeeMeeting, "研究年度党建工作计划", on: "2024-01-09", committee)
    try await meeting("B0068-2024-01-group", .groupMeeting, "学习二十届二中全会精神", on: "2024-01-16", everyone)
    try await meeting("B0068-2024-Q1-general", .generalMeeting, "年度组织生活会和民主评议党员", on: "2024-01-23",
                      ["C000401", "C000402", "C000404", "C000405"], absent: [MeetingAbsence(cadre: "C000403", reason: "行动不便")])
    try await run(DeliverStudyAtHome(meeting: "B0068-2024-Q1-general", cadre: "C000403", deliveredOn: date("2024-01-26")), "story3-006")
    try await meeting("B0068-2024-02-committee", .committeeMeeting, "春节走访慰问安排", on: "2024-02-20", committee)
    try await meeting("B0068-2024-02-group", .groupMeeting, "学习党章", on: "2024-02-27", everyone)
    try await meeting("B0068-2024-03-committee", .committeeMeeting, "研究党纪学习教育安排", on: "2024-03-05", committee)
    try await meeting("B0068-2024-03-group", .groupMeeting, "学习《中国共产党纪律处分条例》", on: "2024-03-12", everyone)
    try await meeting("B0068-2024-Q1-lecture", .partyLecture, "书记讲党课：永葆共产党员政治本色", on: "2024-03-26", everyone)
    // Q2: no committee meeting in May, no group meeting in May or June, no general meeting.
    try await meeting("B0068-2024-04-committee", .committeeMeeting, "研究二季度工作", on: "2024-04-09", committee)
    try await meeting("B0068-2024-04-group", .groupMeeting, "党纪学习教育读书班", on: "2024-04-16", everyone)
    try await meeting("B0068-2024-Q2-lecture", .partyLecture, "党纪学习教育专题党课", on: "2024-05-14",
                      ["C000401", "C000403", "C000404", "C000405"], absent: [MeetingAbsence(cadre: "C000402", reason: "住院治疗")])
    try await meeting("B0068-2024-05-themeday", .themeDay, "参观红色教育基地", on: "2024-05-28", everyone)
    try await run(DeliverStudyAtHome(meeting: "B0068-2024-Q2-lecture", cadre: "C000402", deliveredOn: date("2024-06-04")), "story3-007")
    try await meeting("B0068-2024-06-committee", .committeeMeeting, "研究七一活动安排", on: "2024-06-11", committee)
}

@Suite("Fixture story: a quarter of meetings that falls short of 三会一课")
struct MeetingShortfallStoryTests {
    /// Positions in the fixture (each command writes one event).
    private enum At {
        /// Before the Q1 general meeting (event 22).
        static let beforeQ1General: UInt64 = 22
        /// Before the study at home for the Q1 general meeting (event 23).
        static let beforeQ1StudyAtHome: UInt64 = 23
        /// Before the Q1 party lecture (event 28).
        static let beforeQ1Lecture: UInt64 = 28
        /// After the first quarter (events 0-28).
        static let endOfQ1: UInt64 = 29
        /// Every event.
        static let end: UInt64 = 35
    }

    @Test func theSecondQuarterFallsShort() async throws {
        let text = try await fixtureText("meeting-shortfall.jsonl", tellMeetingShortfall)
        let dir = fixtureDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, ledger, report) = try await openFixture(text, at: dir)
        defer { try? store.close() }
        #expect(report.positions == 0..<At.end)
        #expect(report.commands == Int(At.end))

        // Q1 is complete.
        let now = try ledger.view()
        let q1 = try #require(now.compliance(year: 2024, quarter: 1).first)
        #expect(q1.branch == "B0068")
        #expect(q1.compliant)
        #expect(q1.generalMeetings == 1 && q1.partyLectures == 1)
        #expect(q1.committeeMeetingsPerMonth == [1, 1, 1] && q1.groupMeetingsPerMonth == [1, 1, 1])
        // Q2 falls short: no general meeting; a committee meeting missing in May,
        // group meetings missing in May and June; the theme day counts for none.
        let q2 = try #require(now.compliance(year: 2024, quarter: 2).first)
        #expect(!q2.compliant)
        #expect(q2.generalMeetings == 0 && q2.partyLectures == 1)
        #expect(q2.committeeMeetingsPerMonth == [1, 0, 1] && q2.groupMeetingsPerMonth == [1, 0, 0])
        #expect(q2.shortfalls == [
            .init(kind: .generalMeeting, required: 1, held: 0, monthsMissing: []),
            .init(kind: .committeeMeeting, required: 3, held: 2, monthsMissing: [5]),
            .init(kind: .groupMeeting, required: 3, held: 1, monthsMissing: [5, 6]),
        ])
        // Attendance in 2024: 53 present at 13 meetings, 2 absent (both taken their study at home).
        let attendance = try #require(now.attendance(in: 2024).first)
        #expect(attendance.attendances == 53 && attendance.absences == 2)
        #expect(attendance.rate == 53.0 / 55.0)
        #expect(now.state.organisationalLife.awaitingStudy.isEmpty)
        #expect(now.yearSummary(2024).sections[1].counts == ["MeetingRecorded": 13, "StudyDeliveredAtHome": 2])
        // 韩素梅's history: her registration, membership and election, every meeting she was
        // named at (12 attended, 1 absent), the study taken to her home.
        let han = try ledger.auditHistory(of: CadreID("C000402"))
        #expect(han.prefix(4).map(\.eventType) == ["CadreRegistered", "PartyMembershipRecorded", "MemberAdded", "OfficerElected"])
        #expect(han.filter { $0.eventType == "MeetingRecorded" }.count == 13)
        #expect(han.last?.eventType == "MeetingRecorded" && han.last?.commandID == "story3-B0068-2024-06-committee")
        #expect(han.filter { $0.eventType == "StudyDeliveredAtHome" }.map(\.commandID) == ["story3-007"])

        // The twelve questions at the end of the short quarter.
        let answers = try StoryAnswers(now, of: ledger, on: date("2024-06-30"), auditing: ["C000402", "C000403"], ["B0068"])
        try expectGolden(answers, "meeting-shortfall.queries.json")

        // As of earlier positions: before the March party lecture Q1 was short of
        // it; before the January general meeting, of everything but January's
        // committee and group meetings.
        let beforeLecture = try ledger.view(asOf: .position(At.beforeQ1Lecture))
        #expect(beforeLecture.compliance(year: 2024, quarter: 1).first?.shortfalls == [
            .init(kind: .partyLecture, required: 1, held: 0, monthsMissing: []),
        ])
        let beforeGeneral = try #require(try ledger.view(asOf: .position(At.beforeQ1General)).compliance(year: 2024, quarter: 1).first)
        #expect(beforeGeneral.shortfalls == [
            .init(kind: .generalMeeting, required: 1, held: 0, monthsMissing: []),
            .init(kind: .partyLecture, required: 1, held: 0, monthsMissing: []),
            .init(kind: .committeeMeeting, required: 3, held: 1, monthsMissing: [2, 3]),
            .init(kind: .groupMeeting, required: 3, held: 1, monthsMissing: [2, 3]),
        ])
        #expect(try ledger.view(asOf: .position(At.endOfQ1)).compliance(year: 2024, quarter: 1).first?.compliant == true)
        // 何永福 awaited his study at home for three days.
        let awaiting = try ledger.view(asOf: .position(At.beforeQ1StudyAtHome)).state.organisationalLife.awaitingStudy
        #expect(awaiting["B0068-2024-Q1-general"]?.absentees == ["C000403"])
        #expect(try ledger.view(asOf: .position(At.beforeQ1StudyAtHome + 1)).state.organisationalLife.awaitingStudy.isEmpty)

        // With a snapshot at the end of Q1, the same answers.
        try store.saveSnapshot(store.project(DomainState.self, asOf: .position(At.endOfQ1)))
        let fromSnapshot = try store.project(DomainState.self)
        #expect(fromSnapshot.usedSnapshot)
        #expect(fromSnapshot.eventsApplied == At.end - At.endOfQ1)
        let snapshotView = LedgerView(state: fromSnapshot.projection, position: fromSnapshot.position)
        #expect(snapshotView.compliance(year: 2024, quarter: 2) == now.compliance(year: 2024, quarter: 2))
        let fromSnapshotAnswers = try StoryAnswers(snapshotView, of: ledger, on: date("2024-06-30"), auditing: ["C000402", "C000403"], ["B0068"])
        #expect(try fromSnapshotAnswers.json() == answers.json())

        // Refused on the loaded store, writing nothing: the study was already taken to
        // 韩素梅; 邓淑华 was present, so has none awaiting; a member cannot be both
        // present and absent.
        await expectEachRefusedWritingNothing(ledger, [
            ("delivered twice", DeliverStudyAtHome(meeting: "B0068-2024-Q2-lecture", cadre: "C000402", deliveredOn: date("2024-06-20")),
             .noPendingAbsence),
            ("not absent", DeliverStudyAtHome(meeting: "B0068-2024-Q2-lecture", cadre: "C000404", deliveredOn: date("2024-06-20")),
             .noPendingAbsence),
            ("present and absent", RecordMeeting(meeting: "B0068-2024-Q2-general-late", branch: "B0068", kind: .generalMeeting,
                                                 heldOn: date("2024-06-25"), attendees: ["C000401", "C000402"],
                                                 absentees: [MeetingAbsence(cadre: "C000402", reason: "住院治疗")]),
             .duplicateName),
        ])
        #expect(store.nextPosition == At.end)
    }
}
