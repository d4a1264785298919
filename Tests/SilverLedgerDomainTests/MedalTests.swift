import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

func date(_ text: String) -> LedgerDate { LedgerDate(text)! }

/// A ledger over an in-memory store, with today fixed.
func ledger(today: String = "2024-12-31") throws -> Ledger {
    let fixed = date(today)
    return try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes), today: { fixed })
}

func register(_ ledger: Ledger, _ id: CadreID, born: String = "1940-03-01", registeredOn: String = "2020-01-01",
              category: CadreCategory = .tuixiu) async throws {
    try await ledger.execute(RegisterCadre(cadre: id, name: "张\(id)", category: category, birthDate: date(born),
                                           formerLevel: .county, formerUnit: "省水利厅", retiredOn: date("2000-03-01"),
                                           residence: "杭州市西湖区", registeredOn: date(registeredOn)),
                             by: "op-1", commandID: "register-\(id)")
}

func member(_ ledger: Ledger, _ id: CadreID, joined: String, full: String, on: String = "2020-01-02") async throws {
    try await ledger.execute(RecordPartyMembership(cadre: id, joinedOn: date(joined), fullMemberOn: date(full), recordedOn: date(on)),
                             by: "op-1", commandID: "member-\(id)")
}

/// The error a command throws; records an issue if it throws none.
func refusal(_ body: () async throws -> Void) async -> DomainError? {
    do {
        try await body()
        Issue.record("expected a DomainError, the command was accepted")
    } catch let error as DomainError {
        return error
    } catch {
        Issue.record("expected a DomainError, got \(error)")
    }
    return nil
}

