import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Queries: 三会一课 compliance, members away, demonstration reviews")
struct OrganisationQueryTests {
    private func meeting(_ ledger: Ledger, _ id: String, _ kind: MeetingType, on: String, branch: BranchID = "B1",
                         attendees: [CadreID] = ["B1-C1", "B1-C2"], absentees: [MeetingAbsence] = []) async throws {
        try await ledger.execute(RecordMeeting(meeting: id, branch: branch, kind: kind, heldOn: date(on), attendees: attendees, absentees: absentees),
                                 by: "op", commandID: "meeting-\(id)")
    }

    @Test func aQuarterThatFallsShortIsListedWithWhatIsMissing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 3)
        try await branchWithMembers(ledger, 2, branch: "B2")
        // B1, Q2 2024: everything, except no group meeting in May and no party lecture.
        try await meeting(ledger, "g", .generalMeeting, on: "2024-04-10")
        for (i, month) in ["04", "05", "06"].enumerated() {
            try await meeting(ledger, "c\(i)", .committeeMeeting, on: "2024-\(month)-05", attendees: ["B1-C1"])
            if month != "05" { try await meeting(ledger, "p\(i)", .groupMeeting, on: "2024-\(month)-15") }
        }
        try await meeting(ledger, "a", .themeDay, on: "2024-05-20", absentees: [MeetingAbsence(cadre: "B1-C3", reason: "住院")])
        // B2, Q2 2024: every requirement met.
        try await meeting(ledger, "b2g", .generalMeeting, on: "2024-05-01", branch: "B2", attendees: ["B2-C1"])
        try await meeting(ledger, "b2l", .partyLecture, on: "2024-06-28", branch: "B2", attendees: ["B2-C1", "B2-C2"])
        for month in ["04", "05", "06"] {
            try await meeting(ledger, "b2c\(month)", .committeeMeeting, on: "2024-\(month)-02", branch: "B2", attendees: ["B2-C1"])
            try await meeting(ledger, "b2p\(month)", .groupMeeting, on: "2024-\(month)-03", branch: "B2", attendees: ["B2-C2"])
        }
        let view = try ledger.view()
        let q2 = view.compliance(year: 2024, quarter: 2)
        #expect(q2.map(\.branch) == ["B1", "B2"])
        let b1 = q2[0]
        #expect(!b1.compliant)
        #expect(b1.generalMeetings == 1 && b1.partyLectures == 0)
        #expect(b1.committeeMeetingsPerMonth == [1, 1, 1])
        #expect(b1.groupMeetingsPerMonth == [1, 0, 1])
        #expect(b1.shortfalls == [
            .init(kind: .partyLecture, required: 1, held: 0, monthsMissing: []),
            .init(kind: .groupMeeting, required: 3, held: 2, monthsMissing: [5]),
        ])
        #expect(q2[1].compliant)
        // A quarter with nothing recorded: every requirement short.
        let q1 = view.compliance(year: 2024, quarter: 1)
        #expect(q1[0].shortfalls.map(\.kind) == [.generalMeeting, .partyLecture, .committeeMeeting, .groupMeeting])
        #expect(q1[0].shortfalls[2].monthsMissing == [1, 2, 3])
        // Branches not yet established are not listed.
        #expect(view.compliance(year: 2019, quarter: 4).isEmpty)
        // Attendance is counted per month.
        #expect(view.state.organisationalLife.meetingsByMonth["B1"]?.counts(in: 2024, month: 5).absences == 1)
        let json = try LedgerView.json(b1.shortfalls[1])
        #expect(json.contains("\"monthsMissing\" : [\n    5\n  ]"))
    }

    @Test func membersAwayWithBothOrganisations() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 3)
        try await ledger.execute(RegisterOutflow(cadre: "B1-C1", fromBranch: "B1", destination: "深圳市", reason: "随子女居住", since: date("2024-03-01")),
                                 by: "op", commandID: "out-1")
        try await ledger.execute(AcceptInflow(cadre: "B1-C1", receivingOrganisation: "深圳市南山区某社区党委", acceptedOn: date("2024-03-20")),
                                 by: "op", commandID: "in-1")
        try await ledger.execute(RegisterOutflow(cadre: "B1-C2", fromBranch: "B1", destination: "海南省", reason: "候鸟式养老", since: date("2024-01-10")),
                                 by: "op", commandID: "out-2")
        try await ledger.execute(RegisterOutflow(cadre: "B1-C3", fromBranch: "B1", destination: "北京市", reason: "就医", since: date("2024-02-01")),
                                 by: "op", commandID: "out-3")
        try await ledger.execute(RecordReturn(cadre: "B1-C3", returnedOn: date("2024-06-01")), by: "op", commandID: "back-3")
        let away = try ledger.view().membersAway()
        #expect(away.map(\.cadre) == ["B1-C2", "B1-C1"])
        // The dead are not listed (their outflow stays open: a return before the death may be recorded late).
        try await ledger.execute(RecordDeath(cadre: "B1-C2", diedOn: date("2024-08-01"), recordedOn: date("2024-08-02")), by: "op", commandID: "death")
        #expect(await ledger.state.mobileMembers.away["B1-C2"] != nil)
        #expect(try ledger.view().membersAway().map(\.cadre) == ["B1-C1"])
        #expect(away[1].receivingOrganisation == "深圳市南山区某社区党委")
        #expect(away[1].homeBranch == "B1")
        #expect(away[0].receivingOrganisation == nil)
    }

    @Test func demonstrationReviewsDue() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 1)
        try await branchWithMembers(ledger, 1, branch: "B2")
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第三批", level: .province, designatedOn: date("2021-06-01")),
                                 by: "op", commandID: "demo-1")
        try await ledger.execute(DesignateDemonstration(branch: "B2", batch: "第四批", level: .city, designatedOn: date("2020-03-01")),
                                 by: "op", commandID: "demo-2")
        try await ledger.execute(RecordDemonstrationReview(branch: "B2", outcome: .passed, reviewedOn: date("2023-03-15")), by: "op", commandID: "rev-2")
        let view = try ledger.view()
        let list = view.demonstrationBranches(on: date("2024-07-01"))
        #expect(list.map(\.branch) == ["B1", "B2"])
        #expect(list[0].reviewDueOn == date("2024-06-01") && list[0].overdue)
        #expect(list[1].reviewDueOn == date("2026-03-15") && !list[1].overdue)
        try await ledger.execute(RecordDemonstrationReview(branch: "B1", outcome: .revoked, reviewedOn: date("2024-08-01")), by: "op", commandID: "rev-1")
        #expect(try ledger.view().demonstrationBranches(on: date("2024-09-01")).map(\.branch) == ["B2"])
    }
}
