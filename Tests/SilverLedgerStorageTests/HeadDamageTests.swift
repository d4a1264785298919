import Foundation
import Testing

@testable import SilverLedgerStorage

/// Double faults the corruption campaign found once it damaged several files
/// of a store of several segments: HEAD is what tells a write cut short from
/// damage to an acknowledged one, so when HEAD cannot say, nothing is cut.
@Suite("HEAD and the last segment: damage is never taken for a write cut short")
struct HeadDamageTests {
    /// A closed store of several segments, fsync per append; its records.
    private func store(_ dir: String) throws -> [[UInt8]] {
        var options = LogOptions(durability: .fsyncPerAppend)
        options.segmentSize = 2 << 10
        let log = try Log.open(at: dir, options: options)
        let batches = randomBatches(12, maxRecords: 3, maxBytes: 300, seed: 91)
        try appendAll(log, batches)
        try log.close()
        #expect(try segmentPaths(dir).count >= 3)
        return batches.flatMap { $0 }
    }

    @Test func aDamagedHeadAndADamagedLastBatchAreRefusedNotCut() throws {
        try withTemporaryDirectory { dir in
            let records = try store(dir)
            let segment = try #require(try segmentPaths(dir).last)
            let last = try #require(try batchLocations(inSegment: segment).last)
            try flipByte(at: last.offset + 100, in: segment)
            try flipByte(at: 20, in: dir + "/HEAD")
            let error = storageError { _ = try Log.open(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segment)
            #expect(error?.message.contains("(HEAD) is damaged") == true, "\(String(describing: error))")
            #expect(try fileSize(segment) == last.endOffset, "nothing was cut")
            let report = try Log.verify(at: dir)
            #expect(report.firstDamage?.kind == .corruption)
            #expect(report.firstDamage?.message.contains("(HEAD) is damaged") == true)
            let independent = try independentVerifier(dir)
            #expect(independent.status == 1 && independent.output.contains("HEAD is damaged"), "\(independent.output)")
            // A reader still reads what is whole; repair cuts the damage, keeping a copy.
            let reader = try Log.open(at: dir, options: { var o = LogOptions(); o.readOnly = true; return o }())
            #expect(try readAll(reader).count == records.count - Int(last.header.recordCount))
            try reader.close()
            let repaired = try Log.repair(at: dir)
            #expect(repaired.repaired && repaired.nextPosition == last.header.firstPosition)
        }
    }

    @Test func anEmptyHeadIsNoHeadAndATornTailIsCutAsBefore() throws {
        try withTemporaryDirectory { dir in
            let records = try store(dir)
            let segment = try #require(try segmentPaths(dir).last)
            let last = try #require(try batchLocations(inSegment: segment).last)
            try truncateFile(segment, to: last.endOffset - 7)
            try writeFile(dir + "/HEAD", [])   // created, never written (a crash right after a new store's open)
            let log = try Log.open(at: dir)
            #expect(log.recoveryReport.setAside.count == 1)
            #expect(try readAll(log).count == records.count - Int(last.header.recordCount))
            try log.close()
        }
    }

    @Test func aLastSegmentCutInsideItsHeaderThatHeadNamesIsDamageNotAnInterruptedRoll() throws {
        try withTemporaryDirectory { dir in
            _ = try store(dir)
            let segment = try #require(try segmentPaths(dir).last)
            for cut in [0, 12, 63] as [Int64] {
                try truncateFile(segment, to: cut)
                let error = storageError { _ = try Log.open(at: dir) }
                #expect(error?.code == .corrupted, "cut at \(cut)")
                #expect(error?.path == segment)
                #expect(error?.message.contains("names this segment") == true, "\(String(describing: error))")
                #expect(FileManager.default.fileExists(atPath: segment), "not removed")
                #expect(try Log.verify(at: dir).firstDamage?.kind == .corruption)
                let independent = try independentVerifier(dir)
                #expect(independent.status == 1 && independent.output.contains("names this segment"), "\(independent.output)")
            }
        }
    }

    @Test func segmentsThatDoNotFollowEachOtherNameTheOneThatEndsEarly() throws {
        try withTemporaryDirectory { dir in
            _ = try store(dir)
            let segments = try segmentPaths(dir)
            let middle = segments[segments.count - 2]
            let last = try #require(try batchLocations(inSegment: middle).last)
            try truncateFile(middle, to: last.offset)   // a sealed segment cut at a batch boundary
            try removeIndexes(dir)
            let error = storageError { _ = try Log.open(at: dir) }
            let name = String(middle.split(separator: "/").last!)
            #expect(error?.message.contains("segment \(name) ends at position \(last.header.firstPosition)") == true, "\(String(describing: error))")
            #expect(error?.message.contains("cut short") == true)
            #expect(try Log.verify(at: dir).firstDamage?.message.contains(name) == true)
        }
    }
}
