import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Mobile members (流动党员): outflow (流出), inflow (流入), return")
struct MobileMemberTests {
    private func outflow(_ cadre: CadreID = "B1-C1", from: BranchID = "B1", destination: String = "广东省深圳市", reason: String = "随子女居住",
                         since: String = "2024-03-01") -> RegisterOutflow {
        RegisterOutflow(cadre: cadre, fromBranch: from, destination: destination, reason: reason, since: date(since))
    }

    private func accept(_ cadre: CadreID = "B1-C1", by organisation: String = "深圳市南山区桃源街道党工委", on: String = "2024-03-20") -> AcceptInflow {
        AcceptInflow(cadre: cadre, receivingOrganisation: organisation, acceptedOn: date(on))
    }

    private func lastEvent<E: Event>(_ ledger: Ledger, _ cadre: CadreID, as type: E.Type) throws -> (RecordedEvent, E?)? {
        guard let event = try ledger.store.readStream(cadre.stream).last else { return nil }
        return (event, try event.decoded(as: type, with: Ledger.eventTypes))
    }

    @Test func anOutflowIsAcceptedAndClosedByTheReturnInTheCadresStream() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2)
        try await ledger.execute(outflow(destination: " 广东省深圳市 "), by: "op-8", commandID: "out-1")
        let (out, registered) = try #require(try lastEvent(ledger, "B1-C1", as: OutflowRegistered.self))
        #expect(out.eventType == "OutflowRegistered")
        #expect(out.metadata.businessDate == date("2024-03-01"))
        #expect(out.metadata.recordedBy == "op-8")
        #expect(registered == OutflowRegistered(cadre: "B1-C1", fromBranch: "B1", destination: "广东省深圳市", reason: "随子女居住", since: date("2024-03-01")))
        #expect(await ledger.state.mobileMembers.away["B1-C1"] == .init(fromBranch: "B1", destination: "广东省深圳市", since: date("2024-03-01")))

        // Accepted on the first day away (the earliest allowed): both organisations now share responsibility.
        try await ledger.execute(accept(on: "2024-03-01"), by: "op", commandID: "in-1")
        let accepted = try lastEvent(ledger, "B1-C1", as: InflowAccepted.self)?.1
        #expect(accepted == InflowAccepted(cadre: "B1-C1", fromBranch: "B1", receivingOrganisation: "深圳市南山区桃源街道党工委",
                                           since: date("2024-03-01"), acceptedOn: date("2024-03-01")))
        var away = await ledger.state.mobileMembers.away["B1-C1"]
        #expect(away?.receivingOrganisation == "深圳市南山区桃源街道党工委")
        #expect(away?.acceptedOn == date("2024-03-01"))
        // The membership of the home branch is untouched while away.
        #expect(await ledger.state.cadres["B1-C1"]?.currentBranch == "B1")

        try await ledger.execute(RecordReturn(cadre: "B1-C1", returnedOn: date("2024-10-01")), by: "op", commandID: "back-1")
        let (back, returned) = try #require(try lastEvent(ledger, "B1-C1", as: MobileMemberReturned.self))
        #expect(back.eventType == "MobileMemberReturned")
        #expect(returned == MobileMemberReturned(cadre: "B1-C1", fromBranch: "B1", since: date("2024-03-01"), returnedOn: date("2024-10-01")))
        #expect(await ledger.state.mobileMembers.away["B1-C1"] == nil)
        #expect(await ledger.state.mobileMembers.lastReturnedOn["B1-C1"] == date("2024-10-01"))

        // A new outflow may start on the day of the return, and be closed without an acceptance, on its first day.
        try await ledger.execute(outflow(destination: "海南省三亚市", reason: "异地养老", since: "2024-10-01"), by: "op", commandID: "out-2")
        away = await ledger.state.mobileMembers.away["B1-C1"]
        #expect(away?.destination == "海南省三亚市" && away?.acceptedOn == nil)
        try await ledger.execute(RecordReturn(cadre: "B1-C1", returnedOn: date("2024-10-01")), by: "op", commandID: "back-2")
        #expect(await ledger.state.mobileMembers.away.isEmpty)
        #expect(try ledger.store.readStream(CadreID("B1-C1").stream).suffix(5).map(\.eventType)
            == ["OutflowRegistered", "InflowAccepted", "MobileMemberReturned", "OutflowRegistered", "MobileMemberReturned"])
    }

    @Test func oneOpenOutflowAtATime() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 1)
        try await ledger.execute(outflow(), by: "op", commandID: "out-1")
        let written = ledger.store.nextPosition
        let second = await refusal { try await ledger.execute(outflow(destination: "上海市", since: "2024-06-01"), by: "op", commandID: "out-2") }
        #expect(second?.code == .outflowAlreadyOpen)
        #expect(second?.english == "cadre B1-C1 is already away (to 广东省深圳市 since 2024-03-01, registered by branch B1); one open outflow at a time: record the return first")
        #expect(second?.chinese == "离退休干部B1-C1已于2024-03-01外出流动至广东省深圳市（党支部B1登记），同一时间只能有一次外出，请先登记返回")
        try await ledger.execute(accept(), by: "op", commandID: "in-1")
        let again = await refusal { try await ledger.execute(accept(by: "另一个党组织", on: "2024-04-01"), by: "op", commandID: "in-2") }
        #expect(again?.code == .inflowAlreadyAccepted)
        #expect(again?.english == "the outflow of cadre B1-C1 since 2024-03-01 was already accepted by 深圳市南山区桃源街道党工委 on 2024-03-20; it is accepted once")
        #expect(again?.chinese == "离退休干部B1-C1自2024-03-01的外出流动已于2024-03-20由深圳市南山区桃源街道党工委接收，不能重复接收")
        #expect(ledger.store.nextPosition == written + 1)
    }

    @Test func theOutflowIsRegisteredByTheBranchOfTheCadreOnThatDate() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 1)
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(TransferMember(cadre: "B1-C1", from: "B1", to: "B2", transferredOn: date("2024-05-01")), by: "op", commandID: "move")
        let old = await refusal { try await ledger.execute(outflow(since: "2024-06-01"), by: "op", commandID: "out-old") }
        #expect(old?.code == .notABranchMember)
        #expect(old?.english == "cadre B1-C1 was not a member of branch B1 on 2024-06-01 (a member of B2)")
        try await ledger.execute(outflow(from: "B2", since: "2024-06-01"), by: "op", commandID: "out-new")
        #expect(await ledger.state.mobileMembers.away["B1-C1"]?.fromBranch == "B2")
        // A late record of an earlier outflow from B1 is not possible while one is open…
        let open = await refusal { try await ledger.execute(outflow(since: "2024-04-01"), by: "op", commandID: "out-late") }
        #expect(open?.code == .outflowAlreadyOpen)
    }

    @Test func theStateRebuiltFromTheLogKnowsWhoIsAway() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        try await ledger.execute(outflow("B1-C1"), by: "op", commandID: "o1")
        try await ledger.execute(accept("B1-C1"), by: "op", commandID: "a1")
        try await ledger.execute(outflow("B1-C2", since: "2024-02-01"), by: "op", commandID: "o2")
        try await ledger.execute(RecordReturn(cadre: "B1-C2", returnedOn: date("2024-05-01")), by: "op", commandID: "r2")
        let rebuilt = try ledger.store.project(DomainState.self).projection
        let live = await ledger.state.mobileMembers
        #expect(rebuilt.mobileMembers == live)
        #expect(rebuilt.mobileMembers.away.keys.sorted() == ["B1-C1"])
    }

    @Test func invalidMobileMemberCommandsWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 5)
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(EstablishBranch(branch: "B3", name: "临时党支部", type: .temporary, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B3")
        try await ledger.execute(DissolveBranch(branch: "B3", dissolvedOn: date("2023-01-01")), by: "op", commandID: "dissolve-B3")
        try await register(ledger, "N1")   // in the register, in no branch
        // C1 away and accepted; C2 back on 2024-05-01; C3 never away; C4 away, then died; C5 dead.
        try await ledger.execute(outflow("B1-C1"), by: "op", commandID: "o1")
        try await ledger.execute(accept("B1-C1"), by: "op", commandID: "a1")
        try await ledger.execute(outflow("B1-C2", since: "2024-02-01"), by: "op", commandID: "o2")
        try await ledger.execute(RecordReturn(cadre: "B1-C2", returnedOn: date("2024-05-01")), by: "op", commandID: "r2")
        try await ledger.execute(outflow("B1-C4", since: "2024-02-01"), by: "op", commandID: "o4")
        try await ledger.execute(RecordDeath(cadre: "B1-C4", diedOn: date("2024-06-01"), recordedOn: date("2024-06-02")), by: "op", commandID: "death-4")
        try await ledger.execute(RecordDeath(cadre: "B1-C5", diedOn: date("2024-01-01"), recordedOn: date("2024-01-02")), by: "op", commandID: "death-5")
        let written = ledger.store.nextPosition

        let cases: [(String, any DomainCommand, DomainError.Code)] = [
            ("an outflow in the future", outflow("B1-C3", since: "2025-01-01"), .dateInFuture),
            ("an outflow without destination", outflow("B1-C3", destination: " "), .invalidValue),
            ("an outflow without reason", outflow("B1-C3", reason: ""), .invalidValue),
            ("an outflow of an unknown cadre", outflow("C404"), .unknownCadre),
            ("an outflow from an unknown branch", outflow("B1-C3", from: "B9"), .unknownBranch),
            ("an outflow from a dissolved branch", outflow("B1-C3", from: "B3"), .branchDissolved),
            ("an outflow from another branch", outflow("B1-C3", from: "B2"), .notABranchMember),
            ("an outflow of a cadre in no branch", outflow("N1", from: "B1"), .notABranchMember),
            ("an outflow before joining the branch", outflow("B1-C3", since: "2020-01-15"), .notABranchMember),
            ("an outflow before the register", outflow("B1-C3", from: "B1", since: "2019-12-31"), .dateBeforeExistence),
            ("an outflow of the dead", outflow("B1-C5", since: "2024-03-01"), .cadreDeceased),
            ("a second open outflow", outflow("B1-C1", since: "2024-06-01"), .outflowAlreadyOpen),
            ("an outflow before the last return", outflow("B1-C2", since: "2024-04-30"), .invalidDates),
            ("accepting a member not away", accept("B1-C3"), .noOpenOutflow),
            ("accepting a member back home", accept("B1-C2", on: "2024-06-01"), .noOpenOutflow),
            ("accepting twice", accept("B1-C1", on: "2024-04-01"), .inflowAlreadyAccepted),
            ("accepting before the outflow", accept("B1-C4", on: "2024-01-31"), .invalidDates),
            ("accepting without organisation", accept("B1-C4", by: "  ", on: "2024-03-01"), .invalidValue),
            ("accepting in the future", accept("B1-C4", on: "2025-01-01"), .dateInFuture),
            ("accepting the dead", accept("B1-C4", on: "2024-06-01"), .cadreDeceased),
            ("a return of a member not away", RecordReturn(cadre: "B1-C3", returnedOn: date("2024-06-01")), .noOpenOutflow),
            ("a return before the outflow", RecordReturn(cadre: "B1-C1", returnedOn: date("2024-02-29")), .invalidDates),
            ("a return before the acceptance", RecordReturn(cadre: "B1-C1", returnedOn: date("2024-03-19")), .invalidDates),
            ("a return in the future", RecordReturn(cadre: "B1-C1", returnedOn: date("2025-01-01")), .dateInFuture),
            ("a return after death", RecordReturn(cadre: "B1-C4", returnedOn: date("2024-07-01")), .cadreDeceased),
            ("a return of an unknown cadre", RecordReturn(cadre: "C404", returnedOn: date("2024-07-01")), .noOpenOutflow),
        ]
        #expect(cases.count >= 15)
        for (i, (name, command, code)) in cases.enumerated() {
            let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(i)") }
            #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
            #expect(ledger.store.nextPosition == written, "\(name) wrote something")
        }

        // Full messages.
        let home = await refusal { try await ledger.execute(RecordReturn(cadre: "B1-C2", returnedOn: date("2024-06-01")), by: "op", commandID: "x1") }
        #expect(home?.english == "cadre B1-C2 has no open outflow (流动党员外出) to close (returned on 2024-05-01)")
        #expect(home?.chinese == "离退休干部B1-C2没有未结束的外出流动登记，无法登记返回（已于2024-05-01返回）")
        let never = await refusal { try await ledger.execute(accept("B1-C3"), by: "op", commandID: "x2") }
        #expect(never?.english == "cadre B1-C3 has no open outflow (流动党员外出) to accept")
        #expect(never?.chinese == "离退休干部B1-C3没有未结束的外出流动登记，无法接收")
        let early = await refusal { try await ledger.execute(outflow("B1-C2", since: "2024-04-30"), by: "op", commandID: "x3") }
        #expect(early?.english == "the last return (2024-05-01) must be on or before the new outflow (2024-04-30)")
        #expect(early?.chinese == "上次返回日期（2024-05-01）必须不晚于本次外出日期（2024-04-30）")
        #expect(ledger.store.nextPosition == written)
        // A death does not close the outflow in the state (the record of the return before the death is still possible).
        try await ledger.execute(RecordReturn(cadre: "B1-C4", returnedOn: date("2024-05-31")), by: "op", commandID: "r4")
        #expect(await ledger.state.mobileMembers.away.keys.sorted() == ["B1-C1"])
    }
}
