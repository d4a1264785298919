import Foundation
import SilverLedgerStorage
import Testing

@testable import SilverLedger

/// Sums `Counted` and lists `Noted` like `SumOfCounted`, but reads each event
/// through a preparer; `Counted` values of 13 are refused by the preparer.
struct PreparedSum: PreparedProjection, Codable, Equatable {
    static let name = "prepared-sum"
    var sum = 0
    var notes: [String] = []
    var unknown = 0

    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if let c = decoded as? Counted { sum += c.n }
        if let n = decoded as? Noted { notes.append(n.text) }
        if decoded == nil { unknown += 1 }
    }

    mutating func apply(prepared: [Preparer.Read]) {
        for read in prepared {
            switch read {
            case .counted(let n): sum += n
            case .noted(let text): notes.append(text)
            case .unknown: unknown += 1
            }
        }
    }

    struct Preparer: EventPreparer {
        enum Read: Sendable { case counted(Int), noted(String), unknown }
        /// The type name seen in each slot, to check that slots are stable.
        var names: [Int: String] = [:]
        var read: [Read] = []

        init(types: EventTypes) {}

        mutating func prepare(_ event: RecordedEvent, typeSlot: Int, decode: () throws -> (any Event)?) throws {
            precondition(typeSlot >= 0 && typeSlot < 64)
            if let seen = names[typeSlot] { precondition(seen == event.eventType, "slot \(typeSlot) changed name") }
            names[typeSlot] = event.eventType
            switch try decode() {
            case let c as Counted:
                if c.n == 13 { throw PreparerRefusal(n: c.n) }
                read.append(.counted(c.n))
            case let n as Noted: read.append(.noted(n.text))
            default: read.append(.unknown)
            }
        }

        mutating func take() -> [Read] {
            defer { read = [] }
            return read
        }
    }

    struct PreparerRefusal: Error, CustomStringConvertible {
        var n: Int
        var description: String { "the preparer refuses \(n)" }
    }
}

@Suite("Prepared projections: a rebuild through the projection's own reader")
struct PreparedProjectionTests {
    /// `count` events: `Counted(i)` for i not divisible by 3, else `Noted("n<i>")`, in appends of 100.
    private func fill(_ store: EventStore, from start: Int = 0, count: Int, skipping: Set<Int> = [13]) async throws {
        var i = start
        while i < start + count {
            var events: [any Event] = []
            for j in i..<min(i + 100, start + count) {
                if j % 3 == 0 {
                    events.append(Noted(text: "n\(j)"))
                } else {
                    events.append(Counted(n: skipping.contains(j) ? j + 1 : j))
                }
            }
            try await store.append(events, to: "s-\(i / 100 % 7)", metadata: meta("c\(i)"))
            i += events.count
        }
    }

    @Test(arguments: [100, 9_000])   // below and above the size read on a second thread
    func aPreparedRebuildEqualsFoldingWholeEvents(count: Int) async throws {
        try await Backend.disk.withStore { store, _ in
            try await fill(store, count: count)
            for cut in [0, 1, 4_095, 4_096, 5_000, UInt64(count)] as [UInt64] where cut <= count {
                let prepared = try store.project(PreparedSum.self, asOf: .position(cut))
                var whole = PreparedSum()
                try store.forEachEvent(until: cut) { event in
                    whole.apply(event, decoded: try event.decoded(with: store.types))
                }
                #expect(prepared.projection == whole, "as of \(cut)")
                #expect(prepared.position == cut)
                #expect(prepared.eventsApplied == cut)
            }
            let all = try store.project(PreparedSum.self).projection
            #expect(all.notes.count == (0..<count).filter { $0 % 3 == 0 }.count)
            #expect(all.unknown == 0)
        }
    }

    @Test(arguments: [100, 9_000])
    func aPreparerErrorStopsTheRebuildNamingTheEvent(count: Int) async throws {
        try await Backend.disk.withStore { store, _ in
            try await fill(store, count: count, skipping: [])   // Counted(13) is at position 13
            let error = #expect(throws: EventStoreError.self) { try store.project(PreparedSum.self) }
            #expect(error?.code == .corruptedEvent)
            #expect(error?.message.contains("position 13") == true, "\(String(describing: error))")
            #expect(error?.message.contains("the preparer refuses 13") == true, "\(String(describing: error))")
            // Before it, the rebuild is whole.
            #expect(try store.project(PreparedSum.self, asOf: .position(13)).projection.sum == (1..<13).filter { $0 % 3 != 0 }.reduce(0, +))
        }
    }

