import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Cadre register: registration, membership, corrections, death")
struct CadreRegisterTests {
    @Test func aCadreIsRegisteredWithMembershipAndACorrectionKeepsTheOldDates() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1", category: .lixiu)
        try await member(ledger, "C1", joined: "1947-05-01", full: "1948-05-01")
        try await ledger.execute(CorrectPartyMembership(cadre: "C1", joinedOn: date("1946-05-01"), fullMemberOn: date("1947-05-01"),
                                                        reason: "档案核对：入党时间更正", correctedOn: date("2024-03-01")),
                                 by: "op-2", commandID: "fix-1")
        let record = await ledger.state.cadres["C1"]
        #expect(record?.category == .lixiu)
        #expect(record?.membership == .init(joinedOn: date("1946-05-01"), fullMemberOn: date("1947-05-01")))
        #expect(record?.partyStanding(on: date("2024-05-01")) == 77)
        let events = try ledger.store.readStream(CadreID("C1").stream)
        #expect(events.map(\.eventType) == ["CadreRegistered", "PartyMembershipRecorded", "PartyMembershipCorrected"])
        let correction = try events[2].decoded(as: PartyMembershipCorrected.self, with: Ledger.eventTypes)
        #expect(correction?.previousFullMemberOn == date("1948-05-01"))
        #expect(correction?.reason == "档案核对：入党时间更正")
        #expect(events[2].metadata.recordedBy == "op-2")
        #expect(events[2].metadata.commandID == "fix-1")
    }

    /// Each invalid command is refused with its code and writes nothing.
    @Test func invalidCommandsAreRefusedAndWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1", born: "1940-03-01", registeredOn: "2020-01-01")
        try await member(ledger, "C1", joined: "1965-01-01", full: "1966-01-01", on: "2020-01-02")
        try await register(ledger, "C2", registeredOn: "2020-01-01")
        try await ledger.execute(RecordDeath(cadre: "C2", diedOn: date("2023-05-05"), recordedOn: date("2023-05-06")), by: "op", commandID: "d2")
        let written = ledger.store.nextPosition

        func registration(_ id: CadreID = "C3", name: String = "李四", born: String = "1940-01-01", retired: String = "2000-01-01",
                          registered: String = "2020-01-01", unit: String = "省教育厅") -> RegisterCadre {
            RegisterCadre(cadre: id, name: name, category: .tuixiu, birthDate: date(born), formerLevel: .section, formerUnit: unit,
                          retiredOn: date(retired), residence: "宁波", registeredOn: date(registered))
        }
        let cases: [(String, any DomainCommand, DomainError.Code)] = [
            ("registered twice", registration("C1"), .cadreAlreadyRegistered),
            ("empty name", registration(name: " "), .invalidValue),
            ("empty id", registration(""), .invalidValue),
            ("empty unit", registration(unit: ""), .invalidValue),
            ("registered in the future", registration(registered: "2025-01-01"), .dateInFuture),
            ("retired before birth", registration(born: "1960-01-01", retired: "1950-01-01"), .invalidDates),
            ("registered before retirement", registration(retired: "2021-01-01", registered: "2020-06-01"), .invalidDates),
            ("membership of an unknown cadre", RecordPartyMembership(cadre: "C9", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"), recordedOn: date("2024-01-01")), .unknownCadre),
            ("membership recorded twice", RecordPartyMembership(cadre: "C1", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"), recordedOn: date("2024-01-01")), .membershipAlreadyRecorded),
            ("full member before joining", RecordPartyMembership(cadre: "C2", joinedOn: date("1971-01-01"), fullMemberOn: date("1970-01-01"), recordedOn: date("2021-01-01")), .invalidDates),
            ("joined before birth", RecordPartyMembership(cadre: "C2", joinedOn: date("1930-01-01"), fullMemberOn: date("1931-01-01"), recordedOn: date("2021-01-01")), .invalidDates),
            ("membership of the dead, after death", RecordPartyMembership(cadre: "C2", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"), recordedOn: date("2024-01-01")), .cadreDeceased),
            ("membership dated before the register", RecordPartyMembership(cadre: "C2", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"), recordedOn: date("2019-01-01")), .dateBeforeExistence),
            ("membership recorded in the future", RecordPartyMembership(cadre: "C2", joinedOn: date("1970-01-01"), fullMemberOn: date("1971-01-01"), recordedOn: date("2025-01-01")), .dateInFuture),
            ("correction without a reason", CorrectPartyMembership(cadre: "C1", joinedOn: date("1964-01-01"), fullMemberOn: date("1965-01-01"), reason: "", correctedOn: date("2024-01-01")), .invalidValue),
            ("correction of no membership", CorrectPartyMembership(cadre: "C2", joinedOn: date("1964-01-01"), fullMemberOn: date("1965-01-01"), reason: "档案", correctedOn: date("2024-01-01")), .notAPartyMember),
            ("correction that changes nothing", CorrectPartyMembership(cadre: "C1", joinedOn: date("1965-01-01"), fullMemberOn: date("1966-01-01"), reason: "档案", correctedOn: date("2024-01-01")), .invalidValue),
            ("correction of an unknown cadre", CorrectPartyMembership(cadre: "C9", joinedOn: date("1964-01-01"), fullMemberOn: date("1965-01-01"), reason: "档案", correctedOn: date("2024-01-01")), .unknownCadre),
            ("death recorded twice", RecordDeath(cadre: "C2", diedOn: date("2023-06-01"), recordedOn: date("2023-06-02")), .cadreDeceased),
            ("death recorded before it happened", RecordDeath(cadre: "C1", diedOn: date("2024-02-01"), recordedOn: date("2024-01-01")), .invalidDates),
            ("death before the register", RecordDeath(cadre: "C1", diedOn: date("2019-02-01"), recordedOn: date("2024-01-01")), .dateBeforeExistence),
            ("death in the future", RecordDeath(cadre: "C1", diedOn: date("2025-02-01"), recordedOn: date("2025-02-01")), .dateInFuture),
        ]
        for (i, (name, command, code)) in cases.enumerated() {
            let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(i)") }
            #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
            #expect(error?.english.isEmpty == false && error?.chinese.isEmpty == false, "\(name)")
            #expect(ledger.store.nextPosition == written, "\(name) wrote something")
        }
        // An empty operator or command id is refused too.
        let noOperator = await refusal { try await ledger.execute(registration(), by: "", commandID: "x") }
        #expect(noOperator?.code == .invalidValue)
        let noCommand = await refusal { try await ledger.execute(registration(), by: "op", commandID: "") }
        #expect(noCommand?.code == .invalidValue)
        #expect(ledger.store.nextPosition == written)
    }
}
