import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Visits and care (走访慰问), study sessions (学习)")
struct VisitAndStudyTests {
    @Test func aVisitWithNeedsIsLoggedAndItsNeedsFollowedUpUntilResolved() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1", category: .lixiu)
        try await ledger.execute(LogVisit(visit: "V1", cadre: "C1", kind: .festival, channel: .inPerson, visitors: ["王处长", " 李干事 "],
                                          notes: "春节慰问，身体尚可", needs: [.init(kind: .medical, description: "需要陪同就医"),
                                                                         .init(kind: .homeCare, description: "申请居家养老服务")],
                                          visitedOn: date("2024-02-08")), by: "op", commandID: "v1")
        var state = await ledger.state
        #expect(state.cadres["C1"]?.lastVisitedOn == date("2024-02-08"))
        #expect(state.needs.keys.sorted() == ["V1-1", "V1-2"])
        let logged = try ledger.store.readStream(CadreID("C1").stream).last?.decoded(as: VisitLogged.self, with: Ledger.eventTypes)
        #expect(logged?.visitors == ["王处长", "李干事"])   // names trimmed
        try await ledger.execute(FollowUpNeed(need: "V1-1", action: "联系社区医院预约", resolved: false, followedUpOn: date("2024-02-10")), by: "op", commandID: "f1")
        try await ledger.execute(FollowUpNeed(need: "V1-1", action: "陪同就医完成", resolved: true, followedUpOn: date("2024-02-20")), by: "op", commandID: "f2")
        state = await ledger.state
        #expect(state.needs["V1-1"]?.resolvedOn == date("2024-02-20"))
        #expect(state.needs["V1-2"]?.resolvedOn == nil)
        let again = await refusal { try await ledger.execute(FollowUpNeed(need: "V1-1", action: "再次回访", resolved: true, followedUpOn: date("2024-03-01")), by: "op", commandID: "f3") }
        #expect(again?.code == .needAlreadyResolved)
        // A visit logged late does not move the last visit back.
        try await ledger.execute(LogVisit(visit: "V0", cadre: "C1", kind: .regularContact, channel: .phone, visitors: ["王处长"], visitedOn: date("2024-01-05")),
                                 by: "op", commandID: "v0")
        #expect(await ledger.state.cadres["C1"]?.lastVisitedOn == date("2024-02-08"))
    }

    @Test func invalidVisitsAndStudySessionsWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await register(ledger, "C2")
        try await ledger.execute(RecordDeath(cadre: "C2", diedOn: date("2024-05-01"), recordedOn: date("2024-05-02")), by: "op", commandID: "d2")
        try await ledger.execute(LogVisit(visit: "V1", cadre: "C1", kind: .hospital, channel: .inPerson, visitors: ["王"],
                                          needs: [.init(kind: .emergency, description: "夜间无人照护")], visitedOn: date("2024-03-01")),
                                 by: "op", commandID: "v1")
        let written = ledger.store.nextPosition
        func visit(_ id: String = "V2", cadre: CadreID = "C1", visitors: [String] = ["王"], on: String = "2024-06-01",
                   needs: [LogVisit.Need] = []) -> LogVisit {
            LogVisit(visit: id, cadre: cadre, kind: .birthday, channel: .video, visitors: visitors, needs: needs, visitedOn: date(on))
        }
        func study(_ id: String = "S1", hours: Double = 2, attendees: [CadreID] = ["C1"], on: String = "2024-06-01", topic: String = "党纪学习教育") -> RecordStudySession {
            RecordStudySession(session: id, organiser: "省委老干部局", format: .branchStudy, topic: topic, heldOn: date(on), hours: hours, attendees: attendees)
        }
        let cases: [(String, any DomainCommand, DomainError.Code)] = [
            ("no visitor", visit(visitors: []), .invalidValue),
            ("a blank visitor", visit(visitors: ["王", "  "]), .invalidValue),
            ("a visitor twice", visit(visitors: ["王", "王"]), .duplicateName),
            ("visiting the dead", visit(cadre: "C2", on: "2024-06-01"), .cadreDeceased),
            ("visiting on the day of death", visit(cadre: "C2", on: "2024-05-01"), .cadreDeceased),
            ("visiting an unknown cadre", visit(cadre: "C9"), .unknownCadre),
            ("a visit in the future", visit(on: "2025-01-01"), .dateInFuture),
            ("a visit before registration", visit(on: "2019-06-01"), .dateBeforeExistence),
            ("a need without description", visit(needs: [.init(kind: .other, description: "")]), .invalidValue),
            ("a visit id used before", visit("V1", needs: [.init(kind: .other, description: "x")]), .visitAlreadyLogged),
            ("following up an unknown need", FollowUpNeed(need: "V9-1", action: "x", resolved: true, followedUpOn: date("2024-06-01")), .unknownNeed),
            ("following up before the visit", FollowUpNeed(need: "V1-1", action: "x", resolved: true, followedUpOn: date("2024-02-01")), .invalidDates),
            ("following up with no action", FollowUpNeed(need: "V1-1", action: " ", resolved: true, followedUpOn: date("2024-06-01")), .invalidValue),
            ("zero hours", study(hours: 0), .invalidValue),
            ("more than 24 hours", study(hours: 24.5), .invalidValue),
            ("not a number of hours", study(hours: .nan), .invalidValue),
            ("no attendee", study(attendees: []), .invalidValue),
            ("an attendee twice", study(attendees: ["C1", "C1"]), .duplicateName),
            ("a dead attendee", study(attendees: ["C1", "C2"]), .cadreDeceased),
            ("an unknown attendee", study(attendees: ["C9"]), .unknownCadre),
            // Of several attendees that break a rule, the first named is the one refused.
            ("an unknown attendee before a dead one", study(attendees: ["C1", "C9", "C2"]), .unknownCadre),
            ("a dead attendee before an unknown one", study(attendees: ["C1", "C2", "C9"]), .cadreDeceased),
            ("an attendee before registration after one unknown", study(attendees: ["C9", "C1"], on: "2019-06-01"), .unknownCadre),
            ("a session in the future", study(on: "2025-01-02"), .dateInFuture),
            ("a session without topic", study(topic: ""), .invalidValue),
            ("a quiz score over 100", RecordQuizResult(cadre: "C1", quiz: "党规党纪知识线上竞答", score: 101, takenOn: date("2024-06-01")), .invalidValue),
            ("a negative quiz score", RecordQuizResult(cadre: "C1", quiz: "党规党纪知识线上竞答", score: -1, takenOn: date("2024-06-01")), .invalidValue),
            ("a quiz of the dead", RecordQuizResult(cadre: "C2", quiz: "党规党纪知识线上竞答", score: 90, takenOn: date("2024-06-01")), .cadreDeceased),
        ]
        for (i, (name, command, code)) in cases.enumerated() {
            let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(i)") }
            #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
            #expect(ledger.store.nextPosition == written, "\(name) wrote something")
        }
        // The edges that pass.
        try await ledger.execute(study(hours: 24), by: "op", commandID: "s-24")
        try await ledger.execute(study("S2", hours: 0.5, attendees: ["C1"], on: "2024-04-30"), by: "op", commandID: "s-half")
        try await ledger.execute(RecordQuizResult(cadre: "C1", quiz: "党规党纪知识线上竞答", score: 100, takenOn: date("2024-06-01")), by: "op", commandID: "q100")
        try await ledger.execute(RecordQuizResult(cadre: "C1", quiz: "党规党纪知识线上竞答", score: 0, takenOn: date("2024-06-02")), by: "op", commandID: "q0")
        // A session id is used once.
        let reused = await refusal { try await ledger.execute(study(hours: 1), by: "op", commandID: "s-again") }
        #expect(reused?.code == .recordExists)
        #expect(reused?.english == "study-S1 already exists; an id is used once (command s-again)")
        #expect(ledger.store.nextPosition == written + 4)
    }
}
