import Foundation
import SilverLedger
@_spi(Internals) import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

/// Tests/Fixtures, beside this test target.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The story "a cadre from registration to the medal", told as commands. The
/// fixture file is these commands' events, exported; `SILVERLEDGER_WRITE_FIXTURES=1`
/// writes it again (review the diff before committing it).
private func tellCadreToMedal(_ ledger: Ledger) async throws {
    func run(_ command: some DomainCommand, _ id: String, by op: String = "op-干部处") async throws {
        try await ledger.execute(command, by: op, commandID: id)
    }
    try await run(EstablishBranch(branch: "B0007", name: "省水利厅离退休干部第一党支部", type: .standalone,
                                  parentOrganisation: "省水利厅机关党委", establishedOn: LedgerDate("2019-03-01")!), "story1-001")
    try await run(RegisterCadre(cadre: "C000017", name: "王建国", category: .tuixiu, birthDate: LedgerDate("1950-05-04")!,
                                formerLevel: .departmental, formerUnit: "省水利厅", retiredOn: LedgerDate("2010-06-01")!,
                                residence: "杭州市西湖区", registeredOn: LedgerDate("2020-01-06")!), "story1-002")
    try await run(RecordPartyMembership(cadre: "C000017", joinedOn: LedgerDate("1973-06-30")!, fullMemberOn: LedgerDate("1974-07-01")!,
                                        recordedOn: LedgerDate("2020-01-06")!), "story1-003")
    try await run(AddMember(branch: "B0007", cadre: "C000017", addedOn: LedgerDate("2020-01-10")!), "story1-004")
    try await run(LogVisit(visit: "V2023-017", cadre: "C000017", kind: .festival, channel: .inPerson, visitors: ["李处长", "张干事"],
                           notes: "春节慰问", needs: [.init(kind: .medical, description: "需要预约专家门诊")],
                           visitedOn: LedgerDate("2023-01-18")!), "story1-005", by: "op-走访组")
    try await run(FollowUpNeed(need: "V2023-017-1", action: "已预约省人民医院专家门诊", resolved: true,
                               followedUpOn: LedgerDate("2023-02-02")!), "story1-006")
    // A correction found in the archive: full membership a day later than first recorded.
    try await run(CorrectPartyMembership(cadre: "C000017", joinedOn: LedgerDate("1973-06-30")!, fullMemberOn: LedgerDate("1974-07-02")!,
                                         reason: "档案核对：转正日期为1974年7月2日", correctedOn: LedgerDate("2024-03-12")!), "story1-007")
    try await run(AwardMedal50(cadre: "C000017", awardedOn: LedgerDate("2024-07-02")!), "story1-008", by: "op-组织处")
}

