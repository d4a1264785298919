import Foundation
import Testing

@testable import SilverLedgerStorage

@Suite("Corruption before the tail is reported, never cut off")
struct CorruptionTests {
    /// A closed store of several 8 KiB segments; returns the records.
    private func makeStore(_ dir: String, seed: UInt64) throws -> [LogRecord] {
        let log = try openLog(at: dir, options: fastOptions(segmentSize: 8192))
        try appendAll(log, randomBatches(90, maxRecords: 4, maxBytes: 150, seed: seed))
        let records = try readAll(log)
        try log.close()
        return records
    }

    private struct Damage: CustomStringConvertible {
        var segment: String
        var batch: BatchLocation
        var offset: Int64
        var description: String { "byte \(offset) of \(segment) (batch at \(batch.offset), position \(batch.header.firstPosition))" }
    }

    /// About `count` damage sites spread over `batches`: header and payload bytes of each batch chosen.
    private func sample(_ count: Int, segment: String, batches: [BatchLocation], seed: UInt64) -> [Damage] {
        var rng = TestRNG(seed: seed)
        var out: [Damage] = []
        let step = max(1, batches.count / count)
        for i in stride(from: 0, to: batches.count, by: step) {
            let batch = batches[i]
            // Alternate header and payload bytes, at random places in each.
            let inHeader = out.count % 3 == 0
            let delta = inHeader
                ? rng.int(in: 0...(Format.batchHeaderLength - 1))
                : Format.batchHeaderLength + rng.int(in: 0...(Int(batch.header.storedLength) - 1))
            out.append(Damage(segment: segment, batch: batch, offset: batch.offset + Int64(delta)))
        }
        return out
    }

