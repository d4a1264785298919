import Foundation
import Synchronization
import Testing

@testable import SilverLedger

/// The concurrency campaign: many tasks append with expected versions to a
/// few streams, while readers follow the streams and a live subscription
/// follows the log. No event may be lost, duplicated or reordered. CI runs
/// 20,000 appends; `SILVERLEDGER_CONCURRENCY_APPENDS=1000000` (scripts/soak.sh)
/// runs the soak.
@Suite("Concurrency: racing appends with expected versions, readers and a live subscription", .timeLimit(.minutes(60)))
struct ConcurrencyCampaignTests {
    /// One acknowledged append: who wrote it, where it went.
    struct Acknowledged: Hashable {
        var writer: Int
        var sequence: Int
        var stream: Int
        var version: UInt64
        var position: UInt64
    }

    /// Suspends each of `count` tasks in ``arrive()`` until all of them have arrived.
    actor Barrier {
        private var waiting: [CheckedContinuation<Void, Never>] = []
        private let count: Int
        init(_ count: Int) { self.count = count }

        func arrive() async {
            if waiting.count + 1 == count {
                for w in waiting { w.resume() }
                waiting.removeAll()
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    /// Set when the writers are done.
    final class Flag: Sendable { let value = Atomic<Bool>(false) }

    static let streams = 4
    static let writers = 16
    static let readers = 3

    @Test func noEventIsLostDuplicatedOrReordered() async throws {
        let total = ProcessInfo.processInfo.environment["SILVERLEDGER_CONCURRENCY_APPENDS"].flatMap(Int.init) ?? 20_000
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-concurrency-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none   // the subject is ordering, not syncing: the crash campaign covers durability
        let store = try EventStore.open(at: dir, types: testTypes(), options: options)

        // The subscription sees every position once, in order, with the event acknowledged there.
        let subscription = Task { () -> [UInt64: Int] in
            var payloads: [UInt64: Int] = [:]
            var expected: UInt64 = 0
            for try await event in store.subscribe(from: 0) {
                #expect(event.position == expected, "subscription: position \(event.position) after \(expected - 1)")
                expected = event.position + 1
                if let counted = try event.decoded(as: Counted.self, with: store.types) { payloads[event.position] = counted.n }
                if payloads.count == total { break }
            }
            return payloads
        }

        let done = Flag()
        // Readers follow each stream from where they were: versions contiguous, positions rising.
        let readers = (0..<Self.readers).map { reader in
            Task { () -> Int in
                var next = [UInt64](repeating: 0, count: Self.streams)
                var lastPosition = [UInt64?](repeating: nil, count: Self.streams)
                var reads = 0
                var stream = reader % Self.streams
                while true {
                    let finished = done.value.load(ordering: .acquiring)
                    let events = try store.readStream("s\(stream)", from: next[stream])
                    for event in events {
                        #expect(event.streamVersion == next[stream], "reader \(reader): s\(stream) version \(event.streamVersion), expected \(next[stream])")
                        if let last = lastPosition[stream] { #expect(event.position > last) }
                        lastPosition[stream] = event.position
                        next[stream] = event.streamVersion + 1
                    }
                    reads += 1
                    stream = (stream + 1) % Self.streams
                    if finished { return reads }
                    // Reading is synchronous: without a pause the readers would hold
                    // every thread of the cooperative pool (two here) and starve the writers.
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
        }

        // Writers: each append expects the version it last saw; a refusal re-reads and retries.
        // The first append of every writer races for sure, whatever the scheduler does:
        // every writer reads its stream's version before any of them appends.
        let start = Barrier(Self.writers)
        let acknowledged = try await withThrowingTaskGroup(of: ([Acknowledged], Int).self) { group in
            for writer in 0..<Self.writers {
                let count = total / Self.writers + (writer < total % Self.writers ? 1 : 0)
                group.addTask {
                    var mine: [Acknowledged] = []
                    var refused = 0
                    var rng = SystemRandomNumberGenerator()
                    var firstRead: UInt64?? = .some(store.version(of: "s\(writer % Self.streams)"))
                    await start.arrive()
                    for sequence in 0..<count {
                        let stream = sequence == 0 ? writer % Self.streams : Int.random(in: 0..<Self.streams, using: &rng)
                        while true {
                            let seen: UInt64?
                            if let first = firstRead {
                                seen = first
                                firstRead = nil
                            } else {
                                seen = store.version(of: "s\(stream)")
                            }
                            let expected: ExpectedVersion = seen.map { .exact($0) } ?? .noStream
                            let result: AppendResult
                            do throws(EventStoreError) {
                                result = try await store.append([Counted(n: writer << 32 | sequence)], to: "s\(stream)", expectedVersion: expected,
                                                                metadata: meta("w\(writer)-\(sequence)"))
                            } catch {
                                // (Not `catch … where`: Swift 6.3 crashes on it over a typed throw.)
                                guard error.code == .wrongExpectedVersion else { throw error }
                                refused += 1   // another writer got there first
                                continue
                            }
                            let version = try #require(result.streamVersions["s\(stream)"])
                            #expect(version == seen.map { $0 + 1 } ?? 0)
                            mine.append(Acknowledged(writer: writer, sequence: sequence, stream: stream, version: version, position: result.positions.lowerBound))
                            break
                        }
                    }
                    return (mine, refused)
                }
            }
            var all: [Acknowledged] = []
            var refusals = 0
            for try await (mine, refused) in group {
                all += mine
                refusals += refused
            }
            // Racing writers must have met each other's versions: at least the first
            // appends, four writers to a stream expecting the same version.
            #expect(refusals >= Self.writers - Self.streams, "\(refusals) appends refused: the writers did not race")
            return all
        }
        done.value.store(true, ordering: .releasing)
        for reader in readers { #expect(try await reader.value > 0) }

        // Every append acknowledged once, at its own position; every version of every stream taken once.
        #expect(acknowledged.count == total)
        #expect(Set(acknowledged.map(\.position)) == Set(0..<UInt64(total)))
        for s in 0..<Self.streams {
            let mine = acknowledged.filter { $0.stream == s }.sorted { $0.version < $1.version }
            #expect(mine.map(\.version) == Array(0..<UInt64(mine.count)), "stream s\(s): versions")
            #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.position < $1.position }, "stream s\(s): a later version at an earlier position")
            // The store's stream is exactly the acknowledged events, in version order.
            let stored = try store.readStream("s\(s)")
            #expect(stored.map(\.position) == mine.map(\.position))
            #expect(try stored.map { try $0.decoded(as: Counted.self, with: store.types)?.n } == mine.map { $0.writer << 32 | $0.sequence })
        }
        // The subscription saw each acknowledged event, at its position.
        let seen = try await subscription.value
        #expect(seen.count == total)
        for a in acknowledged where seen[a.position] != a.writer << 32 | a.sequence {
            Issue.record("subscription: position \(a.position) holds \(String(describing: seen[a.position])), acknowledged for writer \(a.writer) #\(a.sequence)")
            break
        }
        // And a reopened store agrees.
        try store.close()
        let reopened = try EventStore.open(at: dir, types: testTypes(), options: options)
        #expect(reopened.nextPosition == UInt64(total))
        for s in 0..<Self.streams {
            #expect(reopened.version(of: "s\(s)").map { $0 + 1 } == UInt64(acknowledged.filter { $0.stream == s }.count))
        }
        try reopened.close()
    }
}