/// The story "a mobile member out and back": away to his daughter's city,
/// accepted there, absent from a general meeting and taken its study at home,
/// then back and at the next meeting.
private func tellMobileMemberOutAndBack(_ ledger: Ledger) async throws {
    func run(_ command: some DomainCommand, _ id: String) async throws {
        try await ledger.execute(command, by: "op-组织员", commandID: id)
    }
    try await run(EstablishBranch(branch: "B0031", name: "省教育厅离退休干部第二党支部", type: .joint,
                                  parentOrganisation: "省教育厅机关党委", establishedOn: LedgerDate("2018-09-01")!), "story4-001")
    for (i, (id, name)) in [("C000201", "陈明"), ("C000202", "刘芳")].enumerated() {
        try await run(RegisterCadre(cadre: CadreID(id), name: name, category: .tuixiu, birthDate: LedgerDate("1952-0\(i + 3)-15")!,
                                    formerLevel: .county, formerUnit: "省教育厅", retiredOn: LedgerDate("2012-0\(i + 3)-15")!,
                                    residence: "杭州市拱墅区", registeredOn: LedgerDate("2019-01-07")!), "story4-reg-\(id)")
        try await run(RecordPartyMembership(cadre: CadreID(id), joinedOn: LedgerDate("1978-05-04")!, fullMemberOn: LedgerDate("1979-05-04")!,
                                            recordedOn: LedgerDate("2019-01-07")!), "story4-party-\(id)")
        try await run(AddMember(branch: "B0031", cadre: CadreID(id), addedOn: LedgerDate("2019-01-10")!), "story4-add-\(id)")
    }
    try await run(RegisterOutflow(cadre: "C000201", fromBranch: "B0031", destination: "广东省深圳市", reason: "随女儿居住，照看外孙",
                                  since: LedgerDate("2024-02-20")!), "story4-002")
    try await run(AcceptInflow(cadre: "C000201", receivingOrganisation: "深圳市南山区粤海街道社区党委", acceptedOn: LedgerDate("2024-03-05")!), "story4-003")
    try await run(RecordMeeting(meeting: "B0031-2024-Q2-general", branch: "B0031", kind: .generalMeeting, topic: "党纪学习教育",
                                heldOn: LedgerDate("2024-05-16")!, attendees: ["C000202"],
                                absentees: [MeetingAbsence(cadre: "C000201", reason: "外出流动（深圳）")]), "story4-004")
    try await run(DeliverStudyAtHome(meeting: "B0031-2024-Q2-general", cadre: "C000201", deliveredOn: LedgerDate("2024-05-28")!), "story4-005")
    try await run(RecordReturn(cadre: "C000201", returnedOn: LedgerDate("2024-09-01")!), "story4-006")
    try await run(RecordMeeting(meeting: "B0031-2024-Q3-general", branch: "B0031", kind: .generalMeeting, topic: "学习贯彻全会精神",
                                heldOn: LedgerDate("2024-09-12")!, attendees: ["C000201", "C000202"]), "story4-007")
}

/// Writes a story's fixture again when `SILVERLEDGER_WRITE_FIXTURES=1` (with
/// recorded-at times from a fixed clock), and returns the fixture's text.
func fixtureText(_ name: String, _ tell: (Ledger) async throws -> Void) async throws -> String {
    let file = fixtures.appendingPathComponent(name)
    if writingFixtures {
        var options = EventStoreOptions()
        let clock = Locked(Int64(1_720_000_000_000_000))
        options.clock = { clock.withLock { $0 += 1_000_000; return $0 } }
        let fixed = LedgerDate("2024-12-31")!
        let ledger = try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes, options: options), today: { fixed })
        try await tell(ledger)
        try ledger.store.exportJSONLines(toFile: file.path)
    }
    return try String(contentsOf: file, encoding: .utf8)
}

/// Whether the tests write the fixtures and their golden answers again (`SILVERLEDGER_WRITE_FIXTURES=1`).
let writingFixtures = ProcessInfo.processInfo.environment["SILVERLEDGER_WRITE_FIXTURES"] == "1"

/// A new directory for an on-disk store, under the temporary directory.
func fixtureDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-fixture-\(UUID().uuidString)").path
}

/// A story's fixture loaded into a real store on disk: imported into a new
/// store at `directory`, closed, opened again, and the ledger built on it
/// (today fixed at 2024-12-31, the day the fixtures were written). Close the
/// store when done.
func openFixture(_ text: String, at directory: String) async throws -> (store: EventStore, ledger: Ledger, report: ImportReport) {
    var options = EventStoreOptions()
    options.durability = .none
    let imported = try EventStore.open(at: directory, types: Ledger.eventTypes, options: options)
    let report = try await imported.importJSONLines(text)
    try imported.close()
    let store = try EventStore.open(at: directory, types: Ledger.eventTypes, options: options)
    let fixed = LedgerDate("2024-12-31")!
    return (store, try Ledger(store: store, today: { fixed }), report)
}

/// The answers to the twelve questions of DOMAIN.md for one story, as of one
/// view of the log (a position) and one business date: the golden file
/// `Tests/Fixtures/<story>.queries.json`. The keys are numbered by question,
/// so that the sorted JSON keeps the questions' order.
struct StoryAnswers: Encodable {
    /// What the questions were asked of.
    struct Asked: Encodable {
        /// One past the last log position in the view.
        var position: UInt64
        /// The business date the questions are asked on.
        var on: LedgerDate
        /// The year of `on`: study, attendance, quizzes, the year-end summary.
        var year: Int
        /// The quarters of `year` up to the one holding `on`: compliance.
        var quarters: [Int]
        /// 1 July of `year`: medal eligibility.
        var medalCandidatesBy: LedgerDate
        /// The expertise searched for.
        var talentMatching: String
    }

