import Foundation
@testable import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

/// One value of every domain event, every field set (and a second with the
/// optionals empty, the lists empty and other values).
let domainEventSamples: [any DomainEvent] = [
        BranchEstablished(branch: "B0042", name: "name：文本 ✓", kind: .allCases.last!, parentOrganisation: "parentOrganisation：文本 ✓", establishedOn: date("2024-02-29")),
        MemberAdded(branch: "B0042", cadre: "C000123", addedOn: date("2024-02-29")),
        MemberRemoved(branch: "B0042", cadre: "C000123", reason: "reason：文本 ✓", removedOn: date("2024-02-29")),
        MemberTransferred(cadre: "C000123", from: "B0042", to: "B0042", transferredOn: date("2024-02-29")),
        OfficerElected(branch: "B0042", role: .allCases.last!, cadre: "C000123", electedOn: date("2024-02-29"), termYears: 1_000_000, entitled: 1_000_000, present: 1_000_000, votesFor: 1_000_000),
        BranchDissolved(branch: "B0042", dissolvedOn: date("2024-02-29")),
        LiaisonAppointed(branch: "B0042", name: "name：文本 ✓", unit: "unit：文本 ✓", asDeputySecretary: true, appointedOn: date("2024-02-29")),
        DemonstrationDesignated(branch: "B0042", batch: "batch：文本 ✓", level: .allCases.last!, designatedOn: date("2024-02-29"), previousLevel: .allCases.last!),
        DemonstrationReviewed(branch: "B0042", outcome: .allCases.last!, reviewedOn: date("2024-02-29"), dueOn: date("2024-02-29")),
        BrandRegistered(branch: "B0042", name: "name：文本 ✓", method: "method：文本 ✓", registeredOn: date("2024-02-29")),
        ResidenceChanged(cadre: "C000123", previousResidence: "previousResidence：文本 ✓", residence: "residence：文本 ✓", changedOn: date("2024-02-29")),
        RelocationMarked(cadre: "C000123", relocated: true, area: "area：文本 ✓", markedOn: date("2024-02-29")),
        HealthChanged(cadre: "C000123", frail: true, limitedMobility: true, changedOn: date("2024-02-29")),
        HonourableRetirementRecorded(cadre: "C000123", honouredOn: date("2024-02-29")),
        CadreRegistered(cadre: "C000123", name: "name：文本 ✓", category: .allCases.last!, birthDate: date("2024-02-29"), formerLevel: .allCases.last!, formerUnit: "formerUnit：文本 ✓", retiredOn: date("2024-02-29"), residence: "residence：文本 ✓", registeredOn: date("2024-02-29")),
        PartyMembershipRecorded(cadre: "C000123", joinedOn: date("2024-02-29"), fullMemberOn: date("2024-02-29"), recordedOn: date("2024-02-29")),
        PartyMembershipCorrected(cadre: "C000123", previousJoinedOn: date("2024-02-29"), previousFullMemberOn: date("2024-02-29"), joinedOn: date("2024-02-29"), fullMemberOn: date("2024-02-29"), reason: "reason：文本 ✓", correctedOn: date("2024-02-29")),
        DeathRecorded(cadre: "C000123", diedOn: date("2024-02-29"), recordedOn: date("2024-02-29")),
        CarePlanCreated(cadre: "C000123", contact: "contact：文本 ✓", measures: "measures：文本 ✓", createdOn: date("2024-02-29"), replaces: .init(contact: "王干事", createdOn: date("2023-01-01"), reason: "人员调整")),
        HardshipAssistanceRecorded(cadre: "C000123", amountFen: 1_000_000, purpose: "purpose：文本 ✓", assistedOn: date("2024-02-29")),
        HomeCareServiceRecorded(cadre: "C000123", service: "service：文本 ✓", servedOn: date("2024-02-29")),
        HomeAdaptationRecorded(cadre: "C000123", adaptation: "adaptation：文本 ✓", completedOn: date("2024-02-29")),
        VisitLogged(visit: "visit：文本 ✓", cadre: "C000123", kind: .allCases.last!, channel: .allCases.last!, visitors: ["甲", "b"], notes: "notes：文本 ✓", needs: [FoundNeed(id: "N1", kind: .medical, description: "门诊"), FoundNeed(id: "N2", kind: .other, description: "")], visitedOn: date("2024-02-29")),
        NeedFollowedUp(cadre: "C000123", need: "need：文本 ✓", action: "action：文本 ✓", resolved: true, followedUpOn: date("2024-02-29")),
        TalentRegistered(cadre: "C000123", expertise: ["甲", "b"], registeredOn: date("2024-02-29")),
        WorkstationEstablished(workstation: "workstation：文本 ✓", unit: "unit：文本 ✓", establishedOn: date("2024-02-29")),
        VolunteerTeamFormed(team: "team：文本 ✓", name: "name：文本 ✓", formedOn: date("2024-02-29")),
        VolunteerTeamJoined(team: "team：文本 ✓", cadre: "C000123", joinedOn: date("2024-02-29")),
        VolunteerServiceRecorded(team: "team：文本 ✓", participants: ["C1", "C000002", "C3"], activity: "activity：文本 ✓", servedOn: date("2024-02-29"), hours: 2.5),
        StudioEstablished(studio: "studio：文本 ✓", name: "name：文本 ✓", lead: "C000123", establishedOn: date("2024-02-29")),
        LectureRecorded(lecture: "lecture：文本 ✓", speaker: "C000123", topic: "topic：文本 ✓", audience: 1_000_000, heldOn: date("2024-02-29")),
        Medal50Awarded(cadre: "C000123", awardedOn: date("2024-02-29"), standingYears: 1_000_000),
        PoliticalBirthdayRecorded(cadre: "C000123", organiser: "organiser：文本 ✓", heldOn: date("2024-02-29"), yearsSinceJoining: 1_000_000),
        HonourRecorded(recipient: .cadre("C9"), title: .silverPioneer, level: .city, year: 2024, awardedOn: date("2024-06-30")),
        OutflowRegistered(cadre: "C000123", fromBranch: "B0042", destination: "destination：文本 ✓", reason: "reason：文本 ✓", since: date("2024-02-29")),
        InflowAccepted(cadre: "C000123", fromBranch: "B0042", receivingOrganisation: "receivingOrganisation：文本 ✓", since: date("2024-02-29"), acceptedOn: date("2024-02-29")),
        MobileMemberReturned(cadre: "C000123", fromBranch: "B0042", since: date("2024-02-29"), returnedOn: date("2024-02-29")),
        MeetingRecorded(meeting: "meeting：文本 ✓", branch: "B0042", kind: .allCases.last!, topic: "topic：文本 ✓", heldOn: date("2024-02-29"), attendees: ["C1", "C000002", "C3"], absentees: [MeetingAbsence(cadre: "C4", reason: "住院")]),
        StudyDeliveredAtHome(meeting: "meeting：文本 ✓", branch: "B0042", cadre: "C000123", heldOn: date("2024-02-29"), deliveredOn: date("2024-02-29")),
        DemocraticEvaluationRecorded(branch: "B0042", cadre: "C000123", year: 1_000_000, rating: .allCases.last!, evaluatedOn: date("2024-02-29")),
        StudySessionRecorded(session: "session：文本 ✓", organiser: "organiser：文本 ✓", format: .allCases.last!, topic: "topic：文本 ✓", heldOn: date("2024-02-29"), hours: 2.5, attendees: ["C1", "C000002", "C3"]),
        QuizResultRecorded(cadre: "C000123", quiz: "quiz：文本 ✓", score: 1_000_000, takenOn: date("2024-02-29")),
        BranchEstablished(branch: "B0042", name: "name：文本 ✓", kind: .allCases.first!, parentOrganisation: "parentOrganisation：文本 ✓", establishedOn: date("1949-10-01")),
        MemberAdded(branch: "B0042", cadre: "C000123", addedOn: date("1949-10-01")),
        MemberRemoved(branch: "B0042", cadre: "C000123", reason: "reason：文本 ✓", removedOn: date("1949-10-01")),
        MemberTransferred(cadre: "C000123", from: "B0042", to: "B0042", transferredOn: date("1949-10-01")),
        OfficerElected(branch: "B0042", role: .allCases.first!, cadre: "C000123", electedOn: date("1949-10-01"), termYears: -7, entitled: -7, present: -7, votesFor: -7),
        BranchDissolved(branch: "B0042", dissolvedOn: date("1949-10-01")),
        LiaisonAppointed(branch: "B0042", name: "name：文本 ✓", unit: "unit：文本 ✓", asDeputySecretary: false, appointedOn: date("1949-10-01")),
        DemonstrationDesignated(branch: "B0042", batch: "batch：文本 ✓", level: .allCases.first!, designatedOn: date("1949-10-01"), previousLevel: nil),
        DemonstrationReviewed(branch: "B0042", outcome: .allCases.first!, reviewedOn: date("1949-10-01"), dueOn: date("1949-10-01")),
        BrandRegistered(branch: "B0042", name: "name：文本 ✓", method: "method：文本 ✓", registeredOn: date("1949-10-01")),
        ResidenceChanged(cadre: "C000123", previousResidence: "previousResidence：文本 ✓", residence: "residence：文本 ✓", changedOn: date("1949-10-01")),
        RelocationMarked(cadre: "C000123", relocated: false, area: nil, markedOn: date("1949-10-01")),
        HealthChanged(cadre: "C000123", frail: false, limitedMobility: false, changedOn: date("1949-10-01")),
        HonourableRetirementRecorded(cadre: "C000123", honouredOn: date("1949-10-01")),
        CadreRegistered(cadre: "C000123", name: "name：文本 ✓", category: .allCases.first!, birthDate: date("1949-10-01"), formerLevel: .allCases.first!, formerUnit: "formerUnit：文本 ✓", retiredOn: date("1949-10-01"), residence: "residence：文本 ✓", registeredOn: date("1949-10-01")),
        PartyMembershipRecorded(cadre: "C000123", joinedOn: date("1949-10-01"), fullMemberOn: date("1949-10-01"), recordedOn: date("1949-10-01")),
        PartyMembershipCorrected(cadre: "C000123", previousJoinedOn: date("1949-10-01"), previousFullMemberOn: date("1949-10-01"), joinedOn: date("1949-10-01"), fullMemberOn: date("1949-10-01"), reason: "reason：文本 ✓", correctedOn: date("1949-10-01")),
        DeathRecorded(cadre: "C000123", diedOn: date("1949-10-01"), recordedOn: date("1949-10-01")),
        CarePlanCreated(cadre: "C000123", contact: "contact：文本 ✓", measures: "measures：文本 ✓", createdOn: date("1949-10-01"), replaces: nil),
        HardshipAssistanceRecorded(cadre: "C000123", amountFen: -7, purpose: "purpose：文本 ✓", assistedOn: date("1949-10-01")),
        HomeCareServiceRecorded(cadre: "C000123", service: "service：文本 ✓", servedOn: date("1949-10-01")),
        HomeAdaptationRecorded(cadre: "C000123", adaptation: "adaptation：文本 ✓", completedOn: date("1949-10-01")),
        VisitLogged(visit: "visit：文本 ✓", cadre: "C000123", kind: .allCases.first!, channel: .allCases.first!, visitors: [], notes: "notes：文本 ✓", needs: [], visitedOn: date("1949-10-01")),
        NeedFollowedUp(cadre: "C000123", need: "need：文本 ✓", action: "action：文本 ✓", resolved: false, followedUpOn: date("1949-10-01")),
        TalentRegistered(cadre: "C000123", expertise: [], registeredOn: date("1949-10-01")),
        WorkstationEstablished(workstation: "workstation：文本 ✓", unit: "unit：文本 ✓", establishedOn: date("1949-10-01")),
        VolunteerTeamFormed(team: "team：文本 ✓", name: "name：文本 ✓", formedOn: date("1949-10-01")),
        VolunteerTeamJoined(team: "team：文本 ✓", cadre: "C000123", joinedOn: date("1949-10-01")),
        VolunteerServiceRecorded(team: "team：文本 ✓", participants: [], activity: "activity：文本 ✓", servedOn: date("1949-10-01"), hours: 0.1),
        StudioEstablished(studio: "studio：文本 ✓", name: "name：文本 ✓", lead: "C000123", establishedOn: date("1949-10-01")),
        LectureRecorded(lecture: "lecture：文本 ✓", speaker: "C000123", topic: "topic：文本 ✓", audience: -7, heldOn: date("1949-10-01")),
        Medal50Awarded(cadre: "C000123", awardedOn: date("1949-10-01"), standingYears: -7),
        PoliticalBirthdayRecorded(cadre: "C000123", organiser: "organiser：文本 ✓", heldOn: date("1949-10-01"), yearsSinceJoining: -7),
        HonourRecorded(recipient: .branch("B9"), title: .silverPioneer, level: .city, year: -1, awardedOn: date("2024-06-30")),
        OutflowRegistered(cadre: "C000123", fromBranch: "B0042", destination: "destination：文本 ✓", reason: "reason：文本 ✓", since: date("1949-10-01")),
        InflowAccepted(cadre: "C000123", fromBranch: "B0042", receivingOrganisation: "receivingOrganisation：文本 ✓", since: date("1949-10-01"), acceptedOn: date("1949-10-01")),
        MobileMemberReturned(cadre: "C000123", fromBranch: "B0042", since: date("1949-10-01"), returnedOn: date("1949-10-01")),
        MeetingRecorded(meeting: "meeting：文本 ✓", branch: "B0042", kind: .allCases.first!, topic: "topic：文本 ✓", heldOn: date("1949-10-01"), attendees: [], absentees: []),
        StudyDeliveredAtHome(meeting: "meeting：文本 ✓", branch: "B0042", cadre: "C000123", heldOn: date("1949-10-01"), deliveredOn: date("1949-10-01")),
        DemocraticEvaluationRecorded(branch: "B0042", cadre: "C000123", year: -7, rating: .allCases.first!, evaluatedOn: date("1949-10-01")),
        StudySessionRecorded(session: "session：文本 ✓", organiser: "organiser：文本 ✓", format: .allCases.first!, topic: "topic：文本 ✓", heldOn: date("1949-10-01"), hours: 0.1, attendees: []),
        QuizResultRecorded(cadre: "C000123", quiz: "quiz：文本 ✓", score: -7, takenOn: date("1949-10-01")),
]

