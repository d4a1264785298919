import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// Sends each command and expects it refused with its code, writing nothing.
func expectEachRefusedWritingNothing(_ ledger: Ledger, _ cases: [(String, any DomainCommand, DomainError.Code)],
                                     sourceLocation: SourceLocation = #_sourceLocation) async {
    let written = ledger.store.nextPosition
    for (i, (name, command, code)) in cases.enumerated() {
        let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(name)-\(i)") }
        #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")", sourceLocation: sourceLocation)
        #expect(error?.english.isEmpty == false && error?.chinese.isEmpty == false, "\(name)", sourceLocation: sourceLocation)
        #expect(ledger.store.nextPosition == written, "\(name) wrote something", sourceLocation: sourceLocation)
    }
}

/// The state rebuilt from the log is the state the ledger kept as it accepted commands.
func expectRebuiltStateMatches(_ ledger: Ledger, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let rebuilt = try ledger.store.project(DomainState.self).projection
    let kept = await ledger.state
    #expect(rebuilt.cadres == kept.cadres, sourceLocation: sourceLocation)
    #expect(rebuilt.contribution == kept.contribution, sourceLocation: sourceLocation)
}

@Suite("Cadre register: residence, relocation (易地安置), health, honourable retirement (荣誉退休)")
struct CadreChangeTests {
    @Test func residenceRelocationHealthAndRetirementAreRecorded() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await ledger.execute(ChangeResidence(cadre: "C1", residence: " 宁波市海曙区 ", changedOn: date("2024-03-01")), by: "op-2", commandID: "res-1")
        try await ledger.execute(MarkRelocated(cadre: "C1", relocated: true, area: "海南省三亚市", markedOn: date("2024-04-01")), by: "op", commandID: "rel-1")
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: false, changedOn: date("2024-04-02")), by: "op", commandID: "h-1")
        try await ledger.execute(RecordHonourableRetirement(cadre: "C1", honouredOn: date("2024-05-01")), by: "op", commandID: "hr-1")
        var record = await ledger.state.cadres["C1"]
        #expect(record?.residence == "宁波市海曙区")   // trimmed
        #expect(record?.residenceChangedOn == date("2024-03-01"))
        #expect(record?.relocated == true && record?.relocationArea == "海南省三亚市")
        #expect(record?.frail == true && record?.limitedMobility == false)
        #expect(record?.honourablyRetiredOn == date("2024-05-01"))

        let events = try ledger.store.readStream(CadreID("C1").stream)
        #expect(events.map(\.eventType) == ["CadreRegistered", "ResidenceChanged", "RelocationMarked", "HealthChanged", "HonourableRetirementRecorded"])
        let moved = try events[1].decoded(as: ResidenceChanged.self, with: Ledger.eventTypes)
        #expect(moved == ResidenceChanged(cadre: "C1", previousResidence: "杭州市西湖区", residence: "宁波市海曙区", changedOn: date("2024-03-01")))
        #expect(events[1].metadata.businessDate == date("2024-03-01"))
        #expect(events[1].metadata.recordedBy == "op-2" && events[1].metadata.commandID == "res-1")
        #expect(try events[2].decoded(as: RelocationMarked.self, with: Ledger.eventTypes)
            == RelocationMarked(cadre: "C1", relocated: true, area: "海南省三亚市", markedOn: date("2024-04-01")))
        #expect(try events[3].decoded(as: HealthChanged.self, with: Ledger.eventTypes)
            == HealthChanged(cadre: "C1", frail: true, limitedMobility: false, changedOn: date("2024-04-02")))
        #expect(try events[4].decoded(as: HonourableRetirementRecorded.self, with: Ledger.eventTypes)
            == HonourableRetirementRecorded(cadre: "C1", honouredOn: date("2024-05-01")))

        // Moving to another area while relocated, then back: the area goes with it.
        try await ledger.execute(MarkRelocated(cadre: "C1", relocated: true, area: "云南省昆明市", markedOn: date("2024-06-01")), by: "op", commandID: "rel-2")
        #expect(await ledger.state.cadres["C1"]?.relocationArea == "云南省昆明市")
        try await ledger.execute(MarkRelocated(cadre: "C1", relocated: false, markedOn: date("2024-08-01")), by: "op", commandID: "rel-3")
        record = await ledger.state.cadres["C1"]
        #expect(record?.relocated == false && record?.relocationArea == nil)
        let back = try ledger.store.readStream(CadreID("C1").stream).last?.decoded(as: RelocationMarked.self, with: Ledger.eventTypes)
        #expect(back?.area == nil && back?.relocated == false)
        // Health changes both ways.
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: true, changedOn: date("2024-09-01")), by: "op", commandID: "h-2")
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: false, limitedMobility: false, changedOn: date("2024-10-01")), by: "op", commandID: "h-3")
        record = await ledger.state.cadres["C1"]
        #expect(record?.frail == false && record?.limitedMobility == false && record?.healthChangedOn == date("2024-10-01"))
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func theEdgesThatPass() async throws {
        let other = try ledger(today: "2024-06-30")
        let ledger = try ledger(today: "2024-06-30")
        try await register(ledger, "C1", registeredOn: "2020-01-01")
        try await ledger.execute(RecordDeath(cadre: "C1", diedOn: date("2024-06-01"), recordedOn: date("2024-06-03")), by: "op", commandID: "death")
        // On the registration date, and on the day before the death.
        try await ledger.execute(ChangeResidence(cadre: "C1", residence: "温州市鹿城区", changedOn: date("2020-01-01")), by: "op", commandID: "r1")
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: false, limitedMobility: true, changedOn: date("2024-05-31")), by: "op", commandID: "h1")
        // Two changes on the same day: the later record wins.
        try await ledger.execute(ChangeResidence(cadre: "C1", residence: "温州市瓯海区", changedOn: date("2020-01-01")), by: "op", commandID: "r2")
        #expect(await ledger.state.cadres["C1"]?.residence == "温州市瓯海区")
        // Honourable retirement, recorded late about a date while alive.
        try await ledger.execute(RecordHonourableRetirement(cadre: "C1", honouredOn: date("2020-01-01")), by: "op", commandID: "hr")
        let dead = await refusal {
            try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: true, changedOn: date("2024-06-01")), by: "op", commandID: "h2")
        }
        #expect(dead?.code == .cadreDeceased)
        // Today is not the future.
        try await register(other, "C2")
        try await other.execute(ChangeResidence(cadre: "C2", residence: "舟山市", changedOn: date("2024-06-30")), by: "op", commandID: "today")
    }

    @Test func invalidChangesAreRefusedAndWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1", registeredOn: "2020-01-01")
        try await ledger.execute(ChangeResidence(cadre: "C1", residence: "宁波市", changedOn: date("2024-03-01")), by: "op", commandID: "r")
        try await ledger.execute(MarkRelocated(cadre: "C1", relocated: true, area: "海南省三亚市", markedOn: date("2024-03-01")), by: "op", commandID: "m")
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: false, changedOn: date("2024-03-01")), by: "op", commandID: "h")
        try await register(ledger, "C2", registeredOn: "2020-01-01")
        try await ledger.execute(RecordDeath(cadre: "C2", diedOn: date("2023-05-05"), recordedOn: date("2023-05-06")), by: "op", commandID: "d2")
        try await register(ledger, "C3", registeredOn: "2020-01-01")
        try await ledger.execute(RecordHonourableRetirement(cadre: "C3", honouredOn: date("2021-01-01")), by: "op", commandID: "hr3")

        func residence(_ cadre: CadreID = "C1", _ place: String = "绍兴市", on: String = "2024-06-01") -> ChangeResidence {
            ChangeResidence(cadre: cadre, residence: place, changedOn: date(on))
        }
        func relocate(_ cadre: CadreID = "C1", _ relocated: Bool = true, area: String = "云南省", on: String = "2024-06-01") -> MarkRelocated {
            MarkRelocated(cadre: cadre, relocated: relocated, area: area, markedOn: date(on))
        }
        func health(_ cadre: CadreID = "C1", frail: Bool = false, mobility: Bool = true, on: String = "2024-06-01") -> ChangeHealth {
            ChangeHealth(cadre: cadre, frail: frail, limitedMobility: mobility, changedOn: date(on))
        }
        func retire(_ cadre: CadreID = "C1", on: String = "2024-06-01") -> RecordHonourableRetirement {
            RecordHonourableRetirement(cadre: cadre, honouredOn: date(on))
        }
        await expectEachRefusedWritingNothing(ledger, [
            ("an empty residence", residence("C1", " "), .invalidValue),
            ("the same residence", residence("C1", " 宁波市"), .cadreUnchanged),
            ("the residence of an unknown cadre", residence("C9"), .unknownCadre),
            ("a residence change in the future", residence(on: "2025-01-01"), .dateInFuture),
            ("a residence change before the register", residence(on: "2019-12-31"), .dateBeforeExistence),
            ("a residence change of the dead", residence("C2"), .cadreDeceased),
            ("a residence change on the day of death", residence("C2", on: "2023-05-05"), .cadreDeceased),
            ("a residence change before the last one", residence(on: "2024-02-29"), .invalidDates),
            ("relocated without an area", relocate(area: " "), .invalidValue),
            ("not relocated, with an area", relocate("C1", false, area: "云南省"), .invalidValue),
            ("not relocated, and was not", relocate("C3", false, area: ""), .cadreUnchanged),
            ("relocated to the same area", relocate(area: "海南省三亚市"), .cadreUnchanged),
            ("a relocation before the last one", relocate(on: "2024-01-01"), .invalidDates),
            ("a relocation of the dead", relocate("C2"), .cadreDeceased),
            ("a relocation in the future", relocate(on: "2025-03-01"), .dateInFuture),
            ("a relocation of an unknown cadre", relocate("C9"), .unknownCadre),
            ("health unchanged", health(frail: true, mobility: false), .cadreUnchanged),
            ("the health of an unknown cadre", health("C9"), .unknownCadre),
            ("a health change in the future", health(on: "2025-01-01"), .dateInFuture),
            ("a health change on the day of death", health("C2", on: "2023-05-05"), .cadreDeceased),
            ("a health change before the register", health("C3", on: "2019-01-01"), .dateBeforeExistence),
            ("a health change before the last one", health(on: "2024-02-01"), .invalidDates),
            ("honourable retirement twice", retire("C3"), .honourableRetirementRecorded),
            ("honourable retirement of the dead", retire("C2"), .cadreDeceased),
            ("honourable retirement in the future", retire(on: "2025-01-01"), .dateInFuture),
            ("honourable retirement before the register", retire(on: "2019-06-01"), .dateBeforeExistence),
            ("honourable retirement of an unknown cadre", retire("C9"), .unknownCadre),
        ])
    }

    @Test func theMessagesNameTheRuleAndTheValuesInBothLanguages() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        let same = await refusal { try await ledger.execute(ChangeResidence(cadre: "C1", residence: "杭州市西湖区", changedOn: date("2024-03-01")), by: "op", commandID: "x1") }
        #expect(same?.english == "cadre C1 already lives at 杭州市西湖区; nothing to change")
        #expect(same?.chinese == "离退休干部C1的居住地已是杭州市西湖区，无需变更")
        try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: false, changedOn: date("2024-03-01")), by: "op", commandID: "h")
        let order = await refusal { try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: true, changedOn: date("2024-02-01")), by: "op", commandID: "x2") }
        #expect(order?.code == .invalidDates)
        #expect(order?.english == "cadre C1's health last changed on 2024-03-01; a change dated 2024-02-01 cannot come before it")
        #expect(order?.chinese == "离退休干部C1的健康状况已于2024-03-01变更，变更日期2024-02-01不能早于该日")
        let health = await refusal { try await ledger.execute(ChangeHealth(cadre: "C1", frail: true, limitedMobility: false, changedOn: date("2024-04-01")), by: "op", commandID: "x3") }
        #expect(health?.english == "cadre C1's health is already recorded as frail: yes, limited mobility: no")
        #expect(health?.chinese == "离退休干部C1的健康状况已记录为年老体弱：是，行动不便：否")
        try await ledger.execute(RecordHonourableRetirement(cadre: "C1", honouredOn: date("2024-05-01")), by: "op", commandID: "hr")
        let twice = await refusal { try await ledger.execute(RecordHonourableRetirement(cadre: "C1", honouredOn: date("2024-06-01")), by: "op", commandID: "x4") }
        #expect(twice?.code == .honourableRetirementRecorded)
        #expect(twice?.code.rawValue == "cadre.honourablyRetired")
        #expect(twice?.english == "cadre C1's honourable retirement (荣誉退休) was already recorded on 2024-05-01; it is recorded once")
        #expect(twice?.chinese == "离退休干部C1已于2024-05-01记录荣誉退休，不得重复记录")
        #expect(twice?.values["honouredOn"] == "2024-05-01")
        let unrelocate = await refusal { try await ledger.execute(MarkRelocated(cadre: "C1", relocated: false, markedOn: date("2024-05-01")), by: "op", commandID: "x5") }
        #expect(unrelocate?.chinese == "离退休干部C1未登记为易地安置，无需取消")
    }
}
