import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Honours: 政治生日, 先进个人, 银发先锋, 先进集体")
struct HonourTests {
    private func establish(_ ledger: Ledger, _ branch: BranchID, on: String) async throws {
        try await ledger.execute(EstablishBranch(branch: branch, name: "党支部\(branch)", type: .joint, parentOrganisation: "机关党委",
                                                 establishedOn: date(on)), by: "op", commandID: "establish-\(branch)")
    }

    @Test func aPoliticalBirthdayIsCelebratedOnceAYear() async throws {
        let ledger = try ledger(today: "2025-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1970-07-01", full: "1971-07-01")
        try await ledger.execute(RecordPoliticalBirthday(cadre: "C1", organiser: "第一党支部", heldOn: date("2024-07-01")), by: "op-2", commandID: "pb-2024")
        #expect(await ledger.state.cadres["C1"]?.lastPoliticalBirthdayOn == date("2024-07-01"))
        let event = try ledger.store.readStream(CadreID("C1").stream).last
        #expect(event?.eventType == "PoliticalBirthdayRecorded")
        #expect(event?.metadata.businessDate == date("2024-07-01") && event?.metadata.recordedBy == "op-2")
        // 入党54周年: counted from joining, not from full membership.
        #expect(try event?.decoded(as: PoliticalBirthdayRecorded.self, with: Ledger.eventTypes)
            == PoliticalBirthdayRecorded(cadre: "C1", organiser: "第一党支部", heldOn: date("2024-07-01"), yearsSinceJoining: 54))
        // The next year is fine, even early in it; the same year twice is not.
        try await ledger.execute(RecordPoliticalBirthday(cadre: "C1", organiser: "第一党支部", heldOn: date("2025-01-02")), by: "op", commandID: "pb-2025")
        let again = await refusal { try await ledger.execute(RecordPoliticalBirthday(cadre: "C1", organiser: "老干部局", heldOn: date("2025-07-01")), by: "op", commandID: "pb-2025b") }
        #expect(again?.code == .politicalBirthdayAlreadyHeld)
        #expect(again?.english == "cadre C1's political birthday of 2025 was already celebrated on 2025-01-02; once a year")
        #expect(again?.chinese == "离退休干部C1的2025年度政治生日已于2025-01-02举办，每年一次")
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func honoursGoToCadresAndBranchesOncePerTitleLevelAndYear() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 1)
        try await ledger.execute(RecordHonour(recipient: .cadre("B1-C1"), title: .advancedIndividual, level: .province, year: 2023,
                                              awardedOn: date("2024-01-15")), by: "op", commandID: "h1")
        // Another level, another title, another year: each is its own honour.
        try await ledger.execute(RecordHonour(recipient: .cadre("B1-C1"), title: .advancedIndividual, level: .city, year: 2023,
                                              awardedOn: date("2024-01-15")), by: "op", commandID: "h2")
        try await ledger.execute(RecordHonour(recipient: .cadre("B1-C1"), title: .silverPioneer, level: .province, year: 2023,
                                              awardedOn: date("2024-01-15")), by: "op", commandID: "h3")
        try await ledger.execute(RecordHonour(recipient: .cadre("B1-C1"), title: .advancedIndividual, level: .province, year: 2024,
                                              awardedOn: date("2024-12-01")), by: "op", commandID: "h4")
        try await ledger.execute(RecordHonour(recipient: .branch("B1"), title: .advancedCollective, level: .county, year: 2024,
                                              awardedOn: date("2024-06-30")), by: "op", commandID: "h5")
        let state = await ledger.state
        #expect(state.cadres["B1-C1"]?.honours == [
            HonourKey(title: .advancedIndividual, level: .province, year: 2023), HonourKey(title: .advancedIndividual, level: .city, year: 2023),
            HonourKey(title: .silverPioneer, level: .province, year: 2023), HonourKey(title: .advancedIndividual, level: .province, year: 2024),
        ])
        #expect(state.contribution.collectiveHonours == [.init(branch: "B1", honour: HonourKey(title: .advancedCollective, level: .county, year: 2024))])

        let cadreEvent = try ledger.store.readStream(CadreID("B1-C1").stream).last
        #expect(try cadreEvent?.decoded(as: HonourRecorded.self, with: Ledger.eventTypes)
            == HonourRecorded(recipient: .cadre("B1-C1"), title: .advancedIndividual, level: .province, year: 2024, awardedOn: date("2024-12-01")))
        // A branch's honour is in the branch's stream.
        let branchEvent = try ledger.store.readStream(BranchID("B1").stream).last
        #expect(branchEvent?.eventType == "HonourRecorded")
        #expect(try branchEvent?.decoded(as: HonourRecorded.self, with: Ledger.eventTypes)
            == HonourRecorded(recipient: .branch("B1"), title: .advancedCollective, level: .county, year: 2024, awardedOn: date("2024-06-30")))
        #expect(try branchEvent?.decoded(as: HonourRecorded.self, with: Ledger.eventTypes)?.cadre == nil)
        // The recipient is stored as "branch": "B1" or "cadre": "…", the other left out.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(HonourRecorded(recipient: .branch("B1"), title: .advancedCollective, level: .city,
                                                                      year: 2024, awardedOn: date("2024-06-30"))), as: UTF8.self)
        #expect(json == #"{"awardedOn":"2024-06-30","branch":"B1","level":"city","title":"advancedCollective","year":2024}"#)

        let twice = await refusal {
            try await ledger.execute(RecordHonour(recipient: .branch("B1"), title: .advancedCollective, level: .county, year: 2024,
                                                  awardedOn: date("2024-07-01")), by: "op", commandID: "h6")
        }
        #expect(twice?.code.rawValue == "honour.alreadyRecorded")
        #expect(twice?.english == "branch B1 already has the county advancedCollective (县级先进集体) honour for 2024")
        #expect(twice?.chinese == "党支部B1已获2024年度县级先进集体，不得重复记录")
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func invalidHonoursAreRefusedAndWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 2)   // B1 (2020-01-01), B1-C1 and B1-C2, party members since 1970
        try await register(ledger, "N1")        // not a party member
        try await register(ledger, "J1")        // joined the party after registration
        try await ledger.execute(RecordPartyMembership(cadre: "J1", joinedOn: date("2021-03-01"), fullMemberOn: date("2022-03-01"), recordedOn: date("2022-04-01")),
                                 by: "op", commandID: "member-J1")
        try await ledger.execute(RecordDeath(cadre: "B1-C2", diedOn: date("2024-03-01"), recordedOn: date("2024-03-02")), by: "op", commandID: "d")
        try await establish(ledger, "B3", on: "2020-01-01")
        try await ledger.execute(DissolveBranch(branch: "B3", dissolvedOn: date("2023-01-01")), by: "op", commandID: "dissolve-B3")
        try await establish(ledger, "B4", on: "2022-05-01")
        try await ledger.execute(RecordPoliticalBirthday(cadre: "B1-C1", organiser: "第一党支部", heldOn: date("2024-07-01")), by: "op", commandID: "pb")
        try await ledger.execute(RecordHonour(recipient: .cadre("B1-C1"), title: .silverPioneer, level: .city, year: 2023, awardedOn: date("2024-01-10")),
                                 by: "op", commandID: "h")
        try await ledger.execute(RecordHonour(recipient: .branch("B1"), title: .advancedCollective, level: .province, year: 2023, awardedOn: date("2024-01-10")),
                                 by: "op", commandID: "hb")

        func birthday(_ cadre: CadreID = "B1-C1", organiser: String = "老干部局", on: String = "2024-08-01") -> RecordPoliticalBirthday {
            RecordPoliticalBirthday(cadre: cadre, organiser: organiser, heldOn: date(on))
        }
        func honour(_ recipient: HonourRecipient = .cadre("B1-C1"), _ title: HonourTitle = .advancedIndividual, level: HonourLevel = .province,
                    year: Int = 2024, on: String = "2024-12-01") -> RecordHonour {
            RecordHonour(recipient: recipient, title: title, level: level, year: year, awardedOn: date(on))
        }
        await expectEachRefusedWritingNothing(ledger, [
            ("a political birthday of a cadre who is not a party member", birthday("N1"), .notAPartyMember),
            ("a political birthday before joining the party", birthday("J1", on: "2020-06-01"), .notAPartyMember),
            ("a political birthday of an unknown cadre", birthday("X9"), .unknownCadre),
            ("a political birthday in the future", birthday(on: "2025-07-01"), .dateInFuture),
            ("a political birthday of the dead", birthday("B1-C2"), .cadreDeceased),
            ("a second political birthday in a year", birthday(on: "2024-12-01"), .politicalBirthdayAlreadyHeld),
            ("a political birthday of an earlier year, recorded after a later one", birthday(on: "2023-07-01"), .invalidDates),
            ("a political birthday without organiser", birthday(organiser: " "), .invalidValue),
            ("a political birthday before the register", birthday(on: "2019-07-01"), .dateBeforeExistence),
            ("先进集体 for a cadre", honour(.cadre("B1-C1"), .advancedCollective), .honourRecipientMismatch),
            ("先进个人 for a branch", honour(.branch("B1"), .advancedIndividual), .honourRecipientMismatch),
            ("银发先锋 for a branch", honour(.branch("B1"), .silverPioneer), .honourRecipientMismatch),
            ("the same cadre honour twice", honour(.cadre("B1-C1"), .silverPioneer, level: .city, year: 2023), .honourAlreadyRecorded),
            ("the same branch honour twice", honour(.branch("B1"), .advancedCollective, level: .province, year: 2023), .honourAlreadyRecorded),
            ("an honour for a future year", honour(year: 2025), .dateInFuture),
            ("an honour for a year after the award date", honour(year: 2024, on: "2023-12-01"), .invalidDates),
            ("an honour for a year before the register", honour(year: 2019), .dateBeforeExistence),
            ("a branch honour for a year before the branch", honour(.branch("B4"), .advancedCollective, year: 2021), .dateBeforeExistence),
            ("a branch honour awarded before the branch", honour(.branch("B4"), .advancedCollective, year: 2022, on: "2022-04-01"), .dateBeforeExistence),
            ("an honour for an unknown branch", honour(.branch("B9"), .advancedCollective), .unknownBranch),
            ("an honour for a dissolved branch", honour(.branch("B3"), .advancedCollective), .branchDissolved),
            ("an honour for the dead", honour(.cadre("B1-C2")), .cadreDeceased),
            ("an honour awarded in the future", honour(year: 2024, on: "2025-01-10"), .dateInFuture),
            ("an honour for an unknown cadre", honour(.cadre("X9")), .unknownCadre),
        ])
        // The edges that pass: a year before the award year; a dissolved branch's honour dated while it was active.
        try await ledger.execute(honour(year: 2020, on: "2024-12-31"), by: "op", commandID: "ok-2020")
        try await ledger.execute(honour(.branch("B3"), .advancedCollective, level: .city, year: 2022, on: "2022-12-31"), by: "op", commandID: "ok-B3")
        try await ledger.execute(birthday("J1", on: "2021-03-01"), by: "op", commandID: "ok-J1")
        let mismatch = await refusal { try await ledger.execute(honour(.cadre("B1-C1"), .advancedCollective), by: "op", commandID: "x") }
        #expect(mismatch?.english == "advancedCollective (先进集体) is for a branch, not for cadre B1-C1")
        #expect(mismatch?.chinese == "先进集体授予党支部，不能授予离退休干部B1-C1")
        let notMember = await refusal { try await ledger.execute(birthday("N1"), by: "op", commandID: "y") }
        #expect(notMember?.english == "cadre N1 is not a party member (no membership recorded); a political birthday is a party member's")
        #expect(notMember?.chinese == "离退休干部N1无党员信息记录，政治生日仅为党员举办")
    }
}
