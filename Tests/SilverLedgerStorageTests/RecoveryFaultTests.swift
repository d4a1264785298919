import Foundation
import Testing

@testable import SilverLedgerStorage

/// Faults while open is recovering (setting a torn tail aside, removing an
/// interrupted segment): open fails with the system's error and changes nothing
/// it cannot finish; a later open recovers.
@Suite("Fault injection during recovery")
struct RecoveryFaultTests {
    private func options(_ fs: FaultInjectingFileSystem) -> LogOptions {
        var o = LogOptions()
        o.fileSystem = fs
        return o
    }

    /// A store whose last batch is cut short; returns the records before it and the segment.
    private func tornStore(_ dir: String) throws -> (records: [LogRecord], segment: String, size: Int64) {
        let log = try openLog(at: dir, options: fastOptions())
        try appendAll(log, randomBatches(10, maxRecords: 4, maxBytes: 200, seed: 91))
        let last = try log.append(LogBatch([compressibleBytes(3000)]))
        let records = try readAll(log).filter { $0.position < last.firstPosition }
        try log.close()
        let segment = try #require(try segmentPaths(dir).last)
        let lastBatch = try #require(try batchLocations(inSegment: segment).last)
        try truncateFile(segment, to: lastBatch.endOffset - 7)
        try rewindHead(dir, segment: segment, before: lastBatch)   // the crash came during that write
        return (records, segment, try fileSize(segment))
    }

    @Test(arguments: [
        FaultInjectingFileSystem.Operation.makeDirectory, .pwrite, .sync, .rename, .syncDirectory, .truncate,
    ])
    func aFaultWhileSettingATornTailAsideFailsOpenAndLosesNothing(_ operation: FaultInjectingFileSystem.Operation) throws {
        try withTemporaryDirectory { dir in
            let (records, segment, size) = try tornStore(dir)
            let fs = FaultInjectingFileSystem()
            // Only the calls of the set-aside and the cut: the recovered/ copy and the segment itself.
            let path: String? = switch operation {
            case .makeDirectory, .syncDirectory: nil
            case .truncate: ".seg"
            default: "recovered"
            }
            fs.inject(.error(EIO), into: operation, atCall: 1, pathContaining: path)
            let error = storageError { _ = try openLog(at: dir, options: options(fs)) }
            #expect(error?.code == .io)
            #expect(error?.errno == EIO)
            #expect(fs.injectedCount == 1)
            // The torn bytes are still in the segment (or already copied aside) — never lost.
            let kept = try fileSize(segment) == size
                || (try fileNames(in: dir + "/recovered", suffix: ".tail")).isEmpty == false
            #expect(kept)

            let log = try openLog(at: dir)
            #expect(try readAll(log, verifyingChain: true) == records)
            #expect(log.recoveryReport.setAside.count <= 1)
            let tails = try fileNames(in: dir + "/recovered", suffix: ".tail")
            #expect(!tails.isEmpty)
            try log.close()
        }
    }

    @Test(arguments: [FaultInjectingFileSystem.Operation.remove, .syncDirectory])
    func aFaultWhileRemovingAnInterruptedSegmentFailsOpen(_ operation: FaultInjectingFileSystem.Operation) throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            try appendAll(log, randomBatches(5, maxRecords: 3, maxBytes: 100, seed: 92))
            let records = try readAll(log)
            let next = log.nextPosition
            try log.close()
            // A roll that crashed after creating the file and before its header was written.
            let interrupted = dir + "/" + Format.fileStem(next) + Format.segmentSuffix
            try writeFile(interrupted, [0x53, 0x4C, 0x53])

            let fs = FaultInjectingFileSystem()
            fs.inject(.error(EIO), into: operation, atCall: 1, pathContaining: operation == .remove ? interrupted : nil)
            let error = storageError { _ = try openLog(at: dir, options: options(fs)) }
            #expect(error?.code == .io)
            #expect(fs.injectedCount == 1)

            let reopened = try openLog(at: dir)
            #expect(reopened.recoveryReport.removedEmptySegments.count <= 1)
            #expect(!FileManager.default.fileExists(atPath: interrupted))
            #expect(try readAll(reopened, verifyingChain: true) == records)
            let receipt = try reopened.append(LogBatch([[9]]))
            #expect(receipt.firstPosition == next)
            try reopened.close()
        }
    }
}
