import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Care: 一人一策 plans, 困难帮扶, 居家养老服务, 适老化改造")
struct CareTests {
    @Test func aLixiuCadreGetsACarePlanAndANewOneReplacesItWithAReason() async throws {
        let ledger = try ledger()
        try await register(ledger, "L1", category: .lixiu)
        try await ledger.execute(CreateCarePlan(cadre: "L1", contact: " 王处长 ", measures: "每月上门一次，陪同就医", createdOn: date("2024-01-10")),
                                 by: "op-2", commandID: "plan-1")
        var plan = await ledger.state.cadres["L1"]?.carePlan
        #expect(plan == .init(contact: "王处长", createdOn: date("2024-01-10")))
        var event = try ledger.store.readStream(CadreID("L1").stream).last
        #expect(event?.eventType == "CarePlanCreated")
        #expect(event?.metadata.businessDate == date("2024-01-10"))
        #expect(try event?.decoded(as: CarePlanCreated.self, with: Ledger.eventTypes)
            == CarePlanCreated(cadre: "L1", contact: "王处长", measures: "每月上门一次，陪同就医", createdOn: date("2024-01-10"), replaces: nil))

        try await ledger.execute(CreateCarePlan(cadre: "L1", contact: "李科长", measures: "每周电话联系", createdOn: date("2024-06-01"),
                                                replacementReason: "原联系人调岗"), by: "op", commandID: "plan-2")
        plan = await ledger.state.cadres["L1"]?.carePlan
        #expect(plan == .init(contact: "李科长", createdOn: date("2024-06-01")))
        event = try ledger.store.readStream(CadreID("L1").stream).last
        let replaced = try event?.decoded(as: CarePlanCreated.self, with: Ledger.eventTypes)?.replaces
        #expect(replaced == .init(contact: "王处长", createdOn: date("2024-01-10"), reason: "原联系人调岗"))
        // The same day as the active plan is not before it.
        try await ledger.execute(CreateCarePlan(cadre: "L1", contact: "赵干事", measures: "每周电话联系", createdOn: date("2024-06-01"),
                                                replacementReason: "李科长住院"), by: "op", commandID: "plan-3")
        #expect(await ledger.state.cadres["L1"]?.carePlan?.contact == "赵干事")
        #expect(try ledger.store.readStream(CadreID("L1").stream).count == 4)
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func assistanceServicesAndAdaptationsAreRecordedForAnyLivingCadre() async throws {
        let ledger = try ledger()
        try await register(ledger, "T1")
        try await ledger.execute(RecordHardshipAssistance(cadre: "T1", amountFen: 200_000, purpose: "医疗费用补助", assistedOn: date("2024-02-01")),
                                 by: "op", commandID: "a1")
        // 0 fen: help in kind.
        try await ledger.execute(RecordHardshipAssistance(cadre: "T1", amountFen: 0, purpose: "协调申请低保", assistedOn: date("2024-02-02")),
                                 by: "op", commandID: "a2")
        try await ledger.execute(RecordHomeCareService(cadre: "T1", service: "助餐服务", servedOn: date("2024-03-01")), by: "op", commandID: "s1")
        try await ledger.execute(RecordHomeAdaptation(cadre: "T1", adaptation: "卫生间加装扶手", completedOn: date("2024-04-01")), by: "op", commandID: "ad1")
        let events = try ledger.store.readStream(CadreID("T1").stream)
        #expect(events.map(\.eventType) == ["CadreRegistered", "HardshipAssistanceRecorded", "HardshipAssistanceRecorded",
                                            "HomeCareServiceRecorded", "HomeAdaptationRecorded"])
        #expect(try events[1].decoded(as: HardshipAssistanceRecorded.self, with: Ledger.eventTypes)
            == HardshipAssistanceRecorded(cadre: "T1", amountFen: 200_000, purpose: "医疗费用补助", assistedOn: date("2024-02-01")))
        #expect(try events[2].decoded(as: HardshipAssistanceRecorded.self, with: Ledger.eventTypes)?.amountFen == 0)
        #expect(try events[3].decoded(as: HomeCareServiceRecorded.self, with: Ledger.eventTypes)
            == HomeCareServiceRecorded(cadre: "T1", service: "助餐服务", servedOn: date("2024-03-01")))
        #expect(try events[4].decoded(as: HomeAdaptationRecorded.self, with: Ledger.eventTypes)
            == HomeAdaptationRecorded(cadre: "T1", adaptation: "卫生间加装扶手", completedOn: date("2024-04-01")))
        #expect(events[4].metadata.businessDate == date("2024-04-01"))
        // These records change nothing the rules look at.
        #expect(await ledger.state.cadres["T1"]?.carePlan == nil)
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func invalidCareRecordsAreRefusedAndWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "L1", category: .lixiu)
        try await register(ledger, "L2", category: .lixiu)
        try await register(ledger, "T1")
        try await register(ledger, "D1", category: .lixiu)
        try await ledger.execute(RecordDeath(cadre: "D1", diedOn: date("2024-01-01"), recordedOn: date("2024-01-02")), by: "op", commandID: "d1")
        try await ledger.execute(CreateCarePlan(cadre: "L1", contact: "王处长", measures: "每月上门", createdOn: date("2024-03-01")), by: "op", commandID: "p1")

        func plan(_ cadre: CadreID = "L2", contact: String = "李科长", measures: String = "每周电话", on: String = "2024-06-01",
                  reason: String = "") -> CreateCarePlan {
            CreateCarePlan(cadre: cadre, contact: contact, measures: measures, createdOn: date(on), replacementReason: reason)
        }
        func assist(_ cadre: CadreID = "T1", fen: Int = 100, purpose: String = "生活补助", on: String = "2024-06-01") -> RecordHardshipAssistance {
            RecordHardshipAssistance(cadre: cadre, amountFen: fen, purpose: purpose, assistedOn: date(on))
        }
        func service(_ cadre: CadreID = "T1", _ what: String = "助浴", on: String = "2024-06-01") -> RecordHomeCareService {
            RecordHomeCareService(cadre: cadre, service: what, servedOn: date(on))
        }
        func adapt(_ cadre: CadreID = "T1", _ what: String = "安装紧急呼叫器", on: String = "2024-06-01") -> RecordHomeAdaptation {
            RecordHomeAdaptation(cadre: cadre, adaptation: what, completedOn: date(on))
        }
        await expectEachRefusedWritingNothing(ledger, [
            ("a plan for a tuixiu cadre", plan("T1"), .carePlanNotLixiu),
            ("a plan without contact", plan(contact: " "), .invalidValue),
            ("a plan without measures", plan(measures: ""), .invalidValue),
            ("a plan for an unknown cadre", plan("X9"), .unknownCadre),
            ("a plan in the future", plan(on: "2025-01-01"), .dateInFuture),
            ("a plan for the dead", plan("D1"), .cadreDeceased),
            ("a plan before the register", plan(on: "2019-06-01"), .dateBeforeExistence),
            ("a replacement without a reason", plan("L1"), .carePlanReplacementReason),
            ("a replacement with a blank reason", plan("L1", reason: "  "), .carePlanReplacementReason),
            ("a replacement older than the active plan", plan("L1", on: "2024-02-01", reason: "调整"), .invalidDates),
            ("a first plan with a replacement reason", plan(reason: "调整"), .invalidValue),
            ("a negative amount", assist(fen: -1), .invalidValue),
            ("assistance without purpose", assist(purpose: ""), .invalidValue),
            ("assistance to the dead", assist("D1"), .cadreDeceased),
            ("assistance in the future", assist(on: "2025-01-01"), .dateInFuture),
            ("assistance before the register", assist(on: "2019-01-01"), .dateBeforeExistence),
            ("assistance to an unknown cadre", assist("X9"), .unknownCadre),
            ("a service without description", service("T1", " "), .invalidValue),
            ("a service to an unknown cadre", service("X9"), .unknownCadre),
            ("a service in the future", service(on: "2025-01-01"), .dateInFuture),
            ("a service to the dead", service("D1"), .cadreDeceased),
            ("an adaptation without description", adapt("T1", ""), .invalidValue),
            ("an adaptation for the dead", adapt("D1"), .cadreDeceased),
            ("an adaptation before the register", adapt(on: "2019-12-31"), .dateBeforeExistence),
            ("an adaptation in the future", adapt(on: "2025-02-01"), .dateInFuture),
        ])
        #expect(await ledger.state.cadres["L1"]?.carePlan?.createdOn == date("2024-03-01"))
    }

    @Test func theMessagesNameTheRuleAndTheValuesInBothLanguages() async throws {
        let ledger = try ledger()
        try await register(ledger, "T1")
        try await register(ledger, "L1", category: .lixiu)
        let tuixiu = await refusal { try await ledger.execute(CreateCarePlan(cadre: "T1", contact: "王", measures: "x", createdOn: date("2024-03-01")), by: "op", commandID: "x1") }
        #expect(tuixiu?.code.rawValue == "carePlan.notLixiu")
        #expect(tuixiu?.english == "cadre T1 is tuixiu (退休); care plans (一人一策) are for lixiu cadres")
        #expect(tuixiu?.chinese == "离退休干部T1为退休干部，\"一人一策\"仅适用于离休干部")
        try await ledger.execute(CreateCarePlan(cadre: "L1", contact: "王处长", measures: "每月上门", createdOn: date("2024-03-01")), by: "op", commandID: "p1")
        let noReason = await refusal { try await ledger.execute(CreateCarePlan(cadre: "L1", contact: "李", measures: "x", createdOn: date("2024-04-01")), by: "op", commandID: "x2") }
        #expect(noReason?.code.rawValue == "carePlan.reasonRequired")
        #expect(noReason?.english == "cadre L1 has an active care plan (created 2024-03-01, contact 王处长); a new plan replaces it only with a reason")
        #expect(noReason?.chinese == "离退休干部L1已有2024-03-01制定的\"一人一策\"（联系人王处长），新方案替换须说明理由")
        let negative = await refusal { try await ledger.execute(RecordHardshipAssistance(cadre: "T1", amountFen: -500, purpose: "x", assistedOn: date("2024-03-01")), by: "op", commandID: "x3") }
        #expect(negative?.english == "an assistance amount of -500 fen is negative (amounts are in fen, at least 0)")
        #expect(negative?.chinese == "帮扶金额-500分不能为负数")
    }
}
