import Foundation
import Testing

@_spi(Internals) @testable import SilverLedgerStorage

/// What a tail consumer has seen, shared with the test.
private final class Seen: Sendable {
    let records = Locked<[LogRecord]>([])
    var count: Int { records.withLock { $0.count } }
    var all: [LogRecord] { records.withLock { $0 } }
    func add(_ record: LogRecord) { records.withLock { $0.append(record) } }

    /// Waits (polling) until at least `count` records were seen; false on timeout.
    func wait(for count: Int, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while self.count < count {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

@Suite("Tail: committed records, then live ones", .timeLimit(.minutes(1)))
struct TailTests {
    @Test func aTailReadsCommittedThenLiveRecordsAndEndsOnClose() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir, options: LogOptions(durability: .groupCommit))
            let committed = randomBatches(20, maxRecords: 4, maxBytes: 100, seed: 70)
            for batch in committed { try await log.append(LogBatch(batch)) }
            let committedCount = committed.reduce(0) { $0 + $1.count }

            let seen = Seen()
            let consumer = Task {
                var n = 0
                for try await record in log.tail(from: 0) {
                    seen.add(record)
                    n += 1
                }
                return n
            }
            #expect(await seen.wait(for: committedCount))

            // Live appends from another task, some of them concurrent with each other.
            let live = randomBatches(60, maxRecords: 5, maxBytes: 100, seed: 71)
            let producer = Task {
                for (i, batch) in live.enumerated() {
                    try await log.append(LogBatch(batch))
                    if i % 10 == 0 { try await Task.sleep(for: .milliseconds(2)) }
                }
            }
            try await producer.value
            let total = committedCount + live.reduce(0) { $0 + $1.count }
            #expect(await seen.wait(for: total))

            // Nothing more arrives; closing ends the tail.
            try await Task.sleep(for: .milliseconds(50))
            #expect(seen.count == total)
            try log.close()
            let consumed = try await consumer.value
            #expect(consumed == total)

            let records = seen.all
            #expect(records.map(\.position) == Array(0..<UInt64(total)), "no gap, no duplicate")
            #expect(records.map(\.payload) == (committed + live).flatMap { $0 })
            let reopened = try openLog(at: dir)
            #expect(try readAll(reopened) == records)
            try reopened.close()
        }
    }

    @Test func aTailFromAPositionAndFromTheEnd() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try appendAll(log, randomBatches(30, maxRecords: 4, maxBytes: 200, seed: 72))
            let start = log.nextPosition / 2 + 1
            let end = log.nextPosition

            let fromMiddle = Seen()
            let fromEnd = Seen()
            let middleTask = Task { for try await r in log.tail(from: start) { fromMiddle.add(r) } }
            let endTask = Task { for try await r in log.tail(from: end) { fromEnd.add(r) } }
            #expect(await fromMiddle.wait(for: Int(end - start)))
            try await Task.sleep(for: .milliseconds(20))
            #expect(fromEnd.count == 0)

            let live = randomBatches(30, maxRecords: 4, maxBytes: 200, seed: 73) // rolls segments meanwhile
            for batch in live { try await log.append(LogBatch(batch)) }
            let liveCount = live.reduce(0) { $0 + $1.count }
            #expect(await fromEnd.wait(for: liveCount))
            #expect(await fromMiddle.wait(for: Int(end - start) + liveCount))
            try log.close()
            try await middleTask.value
            try await endTask.value

            let all = try { () throws -> [LogRecord] in
                let reopened = try openLog(at: dir)
                defer { try? reopened.close() }
                return try readAll(reopened)
            }()
            #expect(fromMiddle.all == Array(all[Int(start)...]))
            #expect(fromEnd.all == Array(all[Int(end)...]))
            #expect(fromEnd.all.map(\.payload) == live.flatMap { $0 })
        }
    }

    @Test func cancellingTheConsumerEndsTheTail() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir)
            try await log.append(LogBatch([[1]]))
            let seen = Seen()
            let consumer = Task { for try await r in log.tail() { seen.add(r) } }
            #expect(await seen.wait(for: 1))
            consumer.cancel()
            try await consumer.value
            #expect(seen.all.map(\.payload) == [[1]])
            try log.close()
        }
    }

    @Test func aReadOnlyTailFollowsTheWriter() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let writer = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try await writer.append(LogBatch([[0]]))
            var options = LogOptions()
            options.readOnly = true
            let reader = try openLog(at: dir, options: options)
            let seen = Seen()
            let consumer = Task { for try await r in reader.tail() { seen.add(r) } }
            let live = randomBatches(40, maxRecords: 3, maxBytes: 200, seed: 74)
            for batch in live { try await writer.append(LogBatch(batch)) }
            let total = 1 + live.reduce(0) { $0 + $1.count }
            #expect(await seen.wait(for: total))
            try reader.close()
            try await consumer.value
            #expect(seen.all.map(\.position) == Array(0..<UInt64(total)))
            #expect(seen.all.dropFirst().map(\.payload) == live.flatMap { $0 })
            try writer.close()
        }
    }
}