    struct Medals: Encodable {
        var candidates: [MedalCandidate]
        var perYear: [Int: Int]
    }

    struct Visits: Encodable {
        var unvisited: [UnvisitedCadre]
        var openNeeds: [OpenNeed]
    }

    struct Study: Encodable {
        var hours: [StudyHours]
        var attendance: [BranchAttendance]
        /// By cadre id: the average of every quiz (cadres with a quiz only).
        var quizAverageByCadre: [String: Double]
        var quizAverageInYear: Double?
    }

    struct Contribution: Encodable {
        var talent: [TalentMatch]
        var volunteerHours: [VolunteerHours]
        var volunteerHoursByTeam: [String: Double]
    }

    /// The audit history of one cadre or branch.
    struct Audit: Encodable {
        var stream: String
        var entries: [AuditEntry]
    }

    var asked: Asked
    var profiles: [CadreProfile]
    var leadership: [BranchLeadership]
    var reelectionReminders: [ReelectionReminder]
    var medals: Medals
    var visits: Visits
    var compliance: [QuarterCompliance]
    var study: Study
    var membersAway: [MemberAway]
    var demonstrationBranches: [DemonstrationStatus]
    var contribution: Contribution
    var yearSummary: YearSummary
    var auditHistory: [Audit]

    enum CodingKeys: String, CodingKey {
        case asked = "asked"
        case profiles = "q01_profiles"
        case leadership = "q02_leadership"
        case reelectionReminders = "q03_reelectionReminders"
        case medals = "q04_medals"
        case visits = "q05_visits"
        case compliance = "q06_compliance"
        case study = "q07_study"
        case membersAway = "q08_membersAway"
        case demonstrationBranches = "q09_demonstrationBranches"
        case contribution = "q10_talentAndVolunteers"
        case yearSummary = "q11_yearSummary"
        case auditHistory = "q12_auditHistory"
    }

    /// Asks every question of `view` on `date`: every cadre's profile and
    /// every branch's leadership (by id), the audit history of `cadres` and
    /// `branches` (as of the view's position).
    init(_ view: LedgerView, of ledger: Ledger, on date: LedgerDate, talent: String = "书法",
         auditing cadres: [CadreID], _ branches: [BranchID]) throws {
        let year = date.year
        let quarters = Array(1...((date.components.month + 2) / 3))
        let july = LedgerDate(year: year, month: 7, day: 1)!
        let state = view.state
        asked = Asked(position: view.position, on: date, year: year, quarters: quarters, medalCandidatesBy: july, talentMatching: talent)
        profiles = state.cadres.keys.sorted().compactMap { view.profile(of: $0, on: date) }
        leadership = state.branches.keys.sorted().compactMap { view.leadership(of: $0) }
        reelectionReminders = view.reelectionReminders(on: date)
        medals = Medals(candidates: view.medalCandidates(by: july), perYear: view.medalsPerYear())
        visits = Visits(unvisited: view.unvisited(on: date), openNeeds: view.openNeeds(on: date))
        compliance = quarters.flatMap { view.compliance(year: year, quarter: $0) }
        var quizzes: [String: Double] = [:]
        for id in state.cadres.keys { quizzes[id.rawValue] = view.quizAverage(of: id) }
        study = Study(hours: view.studyHours(in: year), attendance: view.attendance(in: year), quizAverageByCadre: quizzes,
                      quizAverageInYear: view.quizAverage(in: year))
        membersAway = view.membersAway()
        demonstrationBranches = view.demonstrationBranches(on: date)
        contribution = Contribution(talent: view.talent(matching: talent), volunteerHours: view.volunteerHours(),
                                    volunteerHoursByTeam: view.volunteerHoursByTeam())
        yearSummary = view.yearSummary(year)
        let asOf = AsOf.position(view.position)
        auditHistory = try cadres.map { Audit(stream: $0.stream, entries: try ledger.auditHistory(of: $0, asOf: asOf)) }
            + branches.map { Audit(stream: $0.stream, entries: try ledger.auditHistory(of: $0, asOf: asOf)) }
    }

