import Foundation
import Testing

@testable import SilverLedgerStorage

@Suite("Segments and their indexes")
struct SegmentTests {
    /// Writes `count` batches into a store with 4 KiB segments and closes it; returns the records.
    private func makeStore(_ dir: String, batches count: Int = 150, seed: UInt64 = 20) throws -> [LogRecord] {
        var options = fastOptions(segmentSize: 4096)
        options.indexInterval = 512
        let log = try openLog(at: dir, options: options)
        try appendAll(log, randomBatches(count, maxRecords: 4, maxBytes: 120, seed: seed))
        let records = try readAll(log)
        try log.close()
        return records
    }

    /// Checks the segment files: 20-digit names, each starting where the one before ends, each within the size.
    private func checkSegmentFiles(_ dir: String, segmentSize: Int, total: UInt64) throws {
        let names = try fileNames(in: dir, suffix: ".seg")
        #expect(names.count > 5)
        var expectedFirst: UInt64 = 0
        for name in names {
            let stem = String(name.dropLast(4))
            #expect(stem.count == 20 && stem.allSatisfy(\.isNumber), "segment name \(name)")
            let first = try #require(UInt64(stem))
            #expect(first == expectedFirst, "segment \(name) should start at \(expectedFirst)")
            let path = dir + "/" + name
            #expect(try fileSize(path) <= Int64(segmentSize))
            let batches = try batchLocations(inSegment: path)
            #expect(!batches.isEmpty)
            #expect(batches.first?.header.firstPosition == first)
            for (a, b) in zip(batches, batches.dropFirst()) { #expect(a.header.nextPosition == b.header.firstPosition) }
            expectedFirst = batches.last?.header.nextPosition ?? first
        }
        #expect(expectedFirst == total)
        // An index for every segment after close.
        #expect(try fileNames(in: dir, suffix: ".idx") == names.map { String($0.dropLast(4)) + ".idx" })
    }

    @Test func smallSegmentsRollAndReadAcross() throws {
        try withTemporaryDirectory { dir in
            let records = try makeStore(dir)
            #expect(records.map(\.position) == Array(0..<UInt64(records.count)))
            try checkSegmentFiles(dir, segmentSize: 4096, total: UInt64(records.count))

            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            #expect(log.segments.map(\.path) == (try segmentPaths(dir)))
            #expect(log.segments.first?.firstPosition == 0)
            #expect(log.recoveryReport.rebuiltIndexes.isEmpty)
            #expect(try readAll(log) == records)
            // From the first position of every segment, and from just before it.
            for segment in log.segments where segment.firstPosition > 0 {
                let start = segment.firstPosition - 1
                #expect(try readAll(log, from: start) == Array(records[Int(start)...]))
                #expect(try log.cursor(from: segment.firstPosition).next() == records[Int(segment.firstPosition)])
            }
            // Appending after reopen continues in the last segment and rolls on.
            let before = log.segments.count
            try appendAll(log, randomBatches(60, maxRecords: 4, maxBytes: 120, seed: 21))
            #expect(log.segments.count > before)
            let all = try readAll(log)
            #expect(Array(all.prefix(records.count)) == records)
            #expect(all.map(\.position) == Array(0..<UInt64(all.count)))
            try log.close()
            try checkSegmentFiles(dir, segmentSize: 4096, total: UInt64(all.count))
        }
    }

    @Test func aBatchLargerThanTheSegmentSizeGetsASegmentOfItsOwn() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            var rng = TestRNG(seed: 22)
            let small = [rng.bytes(100)]
            let big = [rng.bytes(10_000)]
            try appendAll(log, [small, big, small])
            #expect(log.segments.map(\.firstPosition) == [0, 1, 2])
            #expect(try readAll(log).map(\.payload) == [small[0], big[0], small[0]])
            try log.close()
            #expect(try fileNames(in: dir, suffix: ".seg") == ["00000000000000000000.seg", "00000000000000000001.seg", "00000000000000000002.seg"])
        }
    }

    @Test func indexesAreRebuiltWhenDeleted() throws {
        try withTemporaryDirectory { dir in
            let records = try makeStore(dir)
            let originals = try indexPaths(dir).map { ($0, try fileBytes($0)) }
            try removeIndexes(dir)
            #expect(try indexPaths(dir).isEmpty)

            var options = fastOptions(segmentSize: 4096)
            options.indexInterval = 512
            let log = try openLog(at: dir, options: options)
            let report = log.recoveryReport
            let sealed = originals.dropLast().map(\.0)
            #expect(!report.rebuiltIndexes.isEmpty)
            #expect(Set(report.rebuiltIndexes).isSuperset(of: sealed))
            #expect(report.bytesScanned > 0)
            #expect(report.setAside.isEmpty)
            #expect(try readAll(log) == records)
            #expect(try readAll(log, verifyingChain: true) == records)
            #expect(try log.position(atOrAfter: records[records.count / 2].timestamp) <= UInt64(records.count / 2))
            // The rebuilt index files are what the writer had written.
            for (path, bytes) in originals.dropLast() {
                #expect(try fileBytes(path) == bytes, "rebuilt \(path)")
            }
            try log.close()
            for (path, bytes) in originals { #expect(try fileBytes(path) == bytes, "\(path) after close") }

            let again = try openLog(at: dir, options: options)
            #expect(again.recoveryReport.rebuiltIndexes.isEmpty)
            #expect(again.recoveryReport.bytesScanned == 0)
            #expect(try readAll(again) == records)
            try again.close()
        }
    }

    @Test(arguments: [0, 1, 40, 63, 64, 100, -1, -30, -80])
    func aDamagedIndexIsRebuilt(at offsetFromStart: Int) throws {
        try withTemporaryDirectory { dir in
            let records = try makeStore(dir, seed: 23)
            let indexes = try indexPaths(dir)
            let sealed = indexes[1]
            let last = indexes[indexes.count - 1]
            for path in [sealed, last] {
                let size = Int(try fileSize(path))
                let offset = offsetFromStart >= 0 ? min(offsetFromStart, size - 1) : size + offsetFromStart
                try flipByte(at: Int64(offset), in: path)
            }
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            #expect(log.recoveryReport.rebuiltIndexes.contains(sealed))
            // The last segment is scanned whole rather than trusting its index.
            let lastSegment = String(last.dropLast(4)) + ".seg"
            #expect(log.recoveryReport.bytesScanned == (try fileSize(lastSegment)) - Int64(Format.segmentHeaderLength))
            #expect(try readAll(log) == records)
            #expect(try readAll(log, verifyingChain: true) == records)
            try log.close()
        }
    }

    @Test func aTruncatedOrMisplacedIndexIsRebuilt() throws {
        try withTemporaryDirectory { dir in
            let records = try makeStore(dir, seed: 24)
            let indexes = try indexPaths(dir)
            try truncateFile(indexes[0], to: 100)
            try FileManager.default.removeItem(atPath: indexes[2])
            try FileManager.default.copyItem(atPath: indexes[1], toPath: indexes[2])
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            #expect(log.recoveryReport.rebuiltIndexes.contains(indexes[0]))
            #expect(log.recoveryReport.rebuiltIndexes.contains(indexes[2]))
            #expect(!log.recoveryReport.rebuiltIndexes.contains(indexes[1]))
            #expect(try readAll(log) == records)
            try log.close()
        }
    }

    @Test func segmentIndexLookups() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions(segmentSize: 1 << 20)
            options.indexInterval = 1000
            let log = try openLog(at: dir, options: options)
            var rng = TestRNG(seed: 25)
            for i in 0..<100 {
                var batch = LogBatch()
                try batch.append(rng.bytes(300), timestamp: Int64(1_000 + i * 10))
                try log.append(batch)
            }
            try log.close()
            let path = try indexPaths(dir)[0]
            // Another store's id, or another segment's first position: refused.
            let foreign = SegmentIndex.decode(try fileBytes(path), storeID: StoreID(bytes: [UInt8](repeating: 0, count: 16)), firstPosition: 0)
            #expect((try? foreign.get()) == nil)

            let reopened = try openLog(at: dir, options: options)
            let storeID = StoreID(bytes: hexBytes(reopened.storeID))
            #expect((try? SegmentIndex.decode(try fileBytes(path), storeID: storeID, firstPosition: 1).get()) == nil)
            let decoded = try SegmentIndex.decode(try fileBytes(path), storeID: storeID, firstPosition: 0).get()
            let locations = try batchLocations(inSegment: try segmentPaths(dir)[0])
            #expect(decoded.end.nextPosition == 100)
            #expect(decoded.end.endOffset == locations.last!.endOffset)
            #expect(decoded.end.lastBatchOffset == locations.last!.offset)
            #expect(decoded.offsets.first == Int64(Format.segmentHeaderLength))
            // Sparse: about one entry per interval bytes, every entry a batch start.
            #expect(decoded.offsets.count > 5 && decoded.offsets.count < 100)
            let starts = Set(locations.map(\.offset))
            for (offset, position) in zip(decoded.offsets, decoded.positions) {
                #expect(starts.contains(offset))
                #expect(locations.first { $0.offset == offset }?.header.firstPosition == position)
            }
            for (a, b) in zip(decoded.offsets, decoded.offsets.dropFirst()) { #expect(b - a >= 1000) }
            // Every position is found from the entry at or before it.
            for position in UInt64(0)..<100 {
                let start = decoded.scanStart(forPosition: position)
                #expect(start.position <= position)
                let batch = try #require(locations.first { $0.offset == start.offset })
                #expect(batch.header.firstPosition == start.position)
                #expect(locations.filter { $0.offset >= start.offset && $0.header.firstPosition <= position }.count <= 5)
            }
            for position in UInt64(0)..<100 {
                #expect(try reopened.position(atOrAfter: Int64(1_000 + Int(position) * 10)) == position)
                #expect(try reopened.position(atOrAfter: Int64(1_000 + Int(position) * 10 - 5)) == position)
            }
            try reopened.close()
        }
    }

    @Test func aCursorFollowsTheLogIntoNewSegments() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try appendAll(log, randomBatches(5, maxRecords: 2, maxBytes: 100, seed: 26))
            let cursor = try log.cursor(verifyingChain: true)
            var seen: [LogRecord] = []
            while let record = try cursor.next() { seen.append(record) }
            for round in 0..<5 {
                try appendAll(log, randomBatches(20, maxRecords: 4, maxBytes: 150, seed: 27 + UInt64(round)))
                while let record = try cursor.next() { seen.append(record) }
                #expect(seen.count == Int(log.nextPosition))
            }
            #expect(log.segments.count > 5)
            #expect(seen == (try readAll(log)))
            try log.close()
        }
    }

    /// Index checkpoints bound what open scans when the log was not closed cleanly
    /// (here: its index write at close fails).
    @Test func checkpointsBoundTheRecoveryScan() throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            var options = LogOptions(durability: .fsyncPerAppend)
            options.fileSystem = fs
            options.checkpointInterval = 2048
            let log = try openLog(at: dir, options: options)
            try appendAll(log, randomBatches(100, maxRecords: 2, maxBytes: 100, seed: 28))
            // The writer checkpoints after acknowledging; two tiny appends make sure no
            // checkpoint is still running, and that some bytes follow the last one.
            try log.append(LogBatch([[1]]))
            try log.append(LogBatch([[2]]))
            let records = try readAll(log)
            fs.inject(.error(EIO), into: .rename, pathContaining: ".idx", sticky: true)
            #expect(storageError { try log.close() }?.code == .io)
            let size = try fileSize(try segmentPaths(dir)[0])
            #expect(size > 10_000)

            let reopened = try openLog(at: dir)
            #expect(reopened.recoveryReport.bytesScanned > 0)
            #expect(reopened.recoveryReport.bytesScanned < 2048 + 400)
            #expect(try readAll(reopened) == records)
            try reopened.close()
        }
    }
}


/// The bytes of a hex string.
func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(hex.utf8)[...]
    while chars.count >= 2 {
        out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
        chars = chars.dropFirst(2)
    }
    return out
}
