import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Queries: year-end summary, audit history")
struct SummaryAndAuditTests {
    @Test func everyEventTypeHasItsPlaceInTheSummary() {
        let placed = YearSummary.plan.reduce(into: Set<String>()) { $0.formUnion($1.types) }
        let register: Set<String> = ["CadreRegistered", "PartyMembershipRecorded", "PartyMembershipCorrected", "DeathRecorded",
                                     "ResidenceChanged", "RelocationMarked", "HealthChanged", "HonourableRetirementRecorded"]
        let all = Set(DomainEvents.all.map { $0.eventType })
        #expect(placed.isDisjoint(with: register))
        #expect(placed.union(register) == all, "unplaced: \(all.subtracting(placed.union(register)).sorted())")
        #expect(placed.isSubset(of: all), "unknown: \(placed.subtracting(all).sorted())")
    }

    @Test func aYearIsCountedPerSectionOfThePlan() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 2)   // 2020: branch, register, membership, joins
        try await ledger.execute(LogVisit(visit: "V1", cadre: "B1-C1", kind: .festival, channel: .inPerson, visitors: ["王"], visitedOn: date("2024-02-08")),
                                 by: "op", commandID: "v1")
        try await ledger.execute(LogVisit(visit: "V2", cadre: "B1-C2", kind: .birthday, channel: .phone, visitors: ["王"], visitedOn: date("2023-06-08")),
                                 by: "op", commandID: "v2")
        try await ledger.execute(RecordStudySession(session: "S1", organiser: "局", format: .readingClass, topic: "读书班", heldOn: date("2024-04-01"),
                                                    hours: 6, attendees: ["B1-C1", "B1-C2"]), by: "op", commandID: "s1")
        try await ledger.execute(AwardMedal50(cadre: "B1-C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m1")
        try await ledger.execute(ElectOfficer(branch: "B1", role: .secretary, cadre: "B1-C2", electedOn: date("2024-03-01"),
                                              entitled: 2, present: 2, votesFor: 2), by: "op", commandID: "e1")
        let summary = try ledger.view().yearSummary(2024)
        #expect(summary.sections.map(\.number) == [1, 2, 3, 4, 5])
        #expect(summary.sections[0].counts == ["StudySessionRecorded": 1])
        #expect(summary.sections[1].counts == ["OfficerElected": 1])
        #expect(summary.sections[2].total == 0)
        #expect(summary.sections[3].counts == ["VisitLogged": 1, "Medal50Awarded": 1])
        #expect(summary.sections[4].title == "聚力赋能提升，强化部门自身建设")
        #expect(summary.register.isEmpty)
        let earlier = try ledger.view().yearSummary(2020)
        #expect(earlier.register == ["CadreRegistered": 2, "PartyMembershipRecorded": 2])
        #expect(earlier.sections[1].counts == ["BranchEstablished": 1, "MemberAdded": 2])
        // The ledger's own state counts as the log does.
        #expect(await ledger.state.eventsPerYear == (try ledger.view().state.eventsPerYear))
    }

    /// An event type the embedding service registered beside the domain's.
    struct NoteTaken: Event { static let eventType = "NoteTaken"; var text: String }

    @Test func eventsOfOtherTypesAreCountedByTheirName() {
        var state = DomainState()
        func event(_ type: String, on day: String) -> RecordedEvent {
            RecordedEvent(position: 0, streamID: "notes", streamVersion: 0, eventType: type, schemaVersion: 1, recordedAt: 0,
                          metadata: EventMetadata(businessDate: date(day), recordedBy: "op", commandID: "n"), payload: [])
        }
        state.apply(event("NoteTaken", on: "2022-05-01"), decoded: NoteTaken(text: "a"))
        state.apply(event("NoteTaken", on: "2021-05-01"), decoded: NoteTaken(text: "b"))
        state.apply(event("NoteTaken", on: "2022-06-01"), decoded: NoteTaken(text: "c"))
        state.apply(event("Unreadable", on: "2022-06-01"), decoded: nil)   // not decoded: neither folded nor counted
        state.apply(event("BranchEstablished", on: "2021-01-01"),
                    decoded: BranchEstablished(branch: "B9", name: "第九党支部", kind: .standalone, parentOrganisation: "机关党委",
                                               establishedOn: date("2021-01-01")))
        #expect(state.eventsPerYear == [2021: ["NoteTaken": 1, "BranchEstablished": 1], 2022: ["NoteTaken": 2]])
        #expect(state.branches["B9"]?.name == "第九党支部")
    }

    @Test func theAuditHistoryOfACadreHasEveryEventThatNamesThem() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 2)
        try await ledger.execute(RecordStudySession(session: "S1", organiser: "局", format: .readingClass, topic: "读书班", heldOn: date("2024-04-01"),
                                                    hours: 6, attendees: ["B1-C2"]), by: "op-7", commandID: "s1")
        try await ledger.execute(RecordMeeting(meeting: "M1", branch: "B1", kind: .partyLecture, heldOn: date("2024-05-01"),
                                               attendees: ["B1-C2"], absentees: [MeetingAbsence(cadre: "B1-C1", reason: "住院")]),
                                 by: "op-8", commandID: "m1")
        let positionBefore = ledger.store.nextPosition
        try await ledger.execute(AwardMedal50(cadre: "B1-C1", awardedOn: date("2024-07-01")), by: "op-9", commandID: "medal", correlationID: "2024-medals")
        let history = try ledger.auditHistory(of: CadreID("B1-C1"))
        #expect(history.map(\.eventType) == ["CadreRegistered", "PartyMembershipRecorded", "MemberAdded", "MeetingRecorded", "Medal50Awarded"])
        #expect(history.map(\.stream) == ["cadre-B1-C1", "cadre-B1-C1", "branch-B1", "meeting-M1", "cadre-B1-C1"])
        #expect(history.last?.recordedBy == "op-9" && history.last?.commandID == "medal" && history.last?.correlationID == "2024-medals")
        #expect(history.last?.json.contains("\"type\":\"Medal50Awarded\"") == true)
        // Not the other member's study session; and as of an earlier position, not the medal.
        #expect(!history.contains { $0.commandID == "s1" })
        #expect(try ledger.auditHistory(of: CadreID("B1-C1"), asOf: .position(positionBefore)).count == 4)
        let branch = try ledger.auditHistory(of: BranchID("B1"))
        #expect(branch.map(\.eventType) == ["BranchEstablished", "MemberAdded", "MemberAdded", "MeetingRecorded"])
    }
}
