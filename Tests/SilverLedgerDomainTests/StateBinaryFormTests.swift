import Foundation
@testable import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

/// The register's records have a binary form of their own, which snapshots
/// are read with (`BinaryDecoder(usesOwnBinaryForms: true)`): it must give
/// the bytes `Codable` gives, so that snapshots written before it read alike.
@Suite("The state's own binary forms: the bytes of Codable, for snapshots")
struct StateBinaryFormTests {
    /// A record with nothing optional set, and one with every field set.
    private var records: [CadreRecord] {
        let plain = CadreRecord(id: "C0000007", name: "甲", category: .lixiu, birthDate: date("1930-01-01"), formerLevel: .allCases[0],
                                formerUnit: "省发展和改革委员会", retiredOn: date("1990-01-01"), residence: "和平路1号", registeredOn: date("2019-01-01"))
        var full = plain
        full.id = "C0000123"
        full.category = .allCases.last!
        full.formerLevel = .allCases.last!
        full.membership = .init(joinedOn: date("1950-02-28"), fullMemberOn: date("1951-02-28"))
        full.diedOn = date("2025-03-01")
        full.medal50AwardedOn = date("2024-07-01")
        full.lastVisitedOn = date("2024-02-29")
        full.branchStints = [.init(branch: "B0001", from: date("2019-01-01"), until: date("2020-06-30")),
                             .init(branch: "B0042", from: date("2020-06-30"), until: nil)]
        full.relocated = true
        full.relocationArea = "海南省三亚市"
        full.frail = true
        full.limitedMobility = true
        full.residenceChangedOn = date("2021-01-01")
        full.relocationMarkedOn = date("2021-01-02")
        full.healthChangedOn = date("2021-01-03")
        full.honourablyRetiredOn = date("2019-05-01")
        full.carePlan = .init(contact: "王干事", createdOn: date("2022-01-01"))
        full.lastPoliticalBirthdayOn = date("2023-07-01")
        full.honours = [HonourKey(title: .advancedIndividual, level: .allCases.last!, year: 2021),
                        HonourKey(title: .silverPioneer, level: .allCases.first!, year: 2023),
                        HonourKey(title: .advancedIndividual, level: .allCases.first!, year: 2024)]
        return [plain, full]
    }

    @Test func aRecordGivesTheSameBytesBothWaysAndReadsBackWhole() throws {
        for record in records { try checkBothForms(record) }
        // Its set of honours, alone: the codec's form of a set.
        try checkBothForms(records[1].honours)
        try checkBothForms(Set<HonourKey>())
    }

    /// The bytes of `value` through `Codable` and through its own form agree,
    /// read back equal every way, and every truncation is refused.
    private func checkBothForms<T: BinaryCodable & Equatable>(_ value: T) throws {
        let codable = try BinaryEncoder().encode(value)
        #expect(BinaryWriter.encode(value) == codable, "\(T.self): the written bytes differ")
        #expect(try codable.withUnsafeBytes { try BinaryReader.decode(T.self, from: $0) } == value)
        #expect(try BinaryDecoder().decode(T.self, from: codable) == value)
        #expect(try BinaryDecoder(usesOwnBinaryForms: true).decode(T.self, from: codable) == value)
        // Every shorter prefix is an error, whichever way it is read.
        for length in 0..<codable.count {
            let prefix = Array(codable[0..<length])
            #expect(throws: (any Error).self) { try BinaryDecoder().decode(T.self, from: prefix) }
            #expect(throws: (any Error).self) { try BinaryDecoder(usesOwnBinaryForms: true).decode(T.self, from: prefix) }
        }
    }

