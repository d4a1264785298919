import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Commands in batches: each checked after the ones before it, refused ones write nothing")
struct BatchCommandTests {
    private func registration(_ id: CadreID, on day: String = "2020-01-01") -> RegisterCadre {
        RegisterCadre(cadre: id, name: "张\(id)", category: .tuixiu, birthDate: date("1945-01-01"), formerLevel: .county,
                      formerUnit: "省水利厅", retiredOn: date("2005-01-01"), residence: "杭州市", registeredOn: date(day))
    }

    @Test func aBatchHoldsEachCommandsOutcomeInOrder() async throws {
        let ledger = try ledger()
        try await ledger.execute(registration("C0"), by: "op", commandID: "before")
        let results = try await ledger.execute([
            LedgerCommand(EstablishBranch(branch: "B1", name: "第一党支部", type: .standalone, parentOrganisation: "机关党委",
                                          establishedOn: date("2020-01-01")), id: "b1"),
            LedgerCommand(registration("C1"), id: "r1", correlationID: "import-7"),
            // Depends on the two before it, in the same batch.
            LedgerCommand(RecordPartyMembership(cadre: "C1", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"),
                                                recordedOn: date("2020-01-02")), id: "p1"),
            LedgerCommand(AddMember(branch: "B1", cadre: "C1", addedOn: date("2020-01-03")), id: "a1"),
            // Refused: not 50 years of standing; the rest goes on.
            LedgerCommand(AwardMedal50(cadre: "C1", awardedOn: date("2020-07-01")), id: "m1"),
            // Refused: the same cadre registered again in the batch.
            LedgerCommand(registration("C1"), id: "r1-again"),
            // The same command id twice in the batch, and one the store already has.
            LedgerCommand(registration("C1"), id: "r1"),
            LedgerCommand(registration("C9"), id: "before"),
        ], by: "op-导入")
        #expect(results.count == 8)
        let positions = results.map { try? $0.get().positions }
        #expect(positions[0] == 1..<2 && positions[1] == 2..<3 && positions[2] == 3..<4 && positions[3] == 4..<5)
        func code(_ i: Int) -> DomainError.Code? {
            if case .failure(let error) = results[i] { return error.code }
            return nil
        }
        #expect(code(4) == .medalStandingTooShort)
        #expect(code(5) == .cadreAlreadyRegistered)
        #expect(positions[6] == 2..<3)          // the first result of "r1"
        #expect(positions[7] == 0..<1)          // the first result of "before"
        #expect(ledger.store.nextPosition == 5)
        #expect(await ledger.state.cadres["C9"] == nil)
        #expect(await ledger.state.branches["B1"]?.members == ["C1"])
        // Metadata per command; the state is the one the log rebuilds.
        let events = try ledger.store.readStream(CadreID("C1").stream)
        #expect(events.map(\.metadata.commandID) == ["r1", "p1"])
        #expect(events.map(\.metadata.recordedBy) == ["op-导入", "op-导入"])
        #expect(events[0].metadata.correlationID == "import-7")
        #expect(try ledger.store.readStream(BranchID("B1").stream).map(\.metadata.commandID) == ["b1", "a1"])
        let rebuilt = try ledger.store.project(DomainState.self).projection
        #expect(rebuilt == (await ledger.state))
    }

    @Test func aRecordIDUsedTwiceInOneBatchRefusesOnlyTheSecond() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        let written = ledger.store.nextPosition
        func meeting(_ attendee: CadreID) -> RecordMeeting {
            RecordMeeting(meeting: "B1-2024-05-general", branch: "B1", kind: .generalMeeting, topic: "党纪学习",
                          heldOn: date("2024-05-16"), attendees: [attendee])
        }
        let results = try await ledger.execute([LedgerCommand(meeting("B1-C1"), id: "m1"), LedgerCommand(meeting("B1-C2"), id: "m2")], by: "op")
        #expect((try? results[0].get())?.positions == written..<(written + 1))
        guard case .failure(let error) = results[1] else { Issue.record("the second meeting under the same id was accepted"); return }
        #expect(error.code == .recordExists)
        #expect(error.values["stream"] == "meeting-B1-2024-05-general")
        #expect(ledger.store.nextPosition == written + 1)
        // Also against a meeting already in the store.
        let again = try await ledger.execute([LedgerCommand(meeting("B1-C3"), id: "m3")], by: "op")
        if case .failure(let e) = again[0] { #expect(e.code == .recordExists) } else { Issue.record("accepted") }
    }