    /// The answers as the golden file holds them (`LedgerView.json`, a line feed at the end).
    func json() throws -> String { try LedgerView.json(self) + "\n" }
}

/// Expects `answers` to be the golden file `name` in Tests/Fixtures, naming
/// the first line that differs; with `SILVERLEDGER_WRITE_FIXTURES=1` writes
/// the file first (review the diff before committing it).
func expectGolden(_ answers: StoryAnswers, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = fixtures.appendingPathComponent(name)
    let json = try answers.json()
    if writingFixtures { try json.write(to: file, atomically: true, encoding: .utf8) }
    let golden = try String(contentsOf: file, encoding: .utf8)
    guard json != golden else { return }
    let (got, want) = (json.split(separator: "\n", omittingEmptySubsequences: false), golden.split(separator: "\n", omittingEmptySubsequences: false))
    let line = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
    func text(_ lines: [Substring]) -> String { line < lines.count ? "\"\(lines[line])\"" : "(end of file)" }
    Issue.record("\(name) differs at line \(line + 1): got \(text(got)), golden \(text(want))",
                 sourceLocation: sourceLocation)
}

@Suite("Fixture stories: load into a real store, replay, compare with golden results")
struct FixtureStoryTests {
    @Test func aCadreFromRegistrationToTheMedal() async throws {
        let text = try await fixtureText("cadre-to-medal.jsonl", tellCadreToMedal)

        // Into a real on-disk store, closed and opened again.
        let dir = fixtureDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, ledger, report) = try await openFixture(text, at: dir)
        defer { try? store.close() }
        #expect(report.positions == 0..<8)
        #expect(report.commands == 8)

        // The golden results, worked out by hand from the story.
        let view = try ledger.view()
        let profile = try #require(view.profile(of: "C000017", on: LedgerDate("2024-07-01")!))
        #expect(profile.name == "王建国")
        #expect(profile.fullMemberOn == LedgerDate("1974-07-02")!)   // the corrected date
        #expect(profile.partyStandingYears == 49)                     // one day short on 1 July
        #expect(view.profile(of: "C000017", on: LedgerDate("2024-07-02")!)?.partyStandingYears == 50)
        #expect(profile.branch == "B0007")
        #expect(profile.medal50AwardedOn == LedgerDate("2024-07-02")!)
        #expect(profile.lastVisitedOn == LedgerDate("2023-01-18")!)
        #expect(view.medalsPerYear() == [2024: 1])
        #expect(view.openNeeds(on: LedgerDate("2024-12-31")!).isEmpty)
        let golden = try String(contentsOf: fixtures.appendingPathComponent("cadre-to-medal.profile.json"), encoding: .utf8)
        #expect(try LedgerView.json(profile) + "\n" == golden)
        // The twelve questions on the day of the medal.
        let answers = try StoryAnswers(view, of: ledger, on: date("2024-07-02"), auditing: ["C000017"], ["B0007"])
        try expectGolden(answers, "cadre-to-medal.queries.json")

        // As of earlier points: before the correction the standing was counted from 1974-07-01.
        let beforeCorrection = try ledger.view(asOf: .position(6))
        #expect(beforeCorrection.profile(of: "C000017", on: LedgerDate("2024-07-01")!)?.partyStandingYears == 50)
        #expect(beforeCorrection.medalCandidates(by: LedgerDate("2024-07-01")!).map(\.cadre) == ["C000017"])
        #expect(try ledger.view(asOf: .position(7)).medalCandidates(by: LedgerDate("2024-07-01")!).isEmpty)
        #expect(try ledger.view(asOf: .position(7)).medalCandidates(by: LedgerDate("2024-07-02")!).map(\.cadre) == ["C000017"])