    @Test func organisationalLifeAndStudyGiveTheSameBytesBothWays() throws {
        var counts = OrganisationalLifeState.MonthCounts()
        counts.generalMeetings = 3
        counts.committeeMeetings = 300
        counts.groupMeetings = 1
        counts.partyLectures = 2
        counts.themeDays = 65_535
        counts.organisationalLifeMeetings = 4
        counts.attendances = 100_000
        counts.absences = 7
        try checkBothForms(counts)
        try checkBothForms(OrganisationalLifeState.MonthCounts())
        try checkBothForms(OrganisationalLifeState.MonthlyMeetings(firstMonth: 2024 * 12 + 1, months: [counts, .init(), counts]))
        try checkBothForms(OrganisationalLifeState.AwaitingStudy(branch: "B00042", heldOn: date("2024-02-29"), absentees: ["C0000001", "C0000123"]))
        try checkBothForms(OrganisationalLifeState.AwaitingStudy(branch: "B00042", heldOn: date("2024-02-29"), absentees: []))
        try checkBothForms(MeetingID("B00042-2024-3-committeeMeeting"))
        try checkBothForms(StudyState.YearHours(year: 2024, hours: 7.5))
        try checkBothForms(StudyState.ScoreSum(total: 455, count: 5))
        // In the dictionaries the state keeps them in, alone (the codec's form
        // of a dictionary: its keys sorted by their bytes) and in the state.
        var life = OrganisationalLifeState()
        life.awaitingStudy = ["M-1": .init(branch: "B1", heldOn: date("2024-01-05"), absentees: ["C1"]), "M-2": .init(branch: "B2", heldOn: date("2024-02-05"), absentees: ["C2", "C3"])]
        life.meetingsByMonth = ["B1": .init(firstMonth: 24_288, months: [counts])]
        life.evaluations = ["C1": [2023: date("2023-12-01"), 2024: date("2024-12-02"), -1: date("2020-01-01"), 300: date("2021-01-01")], "C2": [:]]
        try checkBothForms(life.awaitingStudy)
        try checkBothForms(life.meetingsByMonth)
        try checkBothForms(life.evaluations)
        try checkBothForms([Int: LedgerDate]())
        try checkBothForms(Dictionary(uniqueKeysWithValues: (0..<200).map { ("k\($0 * 7919 % 1000)", $0) }))
        try checkBothForms(life)
        try checkBothForms(OrganisationalLifeState())
        var study = StudyState()
        study.hours = ["C1": [.init(year: 2023, hours: 4), .init(year: 2024, hours: 8.25)], "C2": []]
        study.quizByCadre = ["C1": .init(total: 90, count: 1), "C3": .init(total: 170, count: 2)]
        study.quizByYear = [2024: .init(total: 90, count: 1), 2023: .init(total: 170, count: 2)]
        try checkBothForms(study)
        try checkBothForms(StudyState())
    }

    @Test func aDictionaryWithAKeyTwiceIsRefusedBothWays() throws {
        // Count 2, then key 1 → value 10 and key 1 → value 11 (Int keys and values: zigzag varints).
        let bytes: [UInt8] = [2, 2, 20, 2, 22]
        for decoder in [BinaryDecoder(), BinaryDecoder(usesOwnBinaryForms: true)] {
            #expect(throws: DecodingError.self) { try decoder.decode([Int: Int].self, from: bytes) }
        }
        #expect(throws: DecodingError.self) { try bytes.withUnsafeBytes { try BinaryReader.decode([Int: Int].self, from: $0) } }
        // The same bytes with distinct keys read back.
        #expect(try BinaryDecoder(usesOwnBinaryForms: true).decode([Int: Int].self, from: [2, 2, 20, 4, 22]) == [1: 10, 2: 11])
    }

    @Test func damagedBytesGetTheSameAnswerBothWays() throws {
        var random = SplitMix64(seed: 7)
        for record in records {
            let valid = try BinaryEncoder().encode(record)
            for _ in 0..<300 {
                var bytes = valid
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                let codable = try? BinaryDecoder().decode(CadreRecord.self, from: bytes)
                let own = try? BinaryDecoder(usesOwnBinaryForms: true).decode(CadreRecord.self, from: bytes)
                #expect(codable == own, "the readers disagree on \(bytes)")
            }
        }
    }

