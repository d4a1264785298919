import Foundation
@testable import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

/// A rebuild of ``DomainState`` reads the most frequent events for only the
/// fields it keeps (``DomainReplay``); it must leave exactly the state that
/// folding whole events leaves, which is what the ledger does live.
@Suite("Domain replay: the rebuild's own reader gives the state of whole events")
struct DomainReplayTests {
    private static let types = Ledger.eventTypes

    private func recorded<E: DomainEvent & BinaryCodable>(_ event: E, payload: [UInt8]? = nil) -> RecordedEvent {
        RecordedEvent(position: 0, streamID: "s", streamVersion: 0, eventType: E.eventType, schemaVersion: E.schemaVersion, recordedAt: 0,
                      metadata: EventMetadata(businessDate: LedgerDate("2024-05-06")!, recordedBy: "op", commandID: "c"),
                      payload: payload ?? BinaryWriter.encode(event))
    }

    private func prepare(_ event: RecordedEvent, with preparer: inout DomainReplay) throws -> [DomainReplay.PreparedEvent] {
        try preparer.prepare(event, typeSlot: 3, decode: { try event.decoded(with: Self.types) })
        return preparer.take()
    }

    /// A state with cadres, branches, meetings awaiting study and visits.
    private func province() async throws -> (Ledger, DomainState) {
        var config = ProvinceGenerator.Configuration(cadres: 150, branches: 45, years: 2)
        config.seed = 11
        let end = config.endDate
        let ledger = try Ledger(store: EventStore.inMemory(types: Self.types), today: { end })
        _ = try await ProvinceGenerator(config).run(into: ledger)
        let state = await ledger.state
        #expect(state.cadres["C0000123"] != nil && state.branches["B00042"] != nil)
        return (ledger, state)
    }

    @Test func everyEventTypeFoldsAlikeBothWays() async throws {
        let (_, base) = try await province()
        // The samples register their own cadre and branch before the events that name them.
        var whole = base, prepared = base
        var preparer = DomainReplay(types: Self.types)
        func check<E: DomainEvent & BinaryCodable>(_ event: E) throws {
            let record = recorded(event)
            whole.apply(record, decoded: try record.decoded(with: Self.types))
            try preparer.prepare(record, typeSlot: Int(UInt(bitPattern: ObjectIdentifier(E.self).hashValue) % 64), decode: { try record.decoded(with: Self.types) })
            let taken = preparer.take()
            #expect(taken.count == 1)
            prepared.apply(prepared: taken)
            #expect(prepared == whole, "\(E.self)")
        }
        for sample in domainEventSamples {
            guard let sample = sample as? any (DomainEvent & BinaryCodable) else { continue }
            try check(sample)
        }
        #expect(whole != base)
        #expect(whole.eventsPerYear[2024]?["MeetingRecorded"] == base.eventsPerYear[2024, default: [:]]["MeetingRecorded", default: 0] + 2)
    }

    @Test func aMeetingMissedAndItsStudyDeliveredFoldAlike() async throws {
        let (_, base) = try await province()
        let meeting = MeetingRecorded(meeting: "meeting-B0042-2024-2-groupMeeting-extra", branch: "B00042", kind: .committeeMeeting, topic: "学习",
                                      heldOn: LedgerDate("2024-05-06")!, attendees: ["C0000001", "C0000002"],
                                      absentees: [MeetingAbsence(cadre: "C0000123", reason: "住院"), MeetingAbsence(cadre: "C0000124", reason: "外出")])
        let delivered = ["C0000123", "C0000124"].map {
            StudyDeliveredAtHome(meeting: meeting.meeting, branch: "B00042", cadre: CadreID($0), heldOn: meeting.heldOn, deliveredOn: LedgerDate("2024-05-08")!)
        }
        var whole = base, prepared = base
        var preparer = DomainReplay(types: Self.types)
        for record in [recorded(meeting)] + delivered.map({ recorded($0) }) {
            whole.apply(record, decoded: try record.decoded(with: Self.types))
            prepared.apply(prepared: try prepare(record, with: &preparer))
            #expect(prepared == whole)
            #expect(whole.organisationalLife.awaitingStudy != base.organisationalLife.awaitingStudy || record.eventType != "MeetingRecorded")
        }
        #expect(prepared.organisationalLife.awaitingStudy[MeetingID(meeting.meeting)] == nil)
    }