@Suite("光荣在党50年: the medal for 50 years in the party")
struct MedalTests {
    @Test func fiftyFullYearsOnTheAwardDateAreEnough() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1973-06-30", full: "1974-07-01")
        let result = try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op-2", commandID: "medal-C1")
        #expect(result.positions == 2..<3)
        let awarded = try ledger.store.readStream(CadreID("C1").stream).last
        #expect(awarded?.eventType == "Medal50Awarded")
        #expect(awarded?.metadata.businessDate == date("2024-07-01"))
        #expect(awarded?.metadata.recordedBy == "op-2")
        #expect(try awarded?.decoded(as: Medal50Awarded.self, with: Ledger.eventTypes)?.standingYears == 50)
        #expect(await ledger.state.cadres["C1"]?.medal50AwardedOn == date("2024-07-01"))
    }

    @Test func oneDayShortIsRefusedWithTheYearsInBothLanguages() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1973-07-01", full: "1974-07-02")
        let error = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op-2", commandID: "medal-C1") }
        #expect(error?.code == .medalStandingTooShort)
        #expect(error?.code.rawValue == "medal.standing")
        #expect(error?.english == "party standing on 2024-07-01 is 49 years, 50 required (full member since 1974-07-02; reaches 50 on 2024-07-02)")
        #expect(error?.chinese == "截至2024-07-01党龄49年，不满50年（1974-07-02转正，2024-07-02满50年）")
        #expect(error?.values["standingYears"] == "49")
        #expect(ledger.store.nextPosition == 2)   // nothing written
        #expect(await ledger.state.cadres["C1"]?.medal50AwardedOn == nil)
    }

    @Test func standingCountsFromFullMembershipNotFromJoining() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        // Joined more than 50 years before, but a full member only 49 years before.
        try await member(ledger, "C1", joined: "1970-01-01", full: "1975-01-01")
        let error = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m") }
        #expect(error?.code == .medalStandingTooShort)
        #expect(error?.values["standingYears"] == "49")
    }

    @Test func twentyNinthOfFebruaryCountsAsTwentyEighthInOtherYears() async throws {
        #expect(PartyStanding.years(from: date("1972-02-29"), to: date("2022-02-27")) == 49)
        #expect(PartyStanding.years(from: date("1972-02-29"), to: date("2022-02-28")) == 50)
        #expect(PartyStanding.years(from: date("1972-02-29"), to: date("2024-02-28")) == 51)   // 2024 has a 29th: not yet 52…
        #expect(PartyStanding.years(from: date("1972-02-29"), to: date("2024-02-29")) == 52)
        #expect(PartyStanding.years(from: date("1974-07-01"), to: date("1974-06-30")) == 0)
        #expect(PartyStanding.date(reaching: 50, from: date("1972-02-29")) == date("2022-02-28"))

        let ledger = try ledger(today: "2022-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1971-02-28", full: "1972-02-29")
        let early = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2022-02-27")), by: "op", commandID: "m1") }
        #expect(early?.values["reachesOn"] == "2022-02-28")
        try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2022-02-28")), by: "op", commandID: "m2")
    }

    @Test func theMedalIsAwardedOnce() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
        try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2021-07-01")), by: "op", commandID: "m1")
        let again = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m2") }
        #expect(again?.code == .medalAlreadyAwarded)
        #expect(again?.english == "cadre C1 was already awarded the \"光荣在党50年\" medal on 2021-07-01; it is awarded once")
        #expect(ledger.store.nextPosition == 3)
        // The same command sent again is not judged again: it returns the first result.
        let first = try await ledger.store.result(ofCommand: "m1")
        let repeated = try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2021-07-01")), by: "op", commandID: "m1")
        #expect(repeated == first)
        #expect(ledger.store.nextPosition == 3)
    }

    @Test func twoAwardsAtOnceCannotBothPass() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    (try? await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "race-\(i)")) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(ledger.store.nextPosition == 3)
    }

    @Test func theMedalNeedsALivingPartyMemberInTheRegister() async throws {
        let ledger = try ledger()
        let unknown = await refusal { try await ledger.execute(AwardMedal50(cadre: "C9", awardedOn: date("2024-07-01")), by: "op", commandID: "m0") }
        #expect(unknown?.code == .unknownCadre)
        #expect(unknown?.chinese == "登记中没有离退休干部C9")

        try await register(ledger, "C1")
        let notMember = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m1") }
        #expect(notMember?.code == .notAPartyMember)

        try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
        try await ledger.execute(RecordDeath(cadre: "C1", diedOn: date("2024-06-30"), recordedOn: date("2024-07-02")), by: "op", commandID: "d1")
        let dead = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m2") }
        #expect(dead?.code == .cadreDeceased)
        #expect(dead?.english == "cadre C1 died on 2024-06-30; nothing may name them on or after that date (2024-07-01)")
        // Before the death, the award was possible (a record made later about an earlier date).
        try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-06-29")), by: "op", commandID: "m3")
    }

    @Test func theAwardDateIsNeitherInTheFutureNorBeforeTheRegister() async throws {
        let ledger = try ledger(today: "2024-06-30")
        try await register(ledger, "C1", registeredOn: "2020-01-01")
        try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
        let future = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m1") }
        #expect(future?.code == .dateInFuture)
        #expect(future?.english == "the award on 2024-07-01 is in the future (today is 2024-06-30)")
        let early = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2019-07-01")), by: "op", commandID: "m2") }
        #expect(early?.code == .dateBeforeExistence)
        #expect(ledger.store.nextPosition == 2)
    }

    @Test func theLedgerRebuildsItsStateFromTheLogOnDisk() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-domain-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixed = date("2024-12-31")
        do {
            let store = try EventStore.open(at: dir, types: Ledger.eventTypes)
            let ledger = try Ledger(store: store, today: { fixed })
            try await register(ledger, "C1")
            try await member(ledger, "C1", joined: "1960-01-01", full: "1961-01-01")
            try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-01")), by: "op", commandID: "m1")
            try store.close()
        }
        let store = try EventStore.open(at: dir, types: Ledger.eventTypes)
        defer { try? store.close() }
        let ledger = try Ledger(store: store, today: { fixed })
        #expect(await ledger.state.cadres["C1"]?.medal50AwardedOn == date("2024-07-01"))
        let again = await refusal { try await ledger.execute(AwardMedal50(cadre: "C1", awardedOn: date("2024-07-02")), by: "op", commandID: "m2") }
        #expect(again?.code == .medalAlreadyAwarded)
    }
}
