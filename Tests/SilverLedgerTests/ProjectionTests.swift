import Foundation
@_spi(Internals) import SilverLedgerStorage
import Testing

@testable import SilverLedger

struct CountByType: Projection, Codable, Equatable {
    static let name = "count-by-type"
    static let decodesPayloads = false
    var counts: [String: Int] = [:]
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) { counts[event.eventType, default: 0] += 1 }
}

struct SumOfCounted: Projection, Codable, Equatable {
    static let name = "sum"
    var sum = 0
    var notes: [String] = []
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if let c = decoded as? Counted { sum += c.n }
        if let n = decoded as? Noted { notes.append(n.text) }
    }
}

/// The same name as `SumOfCounted` with another schema version: its snapshots must not be used for it.
struct SumOfCountedV2: Projection, Codable, Equatable {
    static let name = "sum"
    static let schemaVersion = 2
    var sum = 0
    var notes: [String] = []
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if let c = decoded as? Counted { sum += c.n }
    }
}

/// A projection whose state encodes one more number each time it is encoded.
struct Unsteady: Projection, Codable {
    static let name = "unsteady"
    static let decodesPayloads = false
    private final class Calls: Sendable {
        let count = Locked(0)
    }
    private let calls = Calls()
    init() {}
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        while !container.isAtEnd { _ = try container.decode(Int.self) }
    }
    func encode(to encoder: any Encoder) throws {
        let n = calls.count.withLock { $0 += 1; return $0 }
        var container = encoder.unkeyedContainer()
        for i in 0..<(20 + n) { try container.encode(i) }
    }
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {}
}

/// A clock that ticks 1 second per reading, from 2024-01-01.
final class TickingClock: Sendable {
    let now = Locked<Int64>(1_704_067_200_000_000)
    func read() -> Int64 { now.withLock { $0 += 1_000_000; return $0 } }
}

private func fill(_ store: EventStore, from: Int, count: Int) async throws {
    for i in from..<(from + count) {
        if i % 3 == 0 {
            try await store.append([Noted(text: "n\(i)")], to: "s-\(i % 5)", metadata: meta("c\(i)"))
        } else {
            try await store.append([Counted(n: i)], to: "s-\(i % 5)", metadata: meta("c\(i)"))
        }
    }
}

@Suite("Projections: rebuild, as of, snapshots")
struct ProjectionTests {
    @Test(arguments: Backend.allCases)
    func aProjectionRebuildsFromTheLogAndAsOfAnyPosition(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await fill(store, from: 0, count: 60)
            let now = try store.project(CountByType.self)
            #expect(now.projection.counts == ["Noted": 20, "Counted": 40])
            #expect(now.position == 60)
            let sum = try store.project(SumOfCounted.self).projection
            #expect(sum.sum == (0..<60).filter { $0 % 3 != 0 }.reduce(0, +))
            #expect(sum.notes.count == 20)
            for cut in [0, 1, 7, 30, 59, 60, 100] as [UInt64] {
                let past = try store.project(SumOfCounted.self, asOf: .position(cut)).projection
                let expected = (0..<Int(min(cut, 60))).filter { $0 % 3 != 0 }.reduce(0, +)
                #expect(past.sum == expected, "as of position \(cut)")
                #expect(past.notes.count == (0..<Int(min(cut, 60))).filter { $0 % 3 == 0 }.count)
            }
        }
    }

    @Test func asOfATimeIncludesWhatWasRecordedByThen() async throws {
        let clock = TickingClock()
        var options = EventStoreOptions()
        options.clock = { clock.read() }
        let store = EventStore.inMemory(types: testTypes(), options: options)
        try await fill(store, from: 0, count: 10)
        let times = try store.readStream("s-0").map(\.recordedAt) + store.readStream("s-1").map(\.recordedAt)
        #expect(Set(times).count == times.count, "each append got its own second")
        var all: [RecordedEvent] = []
        try store.forEachEvent { all.append($0) }
        for event in all {
            let upTo = try store.project(CountByType.self, asOf: .recordedAt(event.recordedAt))
            #expect(upTo.position == event.position + 1)
            let before = try store.project(CountByType.self, asOf: .recordedAt(event.recordedAt - 1))
            #expect(before.position == event.position)
        }
    }

    @Test(arguments: Backend.allCases)
    func aSnapshotMeansOnlyTheTailIsReplayed(_ backend: Backend) async throws {
        try await backend.withStore { store, dir in
            try await fill(store, from: 0, count: 50)
            try store.saveSnapshot(store.project(SumOfCounted.self, usingSnapshot: false))
            try await fill(store, from: 50, count: 20)
            let fast = try store.project(SumOfCounted.self)
            let full = try store.project(SumOfCounted.self, usingSnapshot: false)
            #expect(fast.usedSnapshot)
            #expect(fast.eventsApplied == 20)
            #expect(!full.usedSnapshot)
            #expect(full.eventsApplied == 70)
            #expect(fast.projection == full.projection)
            #expect(fast.position == 70)
            // As of a point before the snapshot: the snapshot is not used, the state is right.
            let early = try store.project(SumOfCounted.self, asOf: .position(10))
            #expect(!early.usedSnapshot)
            #expect(early.projection == (try store.project(SumOfCounted.self, asOf: .position(10), usingSnapshot: false)).projection)

            guard let dir else { return }
            // The snapshot survives reopening.
            try store.close()
            let reopened = try EventStore.open(at: dir, types: testTypes())
            let again = try reopened.project(SumOfCounted.self)
            #expect(again.usedSnapshot && again.eventsApplied == 20 && again.projection == full.projection)
            try reopened.close()
        }
    }

    @Test func aDamagedOrMismatchedSnapshotIsIgnoredAndTheStateRebuilt() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try EventStore.open(at: dir, types: testTypes())
        try await fill(store, from: 0, count: 30)
        try store.saveSnapshot(store.project(SumOfCounted.self))
        let truth = try store.project(SumOfCounted.self, usingSnapshot: false).projection
        let path = dir + "/snapshots/sum.snap"
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))

        // Another schema version of the same projection does not take it.
        let v2 = try store.project(SumOfCountedV2.self)
        #expect(!v2.usedSnapshot)
        #expect(v2.projection.sum == truth.sum)

        // A flipped byte anywhere: ignored, rebuilt, right.
        for offset in [0, 9, 41, 50, pristine.count / 2, pristine.count - 1] {
            var damaged = pristine
            damaged[offset] ^= 0x20
            try damaged.write(to: URL(fileURLWithPath: path))
            let rebuilt = try store.project(SumOfCounted.self)
            #expect(!rebuilt.usedSnapshot, "damage at \(offset)")
            #expect(rebuilt.projection == truth)
        }
        // Truncated.
        try pristine.prefix(20).write(to: URL(fileURLWithPath: path))
        #expect(try store.project(SumOfCounted.self).usedSnapshot == false)
        try pristine.write(to: URL(fileURLWithPath: path))
        #expect(try store.project(SumOfCounted.self).usedSnapshot)
        try store.close()
    }

    /// A state too large to hold whole is measured, then encoded again
    /// straight to the file: if the second pass does not give what the first
    /// measured, nothing replaces the snapshot there was.
    @Test func aStateThatDoesNotEncodeAsMeasuredReplacesNoSnapshot() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try EventStore.open(at: dir, types: testTypes())
        try await fill(store, from: 0, count: 12)
        let projected = try store.project(Unsteady.self)
        try store.saveSnapshot(projected)   // held whole: one pass, saved
        let path = dir + "/snapshots/unsteady.snap"
        let saved = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            try store.saveSnapshot(projected, wholeStateLimit: 8)
            Issue.record("a state that encoded differently the second time was saved")
        } catch let error as EventStoreError {
            #expect(error.message.contains("did not encode again as it did when measured; nothing was saved"), "\(error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == saved)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots") == ["unsteady.snap"])
        let again = try store.project(Unsteady.self)
        #expect(again.usedSnapshot && again.position == 12)
        try store.close()
    }
}