    @Test func batchesAndSingleCommandsGiveTheSameRecords() async throws {
        func run(batch: Int) async throws -> (DomainState, [String]) {
            var config = ProvinceGenerator.Configuration(cadres: 80, branches: 8, years: 2)
            config.batchSize = batch
            let end = config.endDate
            let ledger = try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes), today: { end })
            let report = try await ProvinceGenerator(config).run(into: ledger)
            #expect(report.events == ledger.store.nextPosition)
            var lines: [String] = []
            try ledger.store.exportJSONLines { line in
                lines.append(line.replacingOccurrences(of: #""recordedAt":"[^"]*","#, with: "", options: .regularExpression))
            }
            return (await ledger.state, lines)
        }
        let (one, oneLines) = try await run(batch: 1)
        let (many, manyLines) = try await run(batch: 97)
        #expect(oneLines.count > 500)
        #expect(oneLines == manyLines)
        #expect(one == many)
    }

    @Test func aStoreThatRefusesTheBatchWritesNothingAndTheLedgerThrows() async throws {
        let ledger = try ledger()
        try await ledger.execute(registration("C0"), by: "op", commandID: "before")
        try ledger.store.close()
        let error = await refusal {
            _ = try await ledger.execute([LedgerCommand(registration("C1"), id: "r1"), LedgerCommand(registration("C2"), id: "r2")], by: "op")
        }
        #expect(error?.code == .store)
        #expect(error?.english.hasPrefix("the store refused a batch of 2 commands; none was written") == true)
        #expect(ledger.store.nextPosition == 1)
        #expect(!ledger.store.knowsCommand("r1"))
    }

    @Test func anEmptyOperatorRefusesTheWholeBatch() async throws {
        let ledger = try ledger()
        let error = await refusal { _ = try await ledger.execute([LedgerCommand(registration("C1"), id: "r1")], by: " ") }
        #expect(error?.code == .invalidValue)
        #expect(ledger.store.nextPosition == 0)
        let empty = try await ledger.execute([], by: "op")
        #expect(empty.isEmpty)
    }
}

@Suite("Death: not dated before what is recorded of the cadre; standing stops at death")
struct DeathRuleTests {
    @Test func aDeathBeforeTheLatestRecordIsRefusedAndTheSameDayIsNot() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2, joinedOn: "2021-03-01")
        try await ledger.execute(LogVisit(visit: "V1", cadre: "B1-C1", kind: .hospital, channel: .inPerson, visitors: ["李处长"],
                                          notes: "住院探望", needs: [], visitedOn: date("2024-04-10")), by: "op", commandID: "v1")
        let written = ledger.store.nextPosition
        let error = await refusal {
            try await ledger.execute(RecordDeath(cadre: "B1-C1", diedOn: date("2024-04-09"), recordedOn: date("2024-04-12")), by: "op", commandID: "d0")
        }
        #expect(error?.code == .invalidDates)
        #expect(error?.values["latestRecordOn"] == "2024-04-10")
        #expect(error?.english == "cadre B1-C1 cannot have died on 2024-04-09: a visit is recorded on 2024-04-10")
        #expect(error?.chinese == "离退休干部B1-C1的去世日期2024-04-09早于已有记录（走访，2024-04-10）")
        // Before joining the branch, too.
        let beforeBranch = await refusal {
            try await ledger.execute(RecordDeath(cadre: "B1-C2", diedOn: date("2021-02-01"), recordedOn: date("2024-04-12")), by: "op", commandID: "d1")
        }
        #expect(beforeBranch?.values["record"] == "joining branch B1")
        #expect(ledger.store.nextPosition == written)
        // The day of the visit is allowed; the standing then stops at the death.
        try await ledger.execute(RecordDeath(cadre: "B1-C1", diedOn: date("2024-04-10"), recordedOn: date("2024-04-12")), by: "op", commandID: "d2")
        let record = try #require(await ledger.state.cadres["B1-C1"])
        #expect(record.partyStanding(on: date("2024-04-09")) == 53)
        #expect(record.partyStanding(on: date("2030-01-01")) == 53)
        #expect(try ledger.view().profile(of: "B1-C1", on: date("2030-01-01"))?.partyStandingYears == 53)
    }
}
