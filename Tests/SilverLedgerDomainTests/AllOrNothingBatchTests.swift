import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Batches all or nothing; an operator per command; the generator's progress")
struct AllOrNothingBatchTests {
    private func registration(_ id: CadreID) -> RegisterCadre {
        RegisterCadre(cadre: id, name: "张\(id)", category: .tuixiu, birthDate: date("1945-01-01"), formerLevel: .county,
                      formerUnit: "省水利厅", retiredOn: date("2005-01-01"), residence: "杭州市", registeredOn: date("2020-01-01"))
    }

    private var commands: [LedgerCommand] {
        [
            LedgerCommand(registration("C1"), id: "r1"),
            LedgerCommand(RecordPartyMembership(cadre: "C1", joinedOn: date("1980-01-01"), fullMemberOn: date("1981-01-01"),
                                                recordedOn: date("2020-01-02")), id: "p1", recordedBy: "op-干部处"),
            // Refused: 39 years of standing.
            LedgerCommand(AwardMedal50(cadre: "C1", awardedOn: date("2020-07-01")), id: "m1"),
        ]
    }

    @Test func oneRefusalAndNothingIsWritten() async throws {
        let ledger = try ledger()
        let stateBefore = await ledger.state
        let results = try await ledger.execute(commands, by: "op", allOrNothing: true)
        #expect(ledger.store.nextPosition == 0)
        #expect(await ledger.state == stateBefore)
        let codes = results.map { result -> String? in
            if case .failure(let error) = result { return error.code.rawValue }
            return nil
        }
        #expect(codes == ["batch.notWritten", "batch.notWritten", "medal.standing"])
        if case .failure(let error) = results[0] {
            #expect(error.values == ["refusedCommand": "m1", "refusedCode": "medal.standing"])
            #expect(error.chinese.contains("m1"))
        }
        // The ids were not used: the same commands without the refused one go through, all together.
        let accepted = try await ledger.execute(Array(commands.prefix(2)), by: "op", allOrNothing: true)
        #expect(accepted.map { try? $0.get().positions } == [0..<1, 1..<2])
        let events = try ledger.store.readStream(CadreID("C1").stream)
        #expect(events.map(\.metadata.recordedBy) == ["op", "op-干部处"])   // the command's own operator wins
    }

    @Test func withoutAllOrNothingTheOthersAreWritten() async throws {
        let ledger = try ledger()
        let results = try await ledger.execute(commands, by: "op")
        #expect(ledger.store.nextPosition == 2)
        if case .failure(let error) = results[2] { #expect(error.code == .medalStandingTooShort) } else { Issue.record("m1 accepted") }
    }

    @Test func anEmptyOperatorOnACommandIsRefused() async throws {
        let ledger = try ledger()
        let results = try await ledger.execute([LedgerCommand(registration("C1"), id: "r1", recordedBy: " ")], by: "op")
        if case .failure(let error) = results[0] { #expect(error.code == .invalidValue) } else { Issue.record("accepted") }
        #expect(ledger.store.nextPosition == 0)
    }

    @Test func theGeneratorReportsEachMonth() async throws {
        let ledger = try ledger(today: "2024-12-31")
        var configuration = ProvinceGenerator.Configuration(cadres: 20, branches: 2, years: 2)
        configuration.startYear = 2023
        var months: [Int] = []
        var totals = Set<Int>()
        _ = try await ProvinceGenerator(configuration).run(into: ledger) { done, total in
            months.append(done)
            totals.insert(total)
        }
        #expect(months == Array(1...24))
        #expect(totals == [24])
    }
}