@Suite("Binary forms: every domain event reads and writes the bytes of its Codable form")
struct BinaryFormTests {
    @Test func everyEventTypeHasSamples() {
        let sampled = Set(domainEventSamples.map { ObjectIdentifier(type(of: $0)) })
        let missing = DomainEvents.all.filter { !sampled.contains(ObjectIdentifier($0)) }.map { "\($0)" }
        #expect(missing.isEmpty, "no sample for \(missing)")
        #expect(DomainEvents.all.allSatisfy { $0 is any BinaryCodable.Type }, "every domain event has its binary form")
    }

    @Test func bothFormsGiveTheSameBytesAndReadBackTheSameValue() throws {
        func check<E: DomainEvent & BinaryCodable>(_ event: E) throws {
            let codable = try BinaryEncoder().encode(event)
            let fast = BinaryWriter.encode(event)
            #expect(fast == codable, "\(E.self): the written bytes differ")
            let back = try codable.withUnsafeBytes { try BinaryReader.decode(E.self, from: $0) }
            #expect(BinaryWriter.encode(back) == codable, "\(E.self): read back differently")
            // Through the store's registry, as a rebuild reads it.
            let decoded = try codable.withUnsafeBytes { try Ledger.eventTypes.decode(name: E.eventType, version: E.schemaVersion, payload: $0) }
            #expect((decoded as? E).map { BinaryWriter.encode($0) } == codable)
            // Every shorter prefix is an error for both readers.
            for length in 0..<codable.count {
                let prefix = Array(codable[0..<length])
                #expect(throws: (any Error).self) { try prefix.withUnsafeBytes { try BinaryReader.decode(E.self, from: $0) } }
                #expect(throws: (any Error).self) { try BinaryDecoder().decode(E.self, from: prefix) }
            }
        }
        for sample in domainEventSamples {
            guard let fast = sample as? any (DomainEvent & BinaryCodable) else {
                Issue.record("\(type(of: sample)) has no binary form")
                continue
            }
            try check(fast)
        }
    }

    @Test func damagedBytesGetTheSameAnswerFromBothReaders() throws {
        var random = SplitMix64(seed: 42)
        func check<E: DomainEvent & BinaryCodable>(_ event: E) throws {
            let valid = BinaryWriter.encode(event)
            for _ in 0..<200 {
                var bytes = valid
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                let fast = try? bytes.withUnsafeBytes { try BinaryReader.decode(E.self, from: $0) }
                let codable = try? BinaryDecoder().decode(E.self, from: bytes)
                #expect(fast.map { BinaryWriter.encode($0) } == codable.map { BinaryWriter.encode($0) }, "\(E.self): the readers disagree on \(bytes)")
            }
        }
        for sample in domainEventSamples {
            if let fast = sample as? any (DomainEvent & BinaryCodable) { try check(fast) }
        }
    }
}