    /// A long rebuild reads some runs on its second thread and some on the
    /// applying one (each run's reader depends on timing): a refusal anywhere
    /// stops it naming the event, and the rebuild up to it is whole; the
    /// reading thread is stopped (the next rebuild of the store runs).
    @Test(arguments: [13, 1_030, 3_000, 5_121, 8_999])
    func aRefusalInAnyRunOfALongRebuildStopsItNamingTheEvent(at bad: Int) async throws {
        try await Backend.disk.withStore { store, _ in
            let count = 9_000
            for start in stride(from: 0, to: count, by: 500) {
                var events: [any Event] = []
                for i in start..<(start + 500) {
                    if i == bad {
                        events.append(Counted(n: 13))   // refused
                    } else if i % 3 == 0 {
                        events.append(Noted(text: "n\(i)"))
                    } else {
                        events.append(Counted(n: i == 13 ? 14 : i))
                    }
                }
                try await store.append(events, to: "s-\(start / 500 % 5)", metadata: meta("c\(start)"))
            }
            for _ in 0..<3 {
                let error = #expect(throws: EventStoreError.self) { try store.project(PreparedSum.self) }
                #expect(error?.code == .corruptedEvent)
                #expect(error?.message.contains("position \(bad) ") == true, "\(String(describing: error))")
            }
            let before = try store.project(PreparedSum.self, asOf: .position(UInt64(bad)))
            var whole = PreparedSum()
            try store.forEachEvent(until: UInt64(bad)) { whole.apply($0, decoded: try $0.decoded(with: store.types)) }
            #expect(before.projection == whole && before.eventsApplied == UInt64(bad))
        }
    }

    @Test func unregisteredTypesReachThePreparerAsNil() async throws {
        try await Backend.disk.withStore { store, directory in
            try await store.append([Counted(n: 1), Noted(text: "a")], to: "s", metadata: meta("c1"))
            try store.close()
            // Written by a service that knows one more type than the reader.
            var types = testTypes()
            types.register(Unregistered.self)
            let writer = try EventStore.open(at: directory!, types: types)
            try await writer.append([Unregistered(x: 5)], to: "s", metadata: meta("c2"))
            try writer.close()
            let reader = try EventStore.open(at: directory!, types: testTypes())
            defer { try? reader.close() }
            #expect(try reader.project(PreparedSum.self).projection == PreparedSum(sum: 1, notes: ["a"], unknown: 1))
        }
    }

    @Test func aPreparedProjectionSnapshotsLikeAnyOther() async throws {
        try await Backend.disk.withStore { store, _ in
            try await fill(store, count: 600)
            try store.saveSnapshot(try store.project(PreparedSum.self, asOf: .position(300)))
            try await fill(store, from: 600, count: 200)
            let resumed = try store.project(PreparedSum.self)
            #expect(resumed.usedSnapshot)
            #expect(resumed.eventsApplied == 500)
            #expect(resumed.projection == (try store.project(PreparedSum.self, usingSnapshot: false).projection))
        }
    }

    @Test func utf8IsCheckedWithoutMakingStrings() {
        var random = SplitMix64(seed: 7)
        let pieces: [[UInt8]] = [[0x41], [0xC3, 0xA9], [0xE6, 0x96, 0x87], [0xF0, 0x9F, 0x98, 0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80],
                                 [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF], [0x80], [0xFF], [0xE6, 0x96], [0xF5]]
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                if Int.random(in: 0..<4, using: &random) == 0 {
                    bytes.append(UInt8.random(in: 0...255, using: &random))
                } else {
                    bytes += pieces[Int.random(in: 0..<pieces.count, using: &random)]
                }
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBytes { $0.isValidUTF8 } == expected, "\(bytes)")
        }
    }

    enum Colour: String, CaseIterable, Sendable { case red, green, blueGreenAndLongerThanFifteen }

    @Test func rawValuesAreMatchedAsBytes() throws {
        let table = RawValueTable(Colour.self)
        for colour in Colour.allCases {
            var writer = BinaryWriter()
            writer.string(colour.rawValue)
            var reader = BinaryReader(UnsafeRawBufferPointer(start: nil, count: 0))
            writer.bytes.withUnsafeBytes { bytes in
                reader = BinaryReader(bytes)
                #expect((try? reader.rawValue(in: table)) == colour)
                #expect(reader.offset == bytes.count)
            }
        }
        // Near misses: the same length and first eight bytes with another tail,
        // a prefix, the same bytes with a NUL after them, nothing at all.
        for miss in ["blueGreenAndLongerThanFifteeN", "blueGree", "blueGreenAndLongerThanFifteen!", "red\0", "re", "", "Red"] {
            let matched = Array(miss.utf8).withUnsafeBytes { table.match($0) }
            #expect(matched == nil, "\(miss)")
        }
        var writer = BinaryWriter()
        writer.string("rouge")
        let error = writer.bytes.withUnsafeBytes { bytes in
            var reader = BinaryReader(bytes)
            return #expect(throws: DecodingError.self) { try reader.rawValue(in: table) }
        }
        #expect("\(String(describing: error))".contains("\"rouge\" is not a Colour"))
        let invalid: [UInt8] = [2, 0xC3, 0x28]
        invalid.withUnsafeBytes { bytes in
            var reader = BinaryReader(bytes)
            #expect(throws: DecodingError.self) { try reader.stringBytes() }
        }
    }
}

/// An event the test store does not register.
private struct Unregistered: Event {
    static let eventType = "Unregistered"
    var x: Int
}
