import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Organisational life (组织生活, \"三会一课\"): meetings, study at home (送学上门), democratic evaluation (民主评议党员)")
struct OrganisationalLifeTests {
    private func meeting(_ id: String = "M1", branch: BranchID = "B1", kind: MeetingType = .generalMeeting, on: String = "2024-03-15",
                         attendees: [CadreID] = ["B1-C1"], absentees: [MeetingAbsence] = []) -> RecordMeeting {
        RecordMeeting(meeting: id, branch: branch, kind: kind, topic: "学习贯彻党纪学习教育", heldOn: date(on), attendees: attendees, absentees: absentees)
    }

    private func absent(_ cadre: CadreID, _ reason: String = "住院治疗") -> MeetingAbsence { MeetingAbsence(cadre: cadre, reason: reason) }

    private func evaluation(_ cadre: CadreID = "B1-C1", branch: BranchID = "B1", year: Int = 2024, rating: EvaluationRating = .qualified,
                            on: String = "2024-12-20") -> RecordDemocraticEvaluation {
        RecordDemocraticEvaluation(branch: branch, cadre: cadre, year: year, rating: rating, evaluatedOn: date(on))
    }

    @Test func aMeetingIsRecordedInItsOwnStreamWithItsAbsencesAwaitingStudyAtHome() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 5)
        let before = ledger.store.nextPosition
        let result = try await ledger.execute(
            meeting(attendees: ["B1-C1", "B1-C2", "B1-C3"], absentees: [absent("B1-C4", "  住院治疗 "), absent("B1-C5", "外出探亲")]),
            by: "op-7", commandID: "meeting-M1")
        #expect(result.positions == before..<before + 1)
        let events = try ledger.store.readStream("meeting-M1")
        #expect(events.count == 1)
        #expect(events.first?.eventType == "MeetingRecorded")
        #expect(events.first?.metadata.businessDate == date("2024-03-15"))
        #expect(events.first?.metadata.recordedBy == "op-7")
        let recorded = try events.first?.decoded(as: MeetingRecorded.self, with: Ledger.eventTypes)
        #expect(recorded == MeetingRecorded(meeting: "M1", branch: "B1", kind: .generalMeeting, topic: "学习贯彻党纪学习教育", heldOn: date("2024-03-15"),
                                            attendees: ["B1-C1", "B1-C2", "B1-C3"],
                                            absentees: [absent("B1-C4", "住院治疗"), absent("B1-C5", "外出探亲")]))   // reasons trimmed
        let awaiting = await ledger.state.organisationalLife.awaitingStudy
        #expect(awaiting == ["M1": .init(branch: "B1", heldOn: date("2024-03-15"), absentees: ["B1-C4", "B1-C5"])])

        // A meeting everyone attended leaves nothing awaiting.
        try await ledger.execute(meeting("M2", kind: .partyLecture, attendees: ["B1-C1", "B1-C2", "B1-C3", "B1-C4", "B1-C5"]), by: "op", commandID: "m2")
        #expect(await ledger.state.organisationalLife.awaitingStudy.keys.sorted() == ["M1"])
    }

    @Test func meetingIDsAreEqualByTheirTextAndAKeyOfAJSONObject() throws {
        let a = MeetingID("B00046-2024-Q2-general"), b: MeetingID = "B00046-2024-Q2-general", c = MeetingID("B00046-2024-Q2-generaL")
        #expect(a == b && a.hashValue == b.hashValue && a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect([a, c].sorted() == [c, a])   // by text: "L" (0x4C) before "l" (0x6C)
        // The table of meetings awaiting study is a JSON object keyed by meeting id, as with String keys.
        var state = OrganisationalLifeState()
        state.awaitingStudy[a] = .init(branch: "B1", heldOn: date("2024-05-20"), absentees: ["C1"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try encoder.encode(state.awaitingStudy)
        #expect(String(decoding: json, as: UTF8.self) == #"{"B00046-2024-Q2-general":{"absentees":["C1"],"branch":"B1","heldOn":"2024-05-20"}}"#)
        let back = try JSONDecoder().decode([MeetingID: OrganisationalLifeState.AwaitingStudy].self, from: json)
        #expect(back == state.awaitingStudy && back[b]?.absentees == ["C1"])
        let plain = try JSONDecoder().decode([String: OrganisationalLifeState.AwaitingStudy].self, from: json)
        #expect(plain.keys.sorted() == ["B00046-2024-Q2-general"])
    }

    @Test func aRebuildsCacheOfMeetingIDsGivesTheIDOfEachTextWhateverItHolds() {
        var cache = MeetingIDCache()
        func id(_ text: String) -> MeetingID { Array(text.utf8).withUnsafeBytes { cache.id(checkedUTF8: $0) } }
        // 3,000 ids through a cache of 1,024 slots: ids evict each other, every
        // answer is still the id of its text, with the same hash as one made from a String.
        let texts = (0..<3000).map { "B\(String(format: "%05d", $0 % 700))-2024-Q\($0 % 4 + 1)-\($0 % 3 == 0 ? "general" : "committee")" } + ["", "会议-一", "x"]
        for text in texts + texts.reversed() {
            let made = id(text)
            #expect(made == MeetingID(text) && made.rawValue == text && made.hashValue == MeetingID(text).hashValue, "\(text)")
        }
        #expect(id("B00001-2024-Q1-general") != id("B00001-2024-Q1-generaL"))
    }

    @Test func everyKindOfMeetingIsRecorded() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2)
        for (i, kind) in MeetingType.allCases.enumerated() {
            try await ledger.execute(meeting("K\(i)", kind: kind, on: "2024-04-0\(i + 1)", attendees: ["B1-C1", "B1-C2"]), by: "op", commandID: "k\(i)")
            let recorded = try ledger.store.readStream("meeting-K\(i)").first?.decoded(as: MeetingRecorded.self, with: Ledger.eventTypes)
            #expect(recorded?.kind == kind)
        }
        #expect(MeetingType.allCases.map(\.chinese) == ["支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会"])
        #expect(EvaluationRating.allCases.map(\.chinese) == ["优秀", "合格", "基本合格", "不合格"])
    }

    @Test func studyIsDeliveredAtHomeOnceToEachAbsentee() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 4)
        try await ledger.execute(meeting(attendees: ["B1-C1", "B1-C2"], absentees: [absent("B1-C3"), absent("B1-C4", "行动不便")]), by: "op", commandID: "m1")
        try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C3", deliveredOn: date("2024-03-20")), by: "op-2", commandID: "d3")
        var events = try ledger.store.readStream("meeting-M1")
        #expect(events.count == 2)
        #expect(events.last?.eventType == "StudyDeliveredAtHome")
        #expect(events.last?.metadata.businessDate == date("2024-03-20"))
        #expect(try events.last?.decoded(as: StudyDeliveredAtHome.self, with: Ledger.eventTypes)
            == StudyDeliveredAtHome(meeting: "M1", branch: "B1", cadre: "B1-C3", heldOn: date("2024-03-15"), deliveredOn: date("2024-03-20")))
        #expect(await ledger.state.organisationalLife.awaitingStudy["M1"]?.absentees == ["B1-C4"])

        // Delivered twice: refused, while others of the meeting still await.
        let twice = await refusal { try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C3", deliveredOn: date("2024-03-21")), by: "op", commandID: "d3b") }
        #expect(twice?.code == .noPendingAbsence)
        #expect(twice?.english == "cadre B1-C3 has no absence from meeting M1 (2024-03-15) awaiting study at home (送学上门): not recorded as absent, or already delivered (awaiting: B1-C4)")
        #expect(twice?.chinese == "离退休干部B1-C3没有2024-03-15会议M1的待送学缺席记录：未登记缺席或已送学（待送学：B1-C4）")

        // The last absentee, on the meeting day itself (the earliest allowed): the meeting leaves the state.
        try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C4", deliveredOn: date("2024-03-15")), by: "op", commandID: "d4")
        #expect(await ledger.state.organisationalLife.awaitingStudy.isEmpty)
        events = try ledger.store.readStream("meeting-M1")
        #expect(events.count == 3)
        let again = await refusal { try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C4", deliveredOn: date("2024-04-01")), by: "op", commandID: "d4b") }
        #expect(again?.code == .noPendingAbsence)
        #expect(again?.english == "meeting M1 has no absentee awaiting study at home (送学上门) for cadre B1-C4: no such meeting, it had no absentees, or every absentee has been delivered the study")
        #expect(ledger.store.nextPosition == events.last!.position + 1)
    }

    @Test func membersAreCheckedOnTheMeetingDateNotToday() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(TransferMember(cadre: "B1-C2", from: "B1", to: "B2", transferredOn: date("2024-05-01")), by: "op", commandID: "move")
        // A late record of a meeting before the transfer names B1-C2 in B1.
        try await ledger.execute(meeting("M-before", on: "2024-04-30", attendees: ["B1-C1", "B1-C2"]), by: "op", commandID: "m-before")
        let after = await refusal { try await ledger.execute(meeting("M-after", on: "2024-05-01", attendees: ["B1-C1", "B1-C2"]), by: "op", commandID: "m-after") }
        #expect(after?.code == .notABranchMember)
        #expect(after?.english == "cadre B1-C2 was not a member of branch B1 on 2024-05-01 (a member of B2)")
        #expect(after?.chinese == "2024-05-01离退休干部B1-C2不是党支部B1的党员（属于B2）")
        try await ledger.execute(meeting("M-B2", branch: "B2", on: "2024-05-01", attendees: ["B1-C2"]), by: "op", commandID: "m-b2")

        // The dead may be named for meetings before their death, not on or after it.
        try await ledger.execute(RecordDeath(cadre: "B1-C3", diedOn: date("2024-06-01"), recordedOn: date("2024-06-03")), by: "op", commandID: "death")
        try await ledger.execute(meeting("M-may", on: "2024-05-20", attendees: ["B1-C1"], absentees: [absent("B1-C3")]), by: "op", commandID: "m-may")
        let dead = await refusal { try await ledger.execute(meeting("M-june", on: "2024-06-01", attendees: ["B1-C1"], absentees: [absent("B1-C3")]), by: "op", commandID: "m-june") }
        #expect(dead?.code == .cadreDeceased)
        // Study at home: before the death, yes; on the day of death, no.
        let late = await refusal { try await ledger.execute(DeliverStudyAtHome(meeting: "M-may", cadre: "B1-C3", deliveredOn: date("2024-06-01")), by: "op", commandID: "s-late") }
        #expect(late?.code == .cadreDeceased)
        try await ledger.execute(DeliverStudyAtHome(meeting: "M-may", cadre: "B1-C3", deliveredOn: date("2024-05-31")), by: "op", commandID: "s-ok")
    }

    @Test func theDemocraticEvaluationIsOncePerYearWithinTheYearOrItsFirstQuarter() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        // For 2023, on 2024-01-15: the first quarter of the next year.
        try await ledger.execute(evaluation(year: 2023, rating: .excellent, on: "2024-01-15"), by: "op-3", commandID: "e-2023")
        let event = try ledger.store.readStream(CadreID("B1-C1").stream).last
        #expect(event?.eventType == "DemocraticEvaluationRecorded")
        #expect(event?.metadata.businessDate == date("2024-01-15"))
        #expect(try event?.decoded(as: DemocraticEvaluationRecorded.self, with: Ledger.eventTypes)
            == DemocraticEvaluationRecorded(branch: "B1", cadre: "B1-C1", year: 2023, rating: .excellent, evaluatedOn: date("2024-01-15")))
        try await ledger.execute(evaluation(year: 2024, rating: .basicallyQualified, on: "2024-12-20"), by: "op", commandID: "e-2024")
        #expect(await ledger.state.organisationalLife.evaluations["B1-C1"] == [2023: date("2024-01-15"), 2024: date("2024-12-20")])

        // The edges of the period: 1 January of the year and 31 March of the next pass; 31 December before and 1 April after do not.
        try await ledger.execute(evaluation("B1-C2", year: 2023, on: "2024-03-31"), by: "op", commandID: "e-c2-2023")
        try await ledger.execute(evaluation("B1-C2", year: 2024, rating: .unqualified, on: "2024-01-01"), by: "op", commandID: "e-c2-2024")
        let lateQ = await refusal { try await ledger.execute(evaluation("B1-C3", year: 2023, on: "2024-04-01"), by: "op", commandID: "e-late") }
        #expect(lateQ?.code == .evaluationOutOfPeriod)
        #expect(lateQ?.english == "the democratic evaluation for 2023 must be dated within 2023 or by 31 March 2024 (dated 2024-04-01)")
        #expect(lateQ?.chinese == "2023年度民主评议党员须在2023年内或2024年3月31日前进行（评议日期2024-04-01）")
        let early = await refusal { try await ledger.execute(evaluation("B1-C3", year: 2024, on: "2023-12-31"), by: "op", commandID: "e-early") }
        #expect(early?.code == .evaluationOutOfPeriod)

        // Once per year, even after a transfer to another branch.
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(TransferMember(cadre: "B1-C1", from: "B1", to: "B2", transferredOn: date("2024-12-21")), by: "op", commandID: "move")
        let twice = await refusal { try await ledger.execute(evaluation(branch: "B2", year: 2024, on: "2024-12-28"), by: "op", commandID: "e-twice") }
        #expect(twice?.code == .evaluationAlreadyRecorded)
        #expect(twice?.english == "cadre B1-C1 was already evaluated for 2024 (on 2024-12-20); a member is evaluated once a year")
        #expect(twice?.chinese == "离退休干部B1-C1的2024年度民主评议已于2024-12-20记录，每年只评议一次")
    }

    @Test func theStateRebuiltFromTheLogKnowsWhatStillAwaitsStudyAtHome() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        try await ledger.execute(meeting(attendees: ["B1-C1"], absentees: [absent("B1-C2"), absent("B1-C3")]), by: "op", commandID: "m1")
        try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C2", deliveredOn: date("2024-03-18")), by: "op", commandID: "d2")
        try await ledger.execute(evaluation(), by: "op", commandID: "e1")
        let rebuilt = try ledger.store.project(DomainState.self).projection
        let live = await ledger.state
        #expect(rebuilt.organisationalLife == live.organisationalLife)
        #expect(rebuilt.organisationalLife.awaitingStudy["M1"]?.absentees == ["B1-C3"])
    }

    @Test func invalidOrganisationalLifeCommandsWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await branchWithMembers(ledger, 4)
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(EstablishBranch(branch: "B3", name: "临时党支部", type: .temporary, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B3")
        try await ledger.execute(DissolveBranch(branch: "B3", dissolvedOn: date("2023-01-01")), by: "op", commandID: "dissolve-B3")
        try await register(ledger, "X1")
        try await member(ledger, "X1", joined: "1970-01-01", full: "1971-01-01")
        try await ledger.execute(AddMember(branch: "B2", cadre: "X1", addedOn: date("2021-01-01")), by: "op", commandID: "add-X1")
        try await register(ledger, "N1")   // in the register, in no branch
        try await ledger.execute(meeting("M1", on: "2024-03-15", attendees: ["B1-C1", "B1-C2"], absentees: [absent("B1-C3"), absent("B1-C4")]),
                                 by: "op", commandID: "m1")
        try await ledger.execute(RecordDeath(cadre: "B1-C4", diedOn: date("2024-04-01"), recordedOn: date("2024-04-02")), by: "op", commandID: "death")
        try await ledger.execute(evaluation("B1-C2", year: 2024, on: "2024-03-01"), by: "op", commandID: "e-c2")
        let written = ledger.store.nextPosition

        let cases: [(String, any DomainCommand, DomainError.Code)] = [
            ("a meeting without id", meeting(""), .invalidValue),
            ("a meeting in the future", meeting("M2", on: "2025-01-01"), .dateInFuture),
            ("a meeting of an unknown branch", meeting("M2", branch: "B9"), .unknownBranch),
            ("a meeting before the branch existed", meeting("M2", on: "2019-12-31"), .dateBeforeExistence),
            ("a meeting of a dissolved branch", meeting("M2", branch: "B3", on: "2023-06-01"), .branchDissolved),
            ("a meeting without attendees", meeting("M2", attendees: [], absentees: [absent("B1-C1")]), .invalidValue),
            ("an absence without reason", meeting("M2", absentees: [absent("B1-C2", "  ")]), .invalidValue),
            ("an attendee named twice", meeting("M2", attendees: ["B1-C1", "B1-C2", "B1-C1"]), .duplicateName),
            ("an attendee also absent", meeting("M2", attendees: ["B1-C1"], absentees: [absent("B1-C1")]), .duplicateName),
            ("an absentee named twice", meeting("M2", absentees: [absent("B1-C2"), absent("B1-C2", "外出")]), .duplicateName),
            ("an unknown attendee", meeting("M2", attendees: ["B1-C1", "C404"]), .unknownCadre),
            ("an attendee of another branch", meeting("M2", attendees: ["B1-C1", "X1"]), .notABranchMember),
            // Of several members that break a rule, the first named is the one refused.
            ("an unknown attendee before one of another branch", meeting("M2", attendees: ["B1-C1", "C404", "X1"]), .unknownCadre),
            ("an attendee of another branch before an unknown one", meeting("M2", attendees: ["B1-C1", "X1", "C404"]), .notABranchMember),
            ("an attendee of another branch before a dead absentee", meeting("M2", on: "2024-04-01", attendees: ["B1-C1", "X1"], absentees: [absent("B1-C4")]), .notABranchMember),
            ("an absentee in no branch", meeting("M2", absentees: [absent("N1")]), .notABranchMember),
            ("an attendee before joining", meeting("M2", on: "2020-01-15", attendees: ["B1-C1"]), .notABranchMember),
            ("a dead absentee", meeting("M2", on: "2024-04-01", absentees: [absent("B1-C4")]), .cadreDeceased),
            ("a meeting id used before", meeting("M1", on: "2024-03-16"), .recordExists),
            ("study at home for an unknown meeting", DeliverStudyAtHome(meeting: "M404", cadre: "B1-C3", deliveredOn: date("2024-03-20")), .noPendingAbsence),
            ("study at home for an attendee", DeliverStudyAtHome(meeting: "M1", cadre: "B1-C1", deliveredOn: date("2024-03-20")), .noPendingAbsence),
            ("study at home before the meeting", DeliverStudyAtHome(meeting: "M1", cadre: "B1-C3", deliveredOn: date("2024-03-14")), .invalidDates),
            ("study at home in the future", DeliverStudyAtHome(meeting: "M1", cadre: "B1-C3", deliveredOn: date("2025-01-01")), .dateInFuture),
            ("study at home after death", DeliverStudyAtHome(meeting: "M1", cadre: "B1-C4", deliveredOn: date("2024-04-10")), .cadreDeceased),
            ("an evaluation after the first quarter", evaluation(year: 2023, on: "2024-04-01"), .evaluationOutOfPeriod),
            ("an evaluation before its year", evaluation(year: 2025, on: "2024-12-01"), .evaluationOutOfPeriod),
            ("an evaluation in the future", evaluation(year: 2025, on: "2025-01-05"), .dateInFuture),
            ("an evaluation of a non-member", evaluation("X1", year: 2024), .notABranchMember),
            ("an evaluation of the dead", evaluation("B1-C4", year: 2024, on: "2024-05-01"), .cadreDeceased),
            ("an evaluation in an unknown branch", evaluation(branch: "B9"), .unknownBranch),
            ("an evaluation in a dissolved branch", evaluation(branch: "B3", year: 2023, on: "2023-06-01"), .branchDissolved),
            ("a second evaluation for a year", evaluation("B1-C2", year: 2024, rating: .excellent, on: "2024-12-01"), .evaluationAlreadyRecorded),
            ("an evaluation of an unknown cadre", evaluation("C404"), .unknownCadre),
        ]
        #expect(cases.count >= 15)
        for (i, (name, command, code)) in cases.enumerated() {
            let error = await refusal { try await ledger.execute(command, by: "op", commandID: "bad-\(i)") }
            #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
            #expect(ledger.store.nextPosition == written, "\(name) wrote something")
        }
        #expect(await ledger.state.organisationalLife.awaitingStudy["M1"]?.absentees == ["B1-C3", "B1-C4"])

        // Full messages.
        let twice = await refusal { try await ledger.execute(meeting("M2", attendees: ["B1-C1"], absentees: [absent("B1-C1")]), by: "op", commandID: "x1") }
        #expect(twice?.english == "cadre B1-C1 is named both as attendee and as absentee of meeting M2; each member is named once")
        #expect(twice?.chinese == "离退休干部B1-C1同时出现在参会和缺席名单中（会议M2），每人只能出现一次")
        let reason = await refusal { try await ledger.execute(meeting("M2", absentees: [absent("B1-C2", "")]), by: "op", commandID: "x2") }
        #expect(reason?.english == "the reason of B1-C2's absence must not be empty")
        #expect(reason?.chinese == "B1-C2的缺席原因不能为空")
        let none = await refusal { try await ledger.execute(meeting("M2", kind: .committeeMeeting, attendees: []), by: "op", commandID: "x3") }
        #expect(none?.english == "a meeting (committeeMeeting) of branch B1 needs at least one attendee")
        #expect(none?.chinese == "党支部B1的支委会须至少有一名参会党员")
        let before = await refusal { try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C3", deliveredOn: date("2024-03-14")), by: "op", commandID: "x4") }
        #expect(before?.english == "the meeting (2024-03-15) must be on or before the study at home (2024-03-14)")
        #expect(before?.chinese == "会议日期（2024-03-15）必须不晚于送学上门日期（2024-03-14）")
        let reused = await refusal { try await ledger.execute(meeting("M1", on: "2024-03-16"), by: "op", commandID: "x5") }
        #expect(reused?.english == "meeting-M1 already exists; an id is used once (command x5)")
        #expect(ledger.store.nextPosition == written)
    }
}
