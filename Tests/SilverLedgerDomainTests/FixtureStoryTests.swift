import Foundation
import Synchronization
import SilverLedger
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
private func fixtureText(_ name: String, _ tell: (Ledger) async throws -> Void) async throws -> String {
    let file = fixtures.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["SILVERLEDGER_WRITE_FIXTURES"] == "1" {
        var options = EventStoreOptions()
        let clock = Mutex(Int64(1_720_000_000_000_000))
        options.clock = { clock.withLock { $0 += 1_000_000; return $0 } }
        let fixed = LedgerDate("2024-12-31")!
        let ledger = try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes, options: options), today: { fixed })
        try await tell(ledger)
        try ledger.store.exportJSONLines(toFile: file.path)
    }
    return try String(contentsOf: file, encoding: .utf8)
}

@Suite("Fixture stories: load into a real store, replay, compare with golden results")
struct FixtureStoryTests {
    private func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-fixture-\(UUID().uuidString)").path
    }

    @Test func aCadreFromRegistrationToTheMedal() async throws {
        let text = try await fixtureText("cadre-to-medal.jsonl", tellCadreToMedal)

        // Into a real on-disk store.
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        var store = try EventStore.open(at: dir, types: Ledger.eventTypes, options: options)
        let report = try await store.importJSONLines(text)
        #expect(report.positions == 0..<8)
        #expect(report.commands == 8)
        try store.close()
        store = try EventStore.open(at: dir, types: Ledger.eventTypes, options: options)
        defer { try? store.close() }
        let fixed = LedgerDate("2024-12-31")!
        let ledger = try Ledger(store: store, today: { fixed })

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
        #expect(LedgerView(state: fromSnapshot.projection, position: fromSnapshot.position).profile(of: "C000017", on: LedgerDate("2024-07-01")!) == profile)

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
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        let store = try EventStore.open(at: dir, types: Ledger.eventTypes, options: options)
        defer { try? store.close() }
        #expect(try await store.importJSONLines(text).positions == 0..<13)
        let fixed = LedgerDate("2024-12-31")!
        let ledger = try Ledger(store: store, today: { fixed })

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
    }
}