@Suite("Projections: long replays")
struct LongReplayTests {
    /// More events than one parallel chunk, in appends of 1,000.
    private func fillLong(_ store: EventStore, count: Int) async throws {
        for b in 0..<(count / 1000) {
            let events: [any Event] = (0..<1000).map { i in
                let n = b * 1000 + i
                return n % 3 == 0 ? Noted(text: "n\(n)") : Counted(n: n)
            }
            try await store.append(events, to: "s-\(b % 7)", metadata: meta("c\(b)"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aLongReplayGivesTheSameStateAsOneEventAtATime(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let total = 30_000
            try await fillLong(store, count: total)
            let all = try store.project(SumOfCounted.self, usingSnapshot: false)
            #expect(all.eventsApplied == UInt64(total))
            #expect(all.position == UInt64(total))
            #expect(all.projection.sum == (0..<total).filter { $0 % 3 != 0 }.reduce(0, +))
            #expect(all.projection.notes.count == (0..<total).filter { $0 % 3 == 0 }.count)
            #expect(all.projection.notes.prefix(3) == ["n0", "n3", "n6"])
            #expect(all.projection.notes.last == "n\((total - 1) / 3 * 3)")
            // As of a position inside a batch.
            let cut = UInt64(8192 + 123)
            let before = try store.project(SumOfCounted.self, asOf: .position(cut), usingSnapshot: false)
            #expect(before.position == cut)
            #expect(before.projection.sum == (0..<Int(cut)).filter { $0 % 3 != 0 }.reduce(0, +))
            let counts = try store.project(CountByType.self, usingSnapshot: false)
            #expect(counts.projection.counts["Noted", default: 0] + counts.projection.counts["Counted", default: 0] == total)
        }
    }

    @Test func anUndecodableEventStopsALongReplayNamingItsPosition() async throws {
        let store = EventStore.inMemory(types: testTypes())
        try await fillLong(store, count: 10_000)
        // A record that is not an envelope, written straight to the log.
        let done = Locked(false)
        try store.log.submit(LogBatch([[0x07, 0x01]])) { _ in done.withLock { $0 = true } }
        #expect(done.withLock { $0 })
        try await fillLong(store, count: 10_000)
        let error = #expect(throws: EventStoreError.self) { try store.project(SumOfCounted.self, usingSnapshot: false) }
        #expect(error?.code == .corruptedEvent)
        #expect(error?.message.hasPrefix("the event at position 10000 could not be decoded: envelope field envelopeVersion") == true)
        // Up to it, as of a position before it, the replay is fine.
        #expect(try store.project(SumOfCounted.self, asOf: .position(10_000), usingSnapshot: false).position == 10_000)
    }
}