    @Test func damagedPayloadsAreRefusedExactlyWhenWholeDecodingRefusesThem() async throws {
        let (_, base) = try await province()
        var random = SplitMix64(seed: 5)
        var refused = 0, accepted = 0
        func check<E: DomainEvent & BinaryCodable>(_ event: E) throws {
            let valid = BinaryWriter.encode(event)
            for _ in 0..<300 {
                var bytes = valid
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                if Int.random(in: 0..<5, using: &random) == 0 { bytes.removeLast(Int.random(in: 1...3, using: &random)) }
                let record = recorded(event, payload: bytes)
                var preparer = DomainReplay(types: Self.types)
                let whole = try? record.decoded(with: Self.types)
                let prepared = try? prepare(record, with: &preparer)
                #expect((whole == nil) == (prepared == nil), "\(E.self): \(bytes)")
                #expect(prepared == nil || prepared?.count == 1)
                #expect(preparer.take().isEmpty, "nothing kept of a refused event")
                guard let whole, let prepared else {
                    refused += 1
                    continue
                }
                accepted += 1
                var a = base, b = base
                a.apply(record, decoded: whole)
                b.apply(prepared: prepared)
                #expect(a == b, "\(E.self): \(bytes)")
            }
        }
        try check(MeetingRecorded(meeting: "meeting-B0042-2024-2-committeeMeeting", branch: "B00042", kind: .themeDay, topic: "主题党日：学习",
                                  heldOn: LedgerDate("2024-05-06")!, attendees: ["C0000001", "C0000002", "C0000003"],
                                  absentees: [MeetingAbsence(cadre: "C0000123", reason: "住院")]))
        try check(StudyDeliveredAtHome(meeting: "meeting-B0042-2024-2-committeeMeeting", branch: "B00042", cadre: "C0000123",
                                       heldOn: LedgerDate("2024-05-06")!, deliveredOn: LedgerDate("2024-05-09")!))
        try check(VisitLogged(visit: "visit-1", cadre: "C0000123", kind: .birthday, channel: .phone, visitors: ["王", "李"], notes: "身体好",
                              needs: [FoundNeed(id: "visit-1-1", kind: .medical, description: "复诊")], visitedOn: LedgerDate("2024-05-06")!))
        try check(StudySessionRecorded(session: "s-1", organiser: "局", format: .allCases.last!, topic: "二十大精神", heldOn: LedgerDate("2024-05-06")!,
                                       hours: 2.5, attendees: ["C0000123", "C0000124"]))
        #expect(refused > 100 && accepted > 100, "refused \(refused), accepted \(accepted)")
    }

    @Test func anOldVersionUpcastIsDecodedWholeNotReadInPlace() throws {
        // The store reads VisitLogged version 0 through an upcaster: the
        // in-place reader (of the current shape) must not be used for it.
        var types = Self.types
        types.register(VisitLoggedV0.self, as: VisitLogged.eventType, version: 0) { old in
            VisitLogged(visit: old.visit, cadre: old.cadre, kind: .festival, channel: .inPerson, visitors: [], notes: "", needs: [], visitedOn: old.on)
        }
        let old = VisitLoggedV0(visit: "v-0", cadre: "C0000001", on: LedgerDate("2020-01-02")!)
        let record = RecordedEvent(position: 0, streamID: "s", streamVersion: 0, eventType: VisitLogged.eventType, schemaVersion: 0, recordedAt: 0,
                                   metadata: EventMetadata(businessDate: LedgerDate("2020-01-02")!, recordedBy: "op", commandID: "c"),
                                   payload: try BinaryEncoder().encode(old))
        var preparer = DomainReplay(types: types)
        var state = DomainState()
        state.cadres["C0000001"] = CadreRecord(id: "C0000001", name: "甲", category: .lixiu, birthDate: LedgerDate("1930-01-01")!, formerLevel: .allCases[0],
                                              formerUnit: "u", retiredOn: LedgerDate("1990-01-01")!, residence: "r", registeredOn: LedgerDate("2019-01-01")!)
        try preparer.prepare(record, typeSlot: 0, decode: { try record.decoded(with: types) })
        state.apply(prepared: preparer.take())
        #expect(state.cadres["C0000001"]?.lastVisitedOn == LedgerDate("2020-01-02"))
        #expect(state.eventsPerYear[2020]?["VisitLogged"] == 1)
    }

    @Test func aRebuildOfAStoreOnDiskEqualsTheLedgersStateAndFoldingWholeEvents() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-tests-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = ProvinceGenerator.Configuration(cadres: 300, branches: 30, years: 2)
        config.seed = 3
        let end = config.endDate
        let ledger = try Ledger(store: EventStore.open(at: directory, types: Self.types), today: { end })
        _ = try await ProvinceGenerator(config).run(into: ledger)
        let store = ledger.store
        #expect(store.nextPosition > 4_096, "large enough to be read on a second thread")
        let live = await ledger.state
        #expect(try store.project(DomainState.self, usingSnapshot: false).projection == live)
        for cut in [0, 1, 999, 4_097, store.nextPosition / 2] as [UInt64] {
            var whole = DomainState()
            try store.forEachEvent(until: cut) { whole.apply($0, decoded: try $0.decoded(with: Self.types)) }
            #expect(try store.project(DomainState.self, asOf: .position(cut), usingSnapshot: false).projection == whole, "as of \(cut)")
        }
        try store.close()
    }
}

/// The shape of `VisitLogged` before version 1 (for the upcasting test).
private struct VisitLoggedV0: Codable, Sendable {
    var visit: String
    var cadre: CadreID
    var on: LedgerDate
}
