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

@Suite("Fixture stories: load into a real store, replay, compare with golden results")
struct FixtureStoryTests {
    private func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-fixture-\(UUID().uuidString)").path
    }

    @Test func aCadreFromRegistrationToTheMedal() async throws {
        let file = fixtures.appendingPathComponent("cadre-to-medal.jsonl")
        if ProcessInfo.processInfo.environment["SILVERLEDGER_WRITE_FIXTURES"] == "1" {
            // Recorded-at times from a fixed clock, one second apart.
            var options = EventStoreOptions()
            let clock = Mutex(Int64(1_720_000_000_000_000))
            options.clock = { clock.withLock { $0 += 1_000_000; return $0 } }
            let fixed = LedgerDate("2024-12-31")!
            let ledger = try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes, options: options), today: { fixed })
            try await tellCadreToMedal(ledger)
            try ledger.store.exportJSONLines(toFile: file.path)
        }
        let text = try String(contentsOf: file, encoding: .utf8)

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
}