    private func expectCorrupted(_ error: StorageError?, at damage: Damage, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.code == .corrupted, "\(damage): \(error.map { "\($0)" } ?? "no error")", sourceLocation: sourceLocation)
        #expect(error?.path == damage.segment, "\(damage)", sourceLocation: sourceLocation)
        #expect(error?.offset == damage.batch.offset, "\(damage): \(error.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        #expect(error?.position == damage.batch.header.firstPosition, "\(damage)", sourceLocation: sourceLocation)
    }

    @Test func damageInEarlierBatchesOfTheLastSegmentFailsOpen() throws {
        try withTemporaryDirectory { root in
            let pristine = root + "/pristine"
            _ = try makeStore(pristine, seed: 40)
            // A long last segment: appends after reopening with the default segment size.
            let log = try openLog(at: pristine, options: fastOptions())
            try appendAll(log, randomBatches(60, maxRecords: 4, maxBytes: 150, seed: 39))
            try log.close()
            let segments = try segmentPaths(pristine)
            let lastName = String(segments.last!.split(separator: "/").last!)
            let batches = try batchLocations(inSegment: segments.last!)
            #expect(batches.count >= 60)
            let work = root + "/work"
            let sites = sample(30, segment: work + "/" + lastName, batches: Array(batches.dropLast()), seed: 41)
            #expect(sites.count >= 25)
            for site in sites {
                try copyStore(pristine, to: work)
                try flipByte(at: site.offset, in: site.segment)
                // The index checkpoint written at close covers the whole segment; without it
                // (a crash before the checkpoint), open has to scan the segment.
                try removeIndexes(work)
                let error = storageError("\(site)") { _ = try openLog(at: work) }
                expectCorrupted(error, at: site)
                // Nothing was cut off or set aside.
                #expect(try fileSize(site.segment) == batches.last!.endOffset)
                #expect(!FileManager.default.fileExists(atPath: work + "/recovered"))
            }
        }
    }

    @Test func damageInSealedSegmentsFailsOpenWhenTheIndexIsGone() throws {
        try withTemporaryDirectory { root in
            let pristine = root + "/pristine"
            _ = try makeStore(pristine, seed: 42)
            let segments = try segmentPaths(pristine)
            #expect(segments.count >= 3)
            let work = root + "/work"
            var sites: [Damage] = []
            for (i, segment) in segments.dropLast().enumerated() {
                let name = String(segment.split(separator: "/").last!)
                // Every batch of a sealed segment, its last included, is checked.
                sites += sample(30 / (segments.count - 1) + 1, segment: work + "/" + name, batches: try batchLocations(inSegment: segment), seed: 43 + UInt64(i))
            }
            #expect(sites.count >= 20)
            for site in sites {
                try copyStore(pristine, to: work)
                try flipByte(at: site.offset, in: site.segment)
                try FileManager.default.removeItem(atPath: String(site.segment.dropLast(4)) + ".idx")
                let error = storageError("\(site)") { _ = try openLog(at: work) }
                expectCorrupted(error, at: site)
            }
        }
    }

    /// With the index intact, open does not read every batch; the damage is reported by the read that reaches it.
    @Test func damageCoveredByAnIndexIsReportedByTheCursor() throws {
        try withTemporaryDirectory { root in
            let pristine = root + "/pristine"
            let records = try makeStore(pristine, seed: 44)
            let segments = try segmentPaths(pristine)
            let work = root + "/work"
            var sites: [Damage] = []
            for (i, segment) in segments.enumerated() {
                let name = String(segment.split(separator: "/").last!)
                sites += sample(3, segment: work + "/" + name, batches: Array(try batchLocations(inSegment: segment).dropLast()), seed: 45 + UInt64(i))
            }
            for site in sites {
                try copyStore(pristine, to: work)
                try flipByte(at: site.offset, in: site.segment)
                let log = try openLog(at: work)
                let cursor = try log.cursor()
                var read: [LogRecord] = []
                let error = storageError("\(site)") { while let record = try cursor.next() { read.append(record) } }
                expectCorrupted(error, at: site)
                #expect(read == Array(records.prefix(Int(site.batch.header.firstPosition))), "\(site): the records before the damage are read")
                // Reading from the next segment on works (a cursor that starts inside the
                // damaged segment may have to walk through the damaged batch from an index entry).
                if let next = log.segments.first(where: { $0.firstPosition > site.batch.header.firstPosition }) {
                    #expect(try readAll(log, from: next.firstPosition) == Array(records[Int(next.firstPosition)...]))
                }
                try log.close()
            }
        }
    }

    /// A batch whose checksums are right but whose chain hash is not: only the chain shows it.
    @Test func aBrokenHashChainIsDetected() throws {
        try withTemporaryDirectory { dir in
            let records = try makeStore(dir, seed: 46)
            let segments = try segmentPaths(dir)
            let segment = segments[1]
            let batch = try batchLocations(inSegment: segment)[2]
            var bytes = try fileBytes(segment)
            let o = Int(batch.offset)
            bytes[o + Format.batchChainedPrefix] ^= 0x01 // the first byte of the chain hash
            // Both checksums recomputed, so that only the chain shows the change.
            let payload = Array(bytes[(o + Format.batchHeaderLength)..<(o + batch.header.totalLength)])
            var crc = CRC32C.extend(0, Array(bytes[o..<(o + Format.batchCRCOffset)]))
            crc = CRC32C.extend(crc, payload)
            bytes.withUnsafeMutableBytes { $0.storeLE(crc, at: o + Format.batchCRCOffset) }
            let headerCRC = CRC32C.checksum(Array(bytes[o..<(o + Format.batchHeaderCRCOffset)]))
            bytes.withUnsafeMutableBytes { $0.storeLE(headerCRC, at: o + Format.batchHeaderCRCOffset) }
            try writeFile(segment, bytes)
            #expect(try batchLocations(inSegment: segment)[2].header.chainHash != batch.header.chainHash)

            // The index still vouches for the segment: open works, a plain read too, a verifying one does not.
            let log = try openLog(at: dir)
            #expect(try readAll(log) == records)
            var read: [LogRecord] = []
            let error = storageError {
                let cursor = try log.cursor(verifyingChain: true)
                while let record = try cursor.next() { read.append(record) }
            }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segment)
            #expect(error?.offset == batch.offset)
            #expect(error?.position == batch.header.firstPosition)
            #expect(error?.message.contains("chain") == true)
            #expect(read == Array(records.prefix(Int(batch.header.firstPosition))))
            try log.close()

            // Without the index, open scans the segment and refuses it.
            try removeIndexes(dir)
            let openError = storageError { _ = try openLog(at: dir) }
            #expect(openError?.code == .corrupted)
            #expect(openError?.path == segment)
            #expect(openError?.offset == batch.offset)
            #expect(openError?.position == batch.header.firstPosition)
        }
    }

    @Test func aMissingSegmentIsReported() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir, seed: 47)
            let segments = try segmentPaths(dir)
            try FileManager.default.removeItem(atPath: segments[1])
            let error = storageError { _ = try openLog(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segments[2])
        }
    }

    @Test func aDamagedSegmentHeaderIsReported() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir, seed: 48)
            let segments = try segmentPaths(dir)
            for segment in [segments[0], segments.last!] {
                try flipByte(at: 20, in: segment)
                try removeIndexes(dir)
                let error = storageError { _ = try openLog(at: dir) }
                #expect(error?.code == .corrupted)
                #expect(error?.path == segment)
                #expect(error?.offset == 0)
                try flipByte(at: 20, in: segment)
            }
            let log = try openLog(at: dir)
            #expect(log.nextPosition > 0)
            try log.close()
        }
    }

    @Test func aTruncatedSealedSegmentIsReportedNotCut() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir, seed: 49)
            let segments = try segmentPaths(dir)
            let batches = try batchLocations(inSegment: segments[1])
            let last = batches.last!
            try truncateFile(segments[1], to: last.endOffset - 10)
            let error = storageError { _ = try openLog(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segments[1])
            #expect(error?.offset == last.offset)
            #expect(error?.position == last.header.firstPosition)
            #expect(try fileSize(segments[1]) == last.endOffset - 10, "nothing was cut")
        }
    }

    @Test func aDamagedManifestIsReported() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir, seed: 50)
            let manifest = dir + "/STORE"
            try flipByte(at: 40, in: manifest)
            let error = storageError { _ = try openLog(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == manifest)
            try flipByte(at: 40, in: manifest)
            try flipByte(at: 0, in: manifest)
            #expect(storageError { _ = try openLog(at: dir) }?.code == .notAStore)
            try FileManager.default.removeItem(atPath: manifest)
            #expect(storageError { _ = try openLog(at: dir) }?.code == .notAStore)
        }
    }

    @Test func aSegmentFromAnotherStoreIsReported() throws {
        try withTemporaryDirectory { root in
            let a = root + "/a", b = root + "/b"
            _ = try makeStore(a, seed: 51)
            _ = try makeStore(b, seed: 51) // the same records, another store id
            let segment = try segmentPaths(b)[1]
            try FileManager.default.removeItem(atPath: segment)
            try FileManager.default.copyItem(atPath: try segmentPaths(a)[1], toPath: segment)
            try removeIndexes(b)
            let error = storageError { _ = try openLog(at: b) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segment)
        }
    }
}
