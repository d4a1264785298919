import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Queries: study hours, attendance, quizzes, talent, volunteer hours")
struct StudyAndContributionQueryTests {
    @Test func studyHoursQuizAveragesAndAttendance() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 3)
        func session(_ id: String, _ on: String, _ hours: Double, _ who: [CadreID]) async throws {
            try await ledger.execute(RecordStudySession(session: id, organiser: "老干部局", format: .thematicTutorial, topic: "党纪学习教育",
                                                        heldOn: date(on), hours: hours, attendees: who), by: "op", commandID: "s-\(id)")
        }
        try await session("S1", "2023-11-01", 3, ["B1-C1"])
        try await session("S2", "2024-03-01", 2.5, ["B1-C1", "B1-C2"])
        try await session("S3", "2024-04-01", 1.5, ["B1-C1"])
        for (cadre, score, on) in [("B1-C1", 90, "2024-05-01"), ("B1-C1", 70, "2024-06-01"), ("B1-C2", 100, "2023-05-01")] as [(CadreID, Int, String)] {
            try await ledger.execute(RecordQuizResult(cadre: cadre, quiz: "党规党纪知识线上竞答", score: score, takenOn: date(on)), by: "op", commandID: "q-\(cadre)-\(on)")
        }
        try await ledger.execute(RecordMeeting(meeting: "M1", branch: "B1", kind: .generalMeeting, heldOn: date("2024-02-01"),
                                               attendees: ["B1-C1", "B1-C2"], absentees: [MeetingAbsence(cadre: "B1-C3", reason: "外出")]),
                                 by: "op", commandID: "m1")
        let view = try ledger.view()
        let hours = view.studyHours(in: 2024)
        #expect(hours.map(\.cadre) == ["B1-C1", "B1-C2"])
        #expect(hours.map(\.hours) == [4, 2.5])
        #expect(view.studyHours(in: 2023).map(\.hours) == [3])
        #expect(view.quizAverage(of: "B1-C1") == 80)
        #expect(view.quizAverage(in: 2024) == 80)
        #expect(view.quizAverage(in: 2023) == 100)
        #expect(view.quizAverage(of: "B1-C3") == nil)
        let attendance = view.attendance(in: 2024)
        #expect(attendance.map(\.branch) == ["B1"])
        #expect(attendance.first?.attendances == 2 && attendance.first?.absences == 1)
        #expect(attendance.first?.rate == 2.0 / 3.0)
        #expect(view.attendance(in: 2023).isEmpty)
    }

    @Test func talentSearchAndVolunteerHours() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await register(ledger, "C2")
        try await ledger.execute(RegisterTalent(cadre: "C1", expertise: ["水利工程", "法律咨询"], registeredOn: date("2024-02-01")), by: "op", commandID: "t1")
        try await ledger.execute(RegisterTalent(cadre: "C2", expertise: ["书法", "Legal Aid"], registeredOn: date("2024-02-01")), by: "op", commandID: "t2")
        try await ledger.execute(RegisterTalent(cadre: "C1", expertise: ["书法"], registeredOn: date("2024-05-01")), by: "op", commandID: "t3")
        try await ledger.execute(FormVolunteerTeam(team: "T1", name: "银发志愿服务队", formedOn: date("2023-01-01")), by: "op", commandID: "f1")
        try await ledger.execute(FormVolunteerTeam(team: "T2", name: "社区调解队", formedOn: date("2023-01-01")), by: "op", commandID: "f2")
        for (team, cadre) in [("T1", "C1"), ("T1", "C2"), ("T2", "C1")] as [(String, CadreID)] {
            try await ledger.execute(JoinVolunteerTeam(team: team, cadre: cadre, joinedOn: date("2023-02-01")), by: "op", commandID: "j-\(team)-\(cadre)")
        }
        try await ledger.execute(RecordVolunteerService(team: "T1", participants: ["C1", "C2"], activity: "社区义诊", servedOn: date("2024-03-05"), hours: 3),
                                 by: "op", commandID: "v1")
        try await ledger.execute(RecordVolunteerService(team: "T2", participants: ["C1"], activity: "调解", servedOn: date("2024-03-06"), hours: 2),
                                 by: "op", commandID: "v2")
        let view = try ledger.view()
        #expect(view.talent(matching: "书法").map(\.cadre) == ["C1", "C2"])
        #expect(view.talent(matching: "法律").isEmpty)            // C1's tags were replaced
        #expect(view.talent(matching: "legal").map(\.cadre) == ["C2"])
        let hours = view.volunteerHours()
        #expect(hours.map(\.cadre) == ["C1", "C2"])
        #expect(hours[0].totalHours == 5 && hours[0].hoursByTeam == ["T1": 3, "T2": 2])
        #expect(view.volunteerHoursByTeam() == ["T1": 6, "T2": 2])
    }
}
