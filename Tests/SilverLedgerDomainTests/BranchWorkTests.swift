import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Branches: liaison (联络员), demonstration branches (示范党支部) and their reviews (复审), brands (特色支部)")
struct BranchWorkTests {
    private func establish(_ ledger: Ledger, _ branch: BranchID, on: String = "2020-01-01") async throws {
        try await ledger.execute(EstablishBranch(branch: branch, name: "党支部\(branch)", type: .joint, parentOrganisation: "机关党委", establishedOn: date(on)),
                                 by: "op", commandID: "establish-\(branch)")
    }

    private func lastEvent<E: Event>(_ ledger: Ledger, _ branch: BranchID, as type: E.Type) throws -> (RecordedEvent, E?)? {
        guard let event = try ledger.store.readStream(branch.stream).last else { return nil }
        return (event, try event.decoded(as: type, with: Ledger.eventTypes))
    }

    @Test func aLiaisonIsAppointedAndReplacedButIsNeverARetiredCadre() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2)
        try await ledger.execute(AppointLiaison(branch: "B1", name: " 李明 ", unit: "省水利厅机关党委", appointedOn: date("2024-03-01")), by: "op-4", commandID: "l1")
        let (event, appointed) = try #require(try lastEvent(ledger, "B1", as: LiaisonAppointed.self))
        #expect(event.eventType == "LiaisonAppointed")
        #expect(event.metadata.businessDate == date("2024-03-01"))
        #expect(event.metadata.recordedBy == "op-4")
        #expect(appointed == LiaisonAppointed(branch: "B1", name: "李明", unit: "省水利厅机关党委", asDeputySecretary: false, appointedOn: date("2024-03-01")))
        #expect(await ledger.state.branches["B1"]?.liaison == .init(name: "李明", unit: "省水利厅机关党委", asDeputySecretary: false, appointedOn: date("2024-03-01")))

        // The same person made deputy secretary too (兼任副书记): a change, so accepted; then a new liaison replaces them.
        try await ledger.execute(AppointLiaison(branch: "B1", name: "李明", unit: "省水利厅机关党委", asDeputySecretary: true, appointedOn: date("2024-04-01")),
                                 by: "op", commandID: "l2")
        #expect(await ledger.state.branches["B1"]?.liaison?.asDeputySecretary == true)
        try await ledger.execute(AppointLiaison(branch: "B1", name: "王芳", unit: "省水利厅办公室", appointedOn: date("2024-06-01")), by: "op", commandID: "l3")
        #expect(await ledger.state.branches["B1"]?.liaison == .init(name: "王芳", unit: "省水利厅办公室", asDeputySecretary: false, appointedOn: date("2024-06-01")))
        let written = ledger.store.nextPosition

        let same = await refusal { try await ledger.execute(AppointLiaison(branch: "B1", name: "王芳", unit: "省水利厅办公室", appointedOn: date("2024-07-01")), by: "op", commandID: "l4") }
        #expect(same?.code == .invalidValue)
        #expect(same?.english == "王芳 of 省水利厅办公室 is already the liaison of branch B1 (since 2024-06-01); the appointment changes nothing")
        #expect(same?.chinese == "王芳（省水利厅办公室）已于2024-06-01起任党支部B1联络员，本次选派与现状相同")
        let earlier = await refusal { try await ledger.execute(AppointLiaison(branch: "B1", name: "赵强", unit: "省水利厅", appointedOn: date("2024-05-01")), by: "op", commandID: "l5") }
        #expect(earlier?.code == .invalidDates)
        // A retired cadre of the register (same name and former unit) is not an in-service member.
        let cadre = await refusal { try await ledger.execute(AppointLiaison(branch: "B1", name: "张B1-C1", unit: "省水利厅", appointedOn: date("2024-07-01")), by: "op", commandID: "l6") }
        #expect(cadre?.code == .liaisonIsACadre)
        #expect(cadre?.english == "the liaison 张B1-C1 of 省水利厅 is a retired cadre of the register (B1-C1); a liaison is an in-service party member")
        #expect(cadre?.chinese == "联络员张B1-C1（省水利厅）是登记在册的离退休干部（B1-C1），联络员须为在职党员")
        #expect(ledger.store.nextPosition == written)
        // The same name at another unit is another person.
        try await ledger.execute(AppointLiaison(branch: "B1", name: "张B1-C1", unit: "省交通运输厅", appointedOn: date("2024-07-01")), by: "op", commandID: "l7")
        // After a cadre's death, someone of the same name and unit can only be another person.
        try await ledger.execute(RecordDeath(cadre: "B1-C2", diedOn: date("2024-08-01"), recordedOn: date("2024-08-02")), by: "op", commandID: "death")
        try await ledger.execute(AppointLiaison(branch: "B1", name: "张B1-C2", unit: "省水利厅", appointedOn: date("2024-09-01")), by: "op", commandID: "l8")
        #expect(await ledger.state.branches["B1"]?.liaison?.name == "张B1-C2")
    }

    @Test func aDemonstrationBranchIsReviewedEveryThreeYearsUntilRevoked() async throws {
        let ledger = try ledger()
        try await establish(ledger, "B1")
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: " 第三批 ", level: .county, designatedOn: date("2020-06-01")), by: "op-5", commandID: "d1")
        let (event, designated) = try #require(try lastEvent(ledger, "B1", as: DemonstrationDesignated.self))
        #expect(event.eventType == "DemonstrationDesignated")
        #expect(event.metadata.businessDate == date("2020-06-01"))
        #expect(designated == DemonstrationDesignated(branch: "B1", batch: "第三批", level: .county, designatedOn: date("2020-06-01"), previousLevel: nil))
        var demonstration = await ledger.state.branches["B1"]?.demonstration
        #expect(demonstration?.reviewDueOn == date("2023-06-01"))
        #expect(demonstration?.isCurrent == true)

        // A passed review (a little early) restarts the three years from its date.
        try await ledger.execute(RecordDemonstrationReview(branch: "B1", outcome: .passed, reviewedOn: date("2023-05-20")), by: "op", commandID: "r1")
        let reviewed = try lastEvent(ledger, "B1", as: DemonstrationReviewed.self)?.1
        #expect(reviewed == DemonstrationReviewed(branch: "B1", outcome: .passed, reviewedOn: date("2023-05-20"), dueOn: date("2023-06-01")))
        demonstration = await ledger.state.branches["B1"]?.demonstration
        #expect(demonstration?.lastPassedOn == date("2023-05-20"))
        #expect(demonstration?.reviewDueOn == date("2026-05-20"))

        // A designation at a higher level replaces the county one and restarts the clock; the same or a lower level is refused.
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "2024年市级第一批", level: .city, designatedOn: date("2024-01-10")), by: "op", commandID: "d2")
        #expect(try lastEvent(ledger, "B1", as: DemonstrationDesignated.self)?.1?.previousLevel == .county)
        demonstration = await ledger.state.branches["B1"]?.demonstration
        #expect(demonstration == .init(batch: "2024年市级第一批", level: .city, designatedOn: date("2024-01-10")))
        #expect(demonstration?.reviewDueOn == date("2027-01-10"))
        let same = await refusal { try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第五批", level: .city, designatedOn: date("2024-03-01")), by: "op", commandID: "d3") }
        #expect(same?.code == .demonstrationAlreadyDesignated)
        #expect(same?.english == "branch B1 is already a city-level demonstration branch (batch 2024年市级第一批, designated 2024-01-10); only a higher level may be designated (asked: city)")
        #expect(same?.chinese == "党支部B1已于2024-01-10被命名为市级示范党支部（2024年市级第一批），只能命名更高级别（本次：市级）")
        let lower = await refusal { try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第五批", level: .county, designatedOn: date("2024-03-01")), by: "op", commandID: "d4") }
        #expect(lower?.code == .demonstrationAlreadyDesignated)

        // Revoked: the designation ends, nothing more to review; a new designation may follow, not precede, the revocation.
        try await ledger.execute(RecordDemonstrationReview(branch: "B1", outcome: .revoked, reviewedOn: date("2024-06-01")), by: "op", commandID: "r2")
        #expect(try lastEvent(ledger, "B1", as: DemonstrationReviewed.self)?.1?.dueOn == date("2027-01-10"))
        demonstration = await ledger.state.branches["B1"]?.demonstration
        #expect(demonstration?.revokedOn == date("2024-06-01"))
        #expect(demonstration?.isCurrent == false)
        #expect(demonstration?.reviewDueOn == nil)
        let revoked = await refusal { try await ledger.execute(RecordDemonstrationReview(branch: "B1", outcome: .passed, reviewedOn: date("2024-07-01")), by: "op", commandID: "r3") }
        #expect(revoked?.code == .notADemonstrationBranch)
        #expect(revoked?.english == "branch B1's demonstration designation was revoked on 2024-06-01; only a demonstration branch is reviewed")
        #expect(revoked?.chinese == "党支部B1的示范党支部称号已于2024-06-01撤销，不能复审")
        let beforeRevocation = await refusal { try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第六批", level: .county, designatedOn: date("2024-05-01")), by: "op", commandID: "d5") }
        #expect(beforeRevocation?.code == .invalidDates)
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第六批", level: .county, designatedOn: date("2024-07-01")), by: "op", commandID: "d6")
        #expect(await ledger.state.branches["B1"]?.demonstration?.isCurrent == true)
    }

    @Test func aLateReviewIsRecordedWithTheDateItWasDue() async throws {
        let ledger = try ledger()
        try await establish(ledger, "B2")
        try await ledger.execute(DesignateDemonstration(branch: "B2", batch: "第一批", level: .province, designatedOn: date("2020-01-10")), by: "op", commandID: "d1")
        try await ledger.execute(RecordDemonstrationReview(branch: "B2", outcome: .passed, reviewedOn: date("2024-03-01")), by: "op", commandID: "r1")
        #expect(try lastEvent(ledger, "B2", as: DemonstrationReviewed.self)?.1?.dueOn == date("2023-01-10"))
        #expect(await ledger.state.branches["B2"]?.demonstration?.reviewDueOn == date("2027-03-01"))
        // A province-level branch cannot go higher.
        let top = await refusal { try await ledger.execute(DesignateDemonstration(branch: "B2", batch: "第二批", level: .province, designatedOn: date("2024-04-01")), by: "op", commandID: "d2") }
        #expect(top?.code == .demonstrationAlreadyDesignated)
        #expect(DemonstrationLevel.allCases.sorted() == [.county, .city, .province])
        #expect(DemonstrationLevel.allCases.map(\.chinese) == ["县级", "市级", "省级"])
    }

    @Test func aBranchHasOneBrandAtATime() async throws {
        let ledger = try ledger()
        try await establish(ledger, "B1")
        try await ledger.execute(RegisterBrand(branch: "B1", name: "银辉先锋", method: "\"三联三促\"工作法", registeredOn: date("2023-05-01")), by: "op-6", commandID: "b1")
        let (event, registered) = try #require(try lastEvent(ledger, "B1", as: BrandRegistered.self))
        #expect(event.eventType == "BrandRegistered")
        #expect(event.metadata.businessDate == date("2023-05-01"))
        #expect(registered == BrandRegistered(branch: "B1", name: "银辉先锋", method: "\"三联三促\"工作法", registeredOn: date("2023-05-01")))
        #expect(await ledger.state.branches["B1"]?.brand == .init(name: "银辉先锋", method: "\"三联三促\"工作法", registeredOn: date("2023-05-01")))
        // A new method under the same name replaces the old registration.
        try await ledger.execute(RegisterBrand(branch: "B1", name: "银辉先锋", method: "\"四个一\"工作法", registeredOn: date("2024-02-01")), by: "op", commandID: "b2")
        #expect(await ledger.state.branches["B1"]?.brand?.method == "\"四个一\"工作法")
        let same = await refusal { try await ledger.execute(RegisterBrand(branch: "B1", name: "银辉先锋", method: "\"四个一\"工作法", registeredOn: date("2024-03-01")), by: "op", commandID: "b3") }
        #expect(same?.code == .invalidValue)
        #expect(same?.english == "branch B1 already has the brand \"银辉先锋\" with this working method (since 2024-02-01); the registration changes nothing")
        #expect(same?.chinese == "党支部B1已于2024-02-01登记品牌\"银辉先锋\"及相同工作法，本次登记与现状相同")
    }

    @Test func theStateRebuiltFromTheLogHasTheLiaisonDesignationAndBrand() async throws {
        let ledger = try ledger()
        try await establish(ledger, "B1")
        try await ledger.execute(AppointLiaison(branch: "B1", name: "李明", unit: "省水利厅", asDeputySecretary: true, appointedOn: date("2024-03-01")), by: "op", commandID: "l")
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第三批", level: .city, designatedOn: date("2021-03-01")), by: "op", commandID: "d")
        try await ledger.execute(RecordDemonstrationReview(branch: "B1", outcome: .passed, reviewedOn: date("2024-03-01")), by: "op", commandID: "r")
        try await ledger.execute(RegisterBrand(branch: "B1", name: "银辉先锋", method: "工作法", registeredOn: date("2023-05-01")), by: "op", commandID: "b")
        let rebuilt = try ledger.store.project(DomainState.self).projection
        let live = await ledger.state
        #expect(rebuilt.branches["B1"] == live.branches["B1"])
        #expect(rebuilt.branches["B1"]?.demonstration?.lastPassedOn == date("2024-03-01"))
    }

    @Test func invalidBranchWorkCommandsWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 1)   // B1, with 张B1-C1 of 省水利厅
        for branch: BranchID in ["B2", "B3", "B4", "B5"] { try await establish(ledger, branch) }
        try await ledger.execute(DissolveBranch(branch: "B3", dissolvedOn: date("2023-01-01")), by: "op", commandID: "dissolve-B3")
        try await ledger.execute(AppointLiaison(branch: "B1", name: "李明", unit: "省水利厅机关党委", appointedOn: date("2024-03-01")), by: "op", commandID: "l1")
        try await ledger.execute(DesignateDemonstration(branch: "B1", batch: "第三批", level: .county, designatedOn: date("2022-01-01")), by: "op", commandID: "d1")
        try await ledger.execute(RegisterBrand(branch: "B1", name: "银辉先锋", method: "\"三联三促\"工作法", registeredOn: date("2023-05-01")), by: "op", commandID: "b1")
        try await ledger.execute(DesignateDemonstration(branch: "B4", batch: "第一批", level: .county, designatedOn: date("2021-01-01")), by: "op", commandID: "d4")
        try await ledger.execute(RecordDemonstrationReview(branch: "B4", outcome: .revoked, reviewedOn: date("2022-06-01")), by: "op", commandID: "r4")
        try await ledger.execute(DesignateDemonstration(branch: "B5", batch: "第二批", level: .city, designatedOn: date("2023-01-01")), by: "op", commandID: "d5")
        try await ledger.execute(RecordDemonstrationReview(branch: "B5", outcome: .passed, reviewedOn: date("2024-01-01")), by: "op", commandID: "r5")
        let written = ledger.store.nextPosition

        func liaison(_ branch: BranchID = "B1", name: String = "王芳", unit: String = "省水利厅办公室", on: String = "2024-06-01") -> AppointLiaison {
            AppointLiaison(branch: branch, name: name, unit: unit, appointedOn: date(on))
        }
        func designate(_ branch: BranchID = "B2", batch: String = "第四批", level: DemonstrationLevel = .county, on: String = "2024-06-01") -> DesignateDemonstration {
            DesignateDemonstration(branch: branch, batch: batch, level: level, designatedOn: date(on))
        }
        func review(_ branch: BranchID = "B1", _ outcome: DemonstrationReviewOutcome = .passed, on: String = "2024-06-01") -> RecordDemonstrationReview {
            RecordDemonstrationReview(branch: branch, outcome: outcome, reviewedOn: date(on))
        }
        func brand(_ branch: BranchID = "B1", name: String = "银辉先锋", method: String = "\"四个一\"工作法", on: String = "2024-06-01") -> RegisterBrand {
            RegisterBrand(branch: branch, name: name, method: method, registeredOn: date(on))
        }
        let cases: [(String, any DomainCommand, DomainError.Code)] = [
            ("a liaison without name", liaison(name: " "), .invalidValue),
            ("a liaison without unit", liaison(unit: ""), .invalidValue),
            ("a liaison of an unknown branch", liaison("B9"), .unknownBranch),
            ("a liaison of a dissolved branch", liaison("B3", on: "2023-06-01"), .branchDissolved),
            ("a liaison appointed in the future", liaison(on: "2025-01-01"), .dateInFuture),
            ("a liaison before the branch existed", liaison(on: "2019-12-01"), .dateBeforeExistence),
            ("a retired cadre as liaison", liaison(name: "张B1-C1", unit: "省水利厅"), .liaisonIsACadre),
            ("the current liaison again", liaison(name: "李明", unit: "省水利厅机关党委"), .invalidValue),
            ("a liaison before the current one", liaison(on: "2024-02-01"), .invalidDates),
            ("a designation without batch", designate(batch: "  "), .invalidValue),
            ("a designation of an unknown branch", designate("B9"), .unknownBranch),
            ("a designation of a dissolved branch", designate("B3", on: "2023-06-01"), .branchDissolved),
            ("a designation in the future", designate(on: "2025-01-01"), .dateInFuture),
            ("a designation before the branch existed", designate(on: "2019-06-01"), .dateBeforeExistence),
            ("a designation at the same level", designate("B1", level: .county), .demonstrationAlreadyDesignated),
            ("a designation at a lower level", designate("B5", level: .county), .demonstrationAlreadyDesignated),
            ("a higher designation before the last review", designate("B5", level: .province, on: "2023-12-01"), .invalidDates),
            ("a new designation before the revocation", designate("B4", on: "2022-05-01"), .invalidDates),
            ("a review of a branch never designated", review("B2"), .notADemonstrationBranch),
            ("a review of a revoked designation", review("B4"), .notADemonstrationBranch),
            ("a review on the designation date", review("B1", on: "2022-01-01"), .invalidDates),
            ("a review on the day of the last review", review("B5", .revoked, on: "2024-01-01"), .invalidDates),
            ("a review in the future", review(on: "2025-02-01"), .dateInFuture),
            ("a review of an unknown branch", review("B9"), .unknownBranch),
            ("a review of a dissolved branch", review("B3", on: "2023-06-01"), .branchDissolved),
            ("a brand without name", brand(name: ""), .invalidValue),
            ("a brand without method", brand(method: " \n"), .invalidValue),
            ("the same brand again", brand(method: "\"三联三促\"工作法"), .invalidValue),
            ("a brand before the current one", brand(on: "2023-04-30"), .invalidDates),
            ("a brand of a dissolved branch", brand("B3", on: "2023-06-01"), .branchDissolved),
            ("a brand in the future", brand(on: "2025-01-01"), .dateInFuture),
        ]
        #expect(cases.count >= 15)
        for (i, (name, command, code)) in cases.enumerated() {
            let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(i)") }
            #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
            #expect(ledger.store.nextPosition == written, "\(name) wrote something")
        }

        // Full messages.
        let never = await refusal { try await ledger.execute(review("B2"), by: "op", commandID: "x1") }
        #expect(never?.english == "branch B2 was never designated a demonstration branch; only a demonstration branch is reviewed")
        #expect(never?.chinese == "党支部B2未被命名为示范党支部，不能复审")
        let onDesignation = await refusal { try await ledger.execute(review("B1", on: "2022-01-01"), by: "op", commandID: "x2") }
        #expect(onDesignation?.english == "the designation (2022-01-01) must be before the review (2022-01-01)")
        #expect(onDesignation?.chinese == "命名日期（2022-01-01）必须早于复审日期（2022-01-01）")
        let noName = await refusal { try await ledger.execute(liaison(name: ""), by: "op", commandID: "x3") }
        #expect(noName?.english == "liaison's name must not be empty")
        #expect(noName?.chinese == "联络员姓名不能为空")
        #expect(ledger.store.nextPosition == written)
    }
}
