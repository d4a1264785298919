import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerStorage

@Suite("One writer per store; readers alongside it", .timeLimit(.minutes(1)))
struct LockTests {
    @Test func aSecondWriterInTheSameProcessIsRefused() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir)
            try log.append(LogBatch([[1]]))
            let error = storageError { _ = try Log.open(at: dir) }
            #expect(error?.code == .locked)
            #expect(error?.message.contains(dir) == true, "\(error.map { "\($0)" } ?? "")")
            #expect(error?.message.contains("\(getpid())") == true, "names the holder: \(error.map { "\($0)" } ?? "")")
            // The refused open changed nothing.
            #expect(try log.append(LogBatch([[2]])).firstPosition == 1)
            try log.close()

            // Closing lets go of the lock.
            let second = try openLog(at: dir)
            #expect(try readAll(second).map(\.payload) == [[1], [2]])
            try second.close()
        }
    }

    @Test func aLogLetGoOfWithoutCloseReleasesTheLock() throws {
        try withTemporaryDirectory { dir in
            do {
                let log = try openLog(at: dir)
                try log.append(LogBatch([[1]]))
            }
            let log = try openLog(at: dir)
            #expect(log.nextPosition == 1)
            try log.close()
        }
    }

    @Test func aWriterInAnotherProcessLocksTheStore() throws {
        try withTemporaryDirectory { dir in
            let setup = try openLog(at: dir)
            try setup.append(LogBatch([[1], [2]]))
            try setup.close()

            let child = try ChildProcess(["hold", dir])
            defer { child.killAndReap() }
            let ready = try #require(child.waitForLine(prefix: "ready "), "child did not start: \(child.stderr)")
            #expect(ready == "ready \(child.pid)")

            let error = storageError { _ = try Log.open(at: dir) }
            #expect(error?.code == .locked)
            #expect(error?.message.contains(dir) == true)
            #expect(error?.message.contains("\(child.pid)") == true, "names the child: \(error.map { "\($0)" } ?? "")")

            // Readers need no lock.
            var readOnly = LogOptions()
            readOnly.readOnly = true
            let reader = try openLog(at: dir, options: readOnly)
            #expect(try readAll(reader).map(\.payload) == [[1], [2]])
            #expect(storageError { try reader.append(LogBatch([[3]])) }?.code == .readOnly)
            try reader.close()

            // When the child dies, its lock goes with it.
            child.killAndReap()
            let log = try openLog(at: dir)
            #expect(log.nextPosition == 2)
            try log.close()
        }
    }

    @Test func aReaderSeesWhatTheWriterCommitsLater() throws {
        try withTemporaryDirectory { dir in
            let writer = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            let first = randomBatches(5, maxRecords: 3, maxBytes: 100, seed: 60)
            try appendAll(writer, first)

            var options = LogOptions()
            options.readOnly = true
            let reader = try openLog(at: dir, options: options)
            #expect(reader.nextPosition == writer.nextPosition)
            #expect(try readAll(reader) == (try readAll(writer)))
            let cursor = try reader.cursor()
            var seen: [LogRecord] = []
            while let record = try cursor.next() { seen.append(record) }

            // More, across several segments.
            try appendAll(writer, randomBatches(40, maxRecords: 3, maxBytes: 200, seed: 61))
            #expect(writer.segments.count > 2)
            try reader.refresh()
            #expect(reader.nextPosition == writer.nextPosition)
            #expect(reader.segments.map(\.firstPosition) == writer.segments.map(\.firstPosition))
            let expected = try readAll(writer)
            #expect(try readAll(reader) == expected)
            #expect(try readAll(reader, verifyingChain: true) == expected)
            // The old cursor carries on too.
            while let record = try cursor.next() { seen.append(record) }
            #expect(seen == expected)
            // Seeks by time work on the reader.
            #expect(try reader.position(atOrAfter: expected[expected.count / 2].timestamp) <= UInt64(expected.count / 2))

            // A new cursor refreshes on its own.
            try appendAll(writer, [[[9, 9]]])
            #expect(try readAll(reader, from: UInt64(expected.count)).map(\.payload) == [[9, 9]])
            try writer.close()
            try reader.close()
        }
    }

    @Test func aReadOnlyOpenNeedsAStore() throws {
        try withTemporaryDirectory { dir in
            var options = LogOptions()
            options.readOnly = true
            #expect(storageError { _ = try openLog(at: dir + "/missing", options: options) }?.code == .notAStore)
            #expect(storageError { _ = try openLog(at: dir, options: options) }?.code == .notAStore)
            #expect(!FileManager.default.fileExists(atPath: dir + "/STORE"), "a reader creates nothing")
        }
    }

    /// A reader in this process follows a writer in another one that appends without pause.
    @Test func aReaderFollowsAWriterInAnotherProcess() throws {
        try withTemporaryDirectory { dir in
            let child = try ChildProcess(["append", dir])
            defer { child.killAndReap() }
            _ = try #require(child.waitForLine(prefix: "ready "), "child did not start: \(child.stderr)")
            _ = try #require(child.waitForLine(prefix: "ack "), "child did not append: \(child.stderr)")

            var options = LogOptions()
            options.readOnly = true
            let reader = try openLog(at: dir, options: options)
            let cursor = try reader.cursor(verifyingChain: true)
            var next: UInt64 = 0
            var checked = 0
            let deadline = Date().addingTimeInterval(1.5)
            while Date() < deadline {
                while let batch = try cursor.nextBatch() {
                    #expect(batch.firstPosition == next)
                    batch.forEach { position, _, bytes in
                        let fields = decodeCrashRecord(Array(bytes))
                        #expect(fields?.position == position)
                        #expect(fields?.batchFirst == batch.firstPosition)
                        #expect(fields.map { Int($0.count) } == batch.count)
                    }
                    next = batch.firstPosition + UInt64(batch.count)
                    checked += batch.count
                }
                usleep(20_000)
            }
            child.killAndReap()
            let acked = child.outputLines.compactMap { $0.hasPrefix("ack ") ? UInt64($0.dropFirst(4)) : nil }.max() ?? 0
            #expect(checked > 0)
            #expect(next <= acked + 50, "the reader saw only what the writer had written")
            try reader.refresh()
            #expect(reader.nextPosition >= next)
            try reader.close()
        }
    }

    /// `close()` must let go of the lock even while this process spawns children:
    /// a child between fork and exec holds a copy of every descriptor, the lock
    /// file's included, so closing the descriptor alone leaves the flock held
    /// until the child execs. (Unlocking with LOCK_UN before closing releases it.)
    @Test func closeReleasesTheLockWhileChildrenAreSpawned() throws {
        // Any quick program will do; the crash child (run without arguments, it prints its usage) where /bin/true is missing.
        let program = FileManager.default.isExecutableFile(atPath: "/bin/true") ? "/bin/true" : try crashChildPath()
        try withTemporaryDirectory { dir in
            let stop = Atomic<Bool>(false)
            let spawner = Thread {
                while !stop.load(ordering: .relaxed) {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: program)
                    process.standardOutput = Foundation.FileHandle.nullDevice
                    process.standardError = Foundation.FileHandle.nullDevice
                    try? process.run()
                    process.waitUntilExit()
                }
            }
            spawner.start()
            defer { stop.store(true, ordering: .relaxed) }
            var refused = 0
            for _ in 0..<600 {
                do {
                    let log = try Log.open(at: dir, options: LogOptions(durability: .none))
                    try log.close()
                } catch let error as StorageError where error.code == .locked {
                    refused += 1
                }
            }
            #expect(refused == 0, "open right after close was refused as locked \(refused) times in 600")
        }
    }
}
