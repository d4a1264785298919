import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Queries: profile, leadership, reminders, medal eligibility, visit coverage")
struct QueryTests {
    @Test func profileAndMedalEligibility() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1973-01-01", full: "1974-06-30")
        try await register(ledger, "C2")
        try await member(ledger, "C2", joined: "1973-01-01", full: "1974-07-02")
        try await register(ledger, "C3")
        try await member(ledger, "C3", joined: "1971-02-28", full: "1972-02-29")
        try await register(ledger, "C4")   // not a member
        try await register(ledger, "C5")
        try await member(ledger, "C5", joined: "1960-01-01", full: "1961-01-01")
        try await ledger.execute(AwardMedal50(cadre: "C5", awardedOn: date("2021-07-01")), by: "op", commandID: "m5")
        try await register(ledger, "C6")
        try await member(ledger, "C6", joined: "1960-01-01", full: "1961-01-01")
        try await ledger.execute(RecordDeath(cadre: "C6", diedOn: date("2024-03-01"), recordedOn: date("2024-03-02")), by: "op", commandID: "d6")

        let view = try ledger.view()
        let profile = view.profile(of: "C1", on: date("2024-07-01"))
        #expect(profile?.partyStandingYears == 50)
        #expect(profile?.fullMemberOn == date("1974-06-30"))
        #expect(view.profile(of: "C2", on: date("2024-07-01"))?.partyStandingYears == 49)
        #expect(view.profile(of: "C4", on: date("2024-07-01"))?.partyStandingYears == nil)
        #expect(view.profile(of: "C9", on: date("2024-07-01")) == nil)

        // By 1 July 2024: C1 (50 on 2024-06-30) and C3 (50 on 2022-02-28); not C2 (2024-07-02),
        // not C4 (no membership), not C5 (awarded), not C6 (dead).
        let candidates = view.medalCandidates(by: date("2024-07-01"))
        #expect(candidates.map(\.cadre) == ["C3", "C1"])
        #expect(candidates.first?.reachesFiftyOn == date("2022-02-28"))
        #expect(view.medalCandidates(by: date("2024-07-02")).map(\.cadre) == ["C3", "C1", "C2"])
        #expect(view.medalsPerYear() == [2021: 1])
    }

    @Test func leadershipAndReelectionReminders() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 4)
        try await ledger.execute(ElectOfficer(branch: "B1", role: .secretary, cadre: "B1-C1", electedOn: date("2021-09-30"),
                                              entitled: 4, present: 4, votesFor: 3), by: "op", commandID: "e1")
        try await ledger.execute(ElectOfficer(branch: "B1", role: .deputySecretary, cadre: "B1-C2", electedOn: date("2021-09-30"),
                                              entitled: 4, present: 4, votesFor: 3), by: "op", commandID: "e2")
        try await branchWithMembers(ledger, 2, branch: "B2")
        try await ledger.execute(ElectOfficer(branch: "B2", role: .secretary, cadre: "B2-C1", electedOn: date("2023-01-10"),
                                              entitled: 2, present: 2, votesFor: 2), by: "op", commandID: "e3")
        let view = try ledger.view()
        let leadership = view.leadership(of: "B1")
        #expect(leadership?.secretary?.cadre == "B1-C1")
        #expect(leadership?.secretary?.termEndsOn == date("2024-09-30"))
        #expect(leadership?.deputies.map(\.cadre) == ["B1-C2"])
        #expect(leadership?.termEndsOn == date("2024-09-30"))
        #expect(view.leadership(of: "B9") == nil)
        #expect(leadership?.liaison == nil)
        try await ledger.execute(AppointLiaison(branch: "B1", name: "赵联络", unit: "省水利厅机关", asDeputySecretary: true, appointedOn: date("2024-01-05")),
                                 by: "op", commandID: "liaison")
        #expect(try ledger.view().leadership(of: "B1")?.liaison?.name == "赵联络")

        // 90 days before the end: included; 91: not; after: overdue.
        #expect(view.reelectionReminders(on: date("2024-07-02")).map(\.branch) == ["B1"])
        #expect(view.reelectionReminders(on: date("2024-07-02")).first?.daysLeft == 90)
        #expect(view.reelectionReminders(on: date("2024-07-01")).isEmpty)
        let late = view.reelectionReminders(on: date("2024-10-05"))
        #expect(late.first?.overdue == true && late.first?.daysLeft == -5)
        #expect(late.first?.parentOrganisation == "省水利厅机关党委")
        // A longer lead time finds B2 (term ends 2026-01-10) too.
        #expect(view.reelectionReminders(on: date("2024-10-05"), leadDays: 500).map(\.branch) == ["B1", "B2"])
    }

    @Test func visitCoverageAndOpenNeeds() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "T1", registeredOn: "2024-01-01")
        try await register(ledger, "L1", registeredOn: "2024-01-01", category: .lixiu)
        try await register(ledger, "T2", registeredOn: "2024-01-01")
        try await ledger.execute(LogVisit(visit: "V1", cadre: "T2", kind: .regularContact, channel: .phone, visitors: ["王"],
                                          needs: [.init(kind: .homeCare, description: "助浴")], visitedOn: date("2024-05-01")),
                                 by: "op", commandID: "v1")
        let view = try ledger.view()
        // On 2024-06-01: T1 and L1 never visited (152 days since registration), T2 visited 31 days ago.
        let unvisited = view.unvisited(on: date("2024-06-01"))
        #expect(unvisited.map(\.cadre) == ["L1", "T1"])   // lixiu first
        #expect(unvisited.first?.daysWithoutVisit == 152)
        #expect(view.unvisited(on: date("2024-07-30")).map(\.cadre) == ["L1", "T1"])      // T2: 90 days, not more
        #expect(view.unvisited(on: date("2024-07-31")).map(\.cadre) == ["L1", "T1", "T2"])
        #expect(view.unvisited(on: date("2024-06-01"), days: 200).isEmpty)
        let needs = view.openNeeds(on: date("2024-06-01"))
        #expect(needs.map(\.need) == ["V1-1"])
        #expect(needs.first?.daysOpen == 31)
    }

    @Test func aViewAsOfAnEarlierPositionAnswersAsTheRecordsStoodThen() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
        let before = ledger.store.nextPosition
        try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m1")
        #expect(try ledger.view(asOf: .position(before)).medalCandidates(by: date("2024-07-01")).map(\.cadre) == ["C1"])
        #expect(try ledger.view().medalCandidates(by: date("2024-07-01")).isEmpty)
        #expect(try ledger.view(asOf: .position(before)).position == before)
    }

    @Test func answersRenderAsJSON() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1973-01-01", full: "1974-06-30")
        let json = try LedgerView.json(ledger.view().medalCandidates(by: date("2024-07-01")))
        #expect(json == """
        [
          {
            "cadre" : "C1",
            "fullMemberOn" : "1974-06-30",
            "name" : "张C1",
            "reachesFiftyOn" : "2024-06-30"
          }
        ]
        """)
    }
}
