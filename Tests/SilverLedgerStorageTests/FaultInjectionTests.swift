import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerStorage

@Suite("Fault injection: failed writes and syncs never lose acknowledged records")
struct FaultInjectionTests {
    private func options(_ fs: FaultInjectingFileSystem, durability: Durability = .fsyncPerAppend, segmentSize: Int? = nil) -> LogOptions {
        var o = LogOptions(durability: durability)
        o.fileSystem = fs
        if let segmentSize { o.segmentSize = segmentSize }
        return o
    }

    /// Opens a log on a fault-injecting file system and appends a few acknowledged batches.
    private func start(_ dir: String, _ fs: FaultInjectingFileSystem, durability: Durability = .fsyncPerAppend) throws -> (Log, [LogRecord]) {
        let log = try openLog(at: dir, options: options(fs, durability: durability))
        try appendAll(log, randomBatches(6, maxRecords: 4, maxBytes: 200, seed: 50))
        return (log, try readAll(log))
    }

    private let failing: [[UInt8]] = [Array("the batch that fails".utf8), Array("and its second record".utf8)]

    /// Closes `log` (which may report the failure again), reopens the store with the real file
    /// system and checks that it holds exactly `acknowledged` followed by `extra`; then appends.
    @discardableResult
    private func reopenAndCheck(
        _ log: Log, _ dir: String, acknowledged: [LogRecord], extra: [[UInt8]] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RecoveryReport {
        try? log.close()
        let reopened = try openLog(at: dir)
        let records = try readAll(reopened, verifyingChain: true)
        #expect(Array(records.prefix(acknowledged.count)) == acknowledged, "every acknowledged record is there", sourceLocation: sourceLocation)
        #expect(records.dropFirst(acknowledged.count).map(\.payload) == extra, "and after them only \(extra.count) records", sourceLocation: sourceLocation)
        #expect(records.map(\.position) == Array(0..<UInt64(records.count)), sourceLocation: sourceLocation)
        #expect(reopened.nextPosition == UInt64(records.count), sourceLocation: sourceLocation)
        let receipt = try reopened.append(LogBatch([[7, 7, 7]]))
        #expect(receipt.firstPosition == UInt64(records.count), sourceLocation: sourceLocation)
        try reopened.close()
        let again = try openLog(at: dir)
        #expect(try readAll(again, verifyingChain: true).map(\.payload) == records.map(\.payload) + [[7, 7, 7]], sourceLocation: sourceLocation)
        try again.close()
        return reopened.recoveryReport
    }

    // MARK: Failed writes

    @Test(arguments: [ENOSPC, EIO])
    func aFailedWriteFailsTheAppendAndTheLogGoesOn(errno code: Int32) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            let segment = try segmentPaths(dir)[0]
            let size = try fileSize(segment)
            fs.inject(.error(code), into: .pwrite, pathContaining: ".seg")
            let error = storageError { try log.append(LogBatch(failing)) }
            #expect(error?.code == .io)
            #expect(error?.errno == code)
            #expect(error?.path == segment)
            #expect(fs.injectedCount == 1)
            #expect(try readAll(log) == acknowledged)
            #expect(log.nextPosition == UInt64(acknowledged.count))
            #expect(try fileSize(segment) == size)
            // Not a failed sync: the log takes the next append, at the same position.
            let next = try log.append(LogBatch([[1, 2, 3]]))
            #expect(next.firstPosition == UInt64(acknowledged.count))
            let report = try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: [[1, 2, 3]])
            #expect(report.setAside.isEmpty)
        }
    }

    @Test(arguments: [1, 10, Format.batchHeaderLength - 1, Format.batchHeaderLength, Format.batchHeaderLength + 5])
    func aShortWriteIsCompleted(bytes: Int) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.shortWrite(bytes), into: .pwrite, pathContaining: ".seg")
            let receipt = try log.append(LogBatch(failing))
            #expect(fs.injectedCount == 1)
            #expect(receipt.firstPosition == UInt64(acknowledged.count))
            #expect(try readAll(log, from: receipt.firstPosition).map(\.payload) == failing)
            try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: failing)
        }
    }

    @Test func aWriteThatMakesNoProgressFails() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.shortWrite(0), into: .pwrite, pathContaining: ".seg")
            let error = storageError { try log.append(LogBatch(failing)) }
            #expect(error?.code == .io)
            #expect(error?.errno == EIO)
            #expect(try readAll(log) == acknowledged)
            #expect(try log.append(LogBatch([[4]])).firstPosition == UInt64(acknowledged.count))
            try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: [[4]])
        }
    }

    @Test(arguments: [1, 50, Format.batchHeaderLength, Format.batchHeaderLength + 20])
    func aPartialWriteIsCutBack(bytes: Int) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            let segment = try segmentPaths(dir)[0]
            let size = try fileSize(segment)
            fs.inject(.partialWriteThenError(bytes, ENOSPC), into: .pwrite, pathContaining: ".seg")
            let error = storageError { try log.append(LogBatch(failing)) }
            #expect(error?.code == .io)
            #expect(error?.errno == ENOSPC)
            #expect(try fileSize(segment) == size, "the partly written batch is cut off at once")
            #expect(try readAll(log) == acknowledged)
            #expect(try log.append(LogBatch([[5]])).firstPosition == UInt64(acknowledged.count))
            let report = try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: [[5]])
            #expect(report.setAside.isEmpty)
        }
    }

    /// If the partial write cannot even be cut back, the log stops taking appends;
    /// reopening finds the partial batch as a torn tail and sets it aside.
    @Test func aPartialWriteThatCannotBeCutBackPoisonsTheLog() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            let segment = try segmentPaths(dir)[0]
            let size = try fileSize(segment)
            fs.inject(.partialWriteThenError(50, EIO), into: .pwrite, pathContaining: ".seg")
            fs.inject(.error(EIO), into: .truncate)
            let error = storageError { try log.append(LogBatch(failing)) }
            #expect(error?.code == .io)
            #expect(try fileSize(segment) == size + 50)
            #expect(storageError { try log.append(LogBatch([[6]])) }?.code == .failed)
            #expect(try readAll(log) == acknowledged)
            let report = try reopenAndCheck(log, dir, acknowledged: acknowledged)
            #expect(report.setAside.count == 1)
            #expect(report.setAside.first?.offset == size)
            #expect(report.setAside.first?.length == 50)
        }
    }

    // MARK: Failed syncs

    /// After a failed fdatasync the page cache cannot be trusted: the append fails,
    /// every later one fails with `.failed` until the log is reopened. The failed
    /// batch is cut off again, so it is not there after reopening.
    @Test func aFailedSyncPoisonsTheLogUntilReopened() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.error(EIO), into: .sync, pathContaining: ".seg")
            let error = storageError { try appendSync(log, LogBatch(failing)) }
            #expect(error?.code == .io)
            #expect(error?.errno == EIO)
            for _ in 0..<3 {
                let later = storageError { try appendSync(log, LogBatch([[8]])) }
                #expect(later?.code == .failed)
                #expect(later?.errno == EIO)
            }
            #expect(await storageErrorAsync { try await log.append(LogBatch([[8]])) }?.code == .failed)
            #expect(fs.injectedCount == 1, "the log did not retry the sync")
            // Reads still work.
            #expect(try readAll(log) == acknowledged)
            #expect(log.nextPosition == UInt64(acknowledged.count))
            try reopenAndCheck(log, dir, acknowledged: acknowledged)
        }
    }

    /// When the cut back after the failed sync fails as well, the whole (never
    /// acknowledged) batch stays in the file and is there after reopening.
    @Test func aFailedSyncWhoseCutBackFailsLeavesTheUnacknowledgedBatch() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.error(EIO), into: .sync, pathContaining: ".seg")
            fs.inject(.error(EIO), into: .truncate)
            #expect(storageError { try log.append(LogBatch(failing)) }?.code == .io)
            #expect(storageError { try log.append(LogBatch([[9]])) }?.code == .failed)
            #expect(try readAll(log) == acknowledged, "the unacknowledged batch is not visible")
            let report = try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: failing)
            #expect(report.setAside.isEmpty)
        }
    }

    @Test func aFailedGroupSyncFailsEveryAppendInIt() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs, durability: .groupCommit)
            fs.inject(.error(EIO), into: .sync, pathContaining: ".seg")
            let codes = await withTaskGroup(of: StorageError.Code?.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        do {
                            _ = try await log.append(LogBatch([[UInt8(i)]]))
                            return nil
                        } catch {
                            return (error as? StorageError)?.code
                        }
                    }
                }
                var codes: [StorageError.Code?] = []
                for await code in group { codes.append(code) }
                return codes
            }
            #expect(codes.count == 16)
            #expect(codes.allSatisfy { $0 == .io || $0 == .failed }, "\(codes)")
            #expect(codes.contains(.io))
            #expect(try readAll(log) == acknowledged)
            try reopenAndCheck(log, dir, acknowledged: acknowledged)
        }
    }

    // MARK: Failures while rolling to a new segment

    /// Appends 500-byte records until the next one makes the segment roll.
    private func fillToTheRoll(_ log: Log, segmentSize: Int) throws -> [LogRecord] {
        var rng = TestRNG(seed: 51)
        let batchBytes = Int64(Format.batchHeaderLength + 503)
        while try fileSize(log.segments.last!.path) + batchBytes <= Int64(segmentSize) {
            try log.append(LogBatch([rng.bytes(500)]))
        }
        return try readAll(log)
    }

    struct RollFault: CustomTestStringConvertible, Sendable {
        var name: String
        var operation: FaultInjectingFileSystem.Operation
        var atCall: Int
        var path: String?
        var testDescription: String { name }
    }

    static let rollFaults = [
        RollFault(name: "index rename", operation: .rename, atCall: 1, path: ".idx"),
        RollFault(name: "index sync", operation: .sync, atCall: 1, path: ".idx"),
        RollFault(name: "directory sync after the index", operation: .syncDirectory, atCall: 1, path: nil),
        RollFault(name: "creating the segment", operation: .open, atCall: 1, path: ".seg"),
        RollFault(name: "writing the segment header", operation: .pwrite, atCall: 1, path: ".seg"),
        RollFault(name: "syncing the segment header", operation: .sync, atCall: 1, path: ".seg"),
        RollFault(name: "directory sync after the segment", operation: .syncDirectory, atCall: 2, path: nil),
    ]

    /// A roll that fails poisons the log (its state on disk is uncertain): the append
    /// that needed the roll fails with `.io`, later ones with `.failed`; after reopening
    /// every acknowledged record is there and appends (and rolls) work again.
    @Test(arguments: rollFaults)
    func aFailedSegmentRoll(_ fault: RollFault) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let log = try openLog(at: dir, options: options(fs, segmentSize: 4096))
            let acknowledged = try fillToTheRoll(log, segmentSize: 4096)
            #expect(log.segments.count == 1)
            fs.inject(.error(EIO), into: fault.operation, atCall: fault.atCall, pathContaining: fault.path)
            var rng = TestRNG(seed: 52)
            let rolling = LogBatch([rng.bytes(500)])
            let error = storageError { try log.append(rolling) }
            #expect(fs.injectedCount == 1)
            #expect(error?.code == .io, "the append whose roll failed: \(error.map { "\($0)" } ?? "none")")
            #expect(error?.errno == EIO, "the append whose roll failed: \(error.map { "\($0)" } ?? "none")")
            let later = storageError { try log.append(LogBatch([[1]])) }
            #expect(later?.code == .failed)
            #expect(try readAll(log) == acknowledged)

            try? log.close()
            let reopened = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            #expect(try readAll(reopened, verifyingChain: true) == acknowledged)
            rng = TestRNG(seed: 53)
            for _ in 0..<12 { try reopened.append(LogBatch([rng.bytes(500)])) }
            #expect(reopened.segments.count >= 2)
            let all = try readAll(reopened, verifyingChain: true)
            #expect(Array(all.prefix(acknowledged.count)) == acknowledged)
            #expect(all.count == acknowledged.count + 12)
            try reopened.close()
            let again = try openLog(at: dir)
            #expect(try readAll(again, verifyingChain: true) == all)
            try again.close()
        }
    }

    // MARK: Failures when opening and reading

    @Test(arguments: [
        RollFault(name: "open a segment", operation: .open, atCall: 1, path: ".seg"),
        RollFault(name: "read the manifest", operation: .pread, atCall: 1, path: "STORE"),
        RollFault(name: "read a segment", operation: .pread, atCall: 1, path: ".seg"),
        RollFault(name: "read an index", operation: .pread, atCall: 1, path: ".idx"),
        RollFault(name: "lock", operation: .lock, atCall: 1, path: nil),
        RollFault(name: "list the directory", operation: .listDirectory, atCall: 1, path: nil),
    ])
    func openFailsCleanly(_ fault: RollFault) throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try appendAll(log, randomBatches(30, maxRecords: 3, maxBytes: 300, seed: 54))
            let records = try readAll(log)
            try log.close()

            let fs = FaultInjectingFileSystem()
            fs.inject(.error(EIO), into: fault.operation, atCall: fault.atCall, pathContaining: fault.path)
            let error = storageError { _ = try openLog(at: dir, options: options(fs)) }
            #expect(error?.code == .io)
            #expect(error?.errno == EIO)
            #expect(fs.injectedCount == 1)
            // Nothing was changed and the lock was let go.
            let reopened = try openLog(at: dir)
            #expect(reopened.recoveryReport.setAside.isEmpty)
            #expect(try readAll(reopened) == records)
            try reopened.close()
        }
    }

    /// An index that cannot be opened is treated like a missing one: rebuilt from its segment.
    @Test func anUnopenableIndexIsRebuilt() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try appendAll(log, randomBatches(30, maxRecords: 3, maxBytes: 300, seed: 55))
            let records = try readAll(log)
            try log.close()
            let fs = FaultInjectingFileSystem()
            fs.inject(.error(EIO), into: .open, atCall: 1, pathContaining: ".idx")
            let reopened = try openLog(at: dir, options: options(fs))
            #expect(reopened.recoveryReport.rebuiltIndexes.count == 1)
            #expect(try readAll(reopened) == records)
            try reopened.close()
        }
    }

    @Test func aFailedReadFailsTheCursorOnly() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.error(EIO), into: .pread, pathContaining: ".seg")
            let error = storageError { _ = try readAll(log) }
            #expect(error?.code == .io)
            #expect(error?.errno == EIO)
            #expect(try readAll(log) == acknowledged)
            #expect(try log.append(LogBatch([[3]])).firstPosition == UInt64(acknowledged.count))
            try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: [[3]])
        }
    }

    @Test func aFailedHeadUpdateDoesNotFailTheAppend() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.error(EIO), into: .pwrite, pathContaining: "HEAD", sticky: true)
            let receipt = try log.append(LogBatch(failing))
            #expect(receipt.firstPosition == UInt64(acknowledged.count))
            #expect(fs.injectedCount >= 1)
            try reopenAndCheck(log, dir, acknowledged: acknowledged, extra: failing)
        }
    }

    /// Close writes the last segment's index; if that fails, close says so, and the
    /// next open scans the segment instead.
    @Test func aFailedIndexWriteAtCloseIsReportedAndHarmless() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let (log, acknowledged) = try start(dir, fs)
            fs.inject(.error(EIO), into: .rename, pathContaining: ".idx")
            let error = storageError { try log.close() }
            #expect(error?.code == .io)
            let reopened = try openLog(at: dir)
            #expect(reopened.recoveryReport.bytesScanned > 0)
            #expect(try readAll(reopened, verifyingChain: true) == acknowledged)
            try reopened.close()
        }
    }
}