    /// A generated province's state, written as a snapshot writes it, reads
    /// back equal both ways; and through a store, a projection from its
    /// snapshot equals the one replayed from the log.
    @Test func aGeneratedStateReadsBackAlikeBothWays() async throws {
        var config = ProvinceGenerator.Configuration(cadres: 150, branches: 45, years: 2)
        config.seed = 5
        let end = config.endDate
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-stateform-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try EventStore.open(at: dir, types: Ledger.eventTypes)
        let ledger = try Ledger(store: store, today: { end })
        _ = try await ProvinceGenerator(config).run(into: ledger)
        let state = await ledger.state
        #expect(state.cadres.count == 150)
        #expect(state.cadres.values.contains { $0.membership != nil && $0.lastVisitedOn != nil && !$0.branchStints.isEmpty })
        let bytes = try BinaryEncoder().encode(state)
        // Written through the own forms (as snapshots are), whole or in pieces: the same bytes.
        let own = BinaryEncoder(usesOwnBinaryForms: true)
        #expect(try own.encode(state) == bytes)
        let measure = try own.measure(state, pieceSize: 4_096)
        var pieces: [[UInt8]] = []
        try own.encode(state, as: measure, pieceSize: 4_096) { pieces.append(Array($0)) }
        let same = pieces.flatMap { $0 } == bytes   // not inside #expect, which would print both
        #expect(same && pieces.count > bytes.count / 8_192, "\(pieces.count) pieces of \(bytes.count) bytes")
        #expect(try BinaryDecoder().decode(DomainState.self, from: bytes) == state)
        #expect(try BinaryDecoder(usesOwnBinaryForms: true).decode(DomainState.self, from: bytes) == state)

        let replayed = try store.project(DomainState.self, usingSnapshot: false)
        try store.saveSnapshot(replayed)
        let fromSnapshot = try store.project(DomainState.self)
        #expect(fromSnapshot.usedSnapshot)
        #expect(fromSnapshot.projection == state)
        #expect(try store.project(DomainState.self, usingSnapshot: false).projection == state)

        // The same value saved in pieces (measured, then encoded straight to
        // the file) is the same file, and reads back the same state.
        let file = dir + "/snapshots/" + SnapshotFormat.fileName(DomainState.self)
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
        try FileManager.default.removeItem(atPath: file)
        try store.saveSnapshot(replayed, wholeStateLimit: 1_000)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: file))) == whole)
        let fromPieces = try store.project(DomainState.self)
        #expect(fromPieces.usedSnapshot && fromPieces.projection == state)
        try store.close()

        // In an encrypted store, the pieces are sealed in chunks as they come.
        let sealedDir = dir + "-sealed"
        defer { try? FileManager.default.removeItem(atPath: sealedDir) }
        var options = EventStoreOptions()
        options.encryptionKey = try EncryptionKey(bytes: Array(repeating: 9, count: 32))
        let sealed = try EventStore.open(at: sealedDir, types: Ledger.eventTypes, options: options)
        let sealedLedger = try Ledger(store: sealed, today: { end })
        _ = try await ProvinceGenerator(config).run(into: sealedLedger)
        #expect(await sealedLedger.state == state)
        try sealed.saveSnapshot(try sealed.project(DomainState.self, usingSnapshot: false), wholeStateLimit: 1_000)
        let sealedBytes = try Array(Data(contentsOf: URL(fileURLWithPath: sealedDir + "/snapshots/" + SnapshotFormat.fileName(DomainState.self))))
        #expect(sealedBytes.count > whole.count && !sealedBytes.starts(with: SnapshotFormat.magic))
        let fromSealed = try sealed.project(DomainState.self)
        #expect(fromSealed.usedSnapshot && fromSealed.projection == state)
        try sealed.close()
    }
}