        // With a snapshot midway, the same answers.
        try store.saveSnapshot(store.project(DomainState.self, asOf: .position(4)))
        let fromSnapshot = try store.project(DomainState.self)
        #expect(fromSnapshot.usedSnapshot)
        #expect(fromSnapshot.eventsApplied == 4)
        let snapshotView = LedgerView(state: fromSnapshot.projection, position: fromSnapshot.position)
        #expect(snapshotView.profile(of: "C000017", on: LedgerDate("2024-07-01")!) == profile)
        #expect(try StoryAnswers(snapshotView, of: ledger, on: date("2024-07-02"), auditing: ["C000017"], ["B0007"]).json() == answers.json())

        // The audit history names every step, with its operator.
        let history = try ledger.auditHistory(of: CadreID("C000017"))
        #expect(history.map(\.commandID) == (2...8).map { String(format: "story1-%03d", $0) })
        #expect(history.last?.recordedBy == "op-组织处")

        // The medal cannot be awarded again; the rules hold on the loaded store.
        let again = await refusal { try await ledger.execute(AwardMedal50(cadre: "C000017", awardedOn: LedgerDate("2024-08-01")!), by: "op", commandID: "x") }
        #expect(again?.code == .medalAlreadyAwarded)
    }

    @Test func aMobileMemberOutAndBack() async throws {
        let text = try await fixtureText("mobile-member-out-and-back.jsonl", tellMobileMemberOutAndBack)
        let dir = fixtureDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, ledger, report) = try await openFixture(text, at: dir)
        defer { try? store.close() }
        #expect(report.positions == 0..<13)

        // Away, accepted, not yet back: as of just after the meeting he missed (position 9).
        let whileAway = try ledger.view(asOf: .position(10))
        let golden = try String(contentsOf: fixtures.appendingPathComponent("mobile-member-out-and-back.away.json"), encoding: .utf8)
        #expect(try LedgerView.json(whileAway.membersAway()) + "\n" == golden)
        #expect(whileAway.state.organisationalLife.awaitingStudy["B0031-2024-Q2-general"]?.absentees == ["C000201"])
        // Study taken home, then back: no one away, nothing awaiting.
        let now = try ledger.view()
        #expect(now.membersAway().isEmpty)
        #expect(now.state.organisationalLife.awaitingStudy.isEmpty)
        let q3 = now.compliance(year: 2024, quarter: 3)
        #expect(q3.first?.generalMeetings == 1)
        #expect(now.attendance(in: 2024).first?.attendances == 3 && now.attendance(in: 2024).first?.absences == 1)
        // His history has every step, and after the return he is in his branch as before.
        let history = try ledger.auditHistory(of: CadreID("C000201"))
        #expect(history.map(\.eventType) == ["CadreRegistered", "PartyMembershipRecorded", "MemberAdded", "OutflowRegistered", "InflowAccepted",
                                             "MeetingRecorded", "StudyDeliveredAtHome", "MobileMemberReturned", "MeetingRecorded"])
        #expect(now.profile(of: "C000201", on: LedgerDate("2024-10-01")!)?.branch == "B0031")

        // The twelve questions at the end of the third quarter, back home.
        let answers = try StoryAnswers(now, of: ledger, on: date("2024-09-30"), auditing: ["C000201"], ["B0031"])
        try expectGolden(answers, "mobile-member-out-and-back.queries.json")
        // With a snapshot taken while he was away, the same answers.
        try store.saveSnapshot(store.project(DomainState.self, asOf: .position(10)))
        let fromSnapshot = try store.project(DomainState.self)
        #expect(fromSnapshot.usedSnapshot)
        #expect(fromSnapshot.eventsApplied == 3)
        let snapshotView = LedgerView(state: fromSnapshot.projection, position: fromSnapshot.position)
        #expect(try StoryAnswers(snapshotView, of: ledger, on: date("2024-09-30"), auditing: ["C000201"], ["B0031"]).json() == answers.json())
    }
}
