import Foundation
import Testing

@testable import SilverLedgerStorage

/// A store of `segments`-ish sealed segments holding small and large (> 32 KiB, so
/// that checks run on two cores) batches, some compressed and some stored raw.
private func makeStore(_ dir: String, batches: Int = 24, segmentSize: Int = 16 << 10) throws -> (nextPosition: UInt64, chainHead: String) {
    let log = try openLog(at: dir, options: fastOptions(segmentSize: segmentSize))
    var rng = TestRNG(seed: 7)
    for b in 0..<batches {
        var batch = LogBatch()
        let records = b % 3 == 0 ? 40 : 3
        for r in 0..<records {
            // Every fourth batch is incompressible, so it is stored raw.
            batch.append(b % 4 == 1 ? rng.bytes(1000) : compressibleBytes(1000, tag: b * 100 + r))
        }
        try log.append(batch)
    }
    let result = (log.nextPosition, log.chainHead)
    try log.close()
    return result
}

/// A sealed segment (not the first, not the last) holding at least `batches` batches, and its batches.
private func sealedSegment(_ dir: String, withAtLeast batches: Int) throws -> (path: String, batches: [BatchLocation]) {
    let segments = try segmentPaths(dir)
    for path in segments.dropFirst().dropLast() {
        let locations = try batchLocations(inSegment: path)
        if locations.count >= batches { return (path, locations) }
    }
    Issue.record("no sealed segment with \(batches) batches among \(segments.count)")
    throw StorageError(.invalidArgument, "test store too small")
}

/// Rewrites a raw (uncompressed) batch's first payload byte and recomputes both
/// checksums, as someone editing the file without the chain would.
private func tamperKeepingChecksums(_ location: BatchLocation, in path: String) throws {
    #expect(location.header.flags & Format.flagLZ4 == 0, "tamper a raw batch so the framing stays valid")
    var bytes = try fileBytes(path)
    let start = Int(location.offset)
    let payloadStart = start + Format.batchHeaderLength
    // Skip the two framing varints of the first record (length < 16384, delta 0: 2 + 1 bytes).
    bytes[payloadStart + 3] ^= 0x01
    bytes.withUnsafeMutableBytes { b in
        let header = UnsafeMutableRawBufferPointer(rebasing: b[start..<payloadStart])
        let payload = UnsafeRawBufferPointer(rebasing: b[payloadStart..<(start + location.header.totalLength)])
        header.storeLE(BatchHeader.batchCRC(header: UnsafeRawBufferPointer(header), payload: payload), at: Format.batchCRCOffset)
        header.storeLE(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<Format.batchHeaderCRCOffset])), at: Format.batchHeaderCRCOffset)
    }
    try writeFile(path, bytes)
}

@Suite("Verification and repair")
struct VerifyRepairTests {
    @Test func anIntactStoreVerifiesWithEveryCount() throws {
        try withTemporaryDirectory { dir in
            let (next, head) = try makeStore(dir)
            let report = try Log.verify(at: dir)
            #expect(report.isIntact)
            #expect(report.problems.isEmpty)
            #expect(report.nextPosition == next)
            #expect(report.records == next)
            #expect(report.batches == 24)
            #expect(report.chainHead == head)
            #expect(report.segments == (try segmentPaths(dir)).count)
            #expect(report.segments > 2)
            #expect(report.uncompressedBytes > report.storedBytes)
        }
    }

    @Test func verifyFromAPositionStartsAtItsSegment() throws {
        try withTemporaryDirectory { dir in
            let (next, head) = try makeStore(dir)
            let log = try openLog(at: dir)
            let third = log.segments[2]
            try log.close()
            let report = try Log.verify(at: dir, from: third.firstPosition + 1)
            #expect(report.isIntact)
            #expect(report.firstPosition == third.firstPosition)
            #expect(report.nextPosition == next)
            #expect(report.chainHead == head)
            #expect(report.records == next - third.firstPosition)
        }
    }

    /// A flipped byte in a batch (large ones are checked on two cores) of a sealed segment: verify
    /// and a chain-checking cursor both name the file, the batch's offset and its position;
    /// open, which reads only a sealed segment's last batch, does not see it.
    @Test(arguments: [0, 1])
    func damageInABatchIsFoundWithItsPlace(batchIndexInSegment: Int) throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir, batches: 48)
            let (sealed, locations) = try sealedSegment(dir, withAtLeast: 3)
            let target = locations[batchIndexInSegment]
            try flipByte(at: target.offset + Int64(Format.batchHeaderLength) + Int64(target.header.storedLength) / 2, in: sealed)

            let report = try Log.verify(at: dir)
            let damage = try #require(report.firstDamage)
            #expect(damage.kind == .corruption)
            #expect(damage.path.hasSuffix(String(sealed.split(separator: "/").last!)))
            #expect(damage.offset == target.offset)
            #expect(damage.position == target.header.firstPosition)
            #expect(damage.message.contains("checksum"))
            #expect(!report.isIntact)

            let log = try openLog(at: dir)
            let error = storageError { _ = try readAll(log, verifyingChain: true) }
            #expect(error?.code == .corrupted)
            #expect(error?.offset == target.offset)
            #expect(error?.position == target.header.firstPosition)
            try log.close()
        }
    }

    /// An edit with both checksums recomputed passes the CRCs; only the hash chain catches it.
    @Test func anEditWithRecomputedChecksumsBreaksTheChain() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir)
            let sealed = try segmentPaths(dir)[0]
            let raw = try #require(try batchLocations(inSegment: sealed).first { $0.header.flags & Format.flagLZ4 == 0 })
            try tamperKeepingChecksums(raw, in: sealed)

            let report = try Log.verify(at: dir)
            let damage = try #require(report.firstDamage)
            #expect(damage.kind == .corruption)
            #expect(damage.message.contains("chain"))
            #expect(damage.offset == raw.offset)
            #expect(damage.position == raw.header.firstPosition)
            // A cursor that does not check the chain reads the edited record without noticing: that is what the chain is for.
            let log = try openLog(at: dir)
            #expect(try readAll(log).count == Int(log.nextPosition))
            let error = storageError { _ = try readAll(log, verifyingChain: true) }
            #expect(error?.message.contains("chain") == true)
            try log.close()
        }
    }

    /// Batches of 32 KiB and more are checked on two cores (checksum and chain on one,
    /// decompression on the other): damage and a consistent edit are still found, with their place.
    @Test func largeBatchesAreCheckedOnTwoCoresWithTheSameVerdicts() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            var rng = TestRNG(seed: 11)
            try log.append(LogBatch([[1, 2, 3]]))
            try log.append(LogBatch((0..<64).map { compressibleBytes(1024, tag: $0) }))   // 64 KiB, compressed
            try log.append(LogBatch((0..<40).map { _ in rng.bytes(1024) }))             // 40 KiB, stored raw
            try log.append(LogBatch([[4, 5, 6]]))
            try log.close()
            let segment = try #require(try segmentPaths(dir).first)
            let locations = try batchLocations(inSegment: segment)
            #expect(locations.count == 4)
            #expect(locations[1].header.flags & Format.flagLZ4 != 0 && locations[1].header.uncompressedLength >= 32 << 10)
            #expect(locations[2].header.flags & Format.flagLZ4 == 0 && locations[2].header.uncompressedLength >= 32 << 10)
            #expect(try Log.verify(at: dir).isIntact)

            let pristine = try fileBytes(segment)
            // A flipped byte in the compressed batch.
            try flipByte(at: locations[1].offset + Int64(Format.batchHeaderLength) + 10, in: segment)
            var report = try Log.verify(at: dir)
            #expect(report.firstDamage?.kind == .corruption)
            #expect(report.firstDamage?.offset == locations[1].offset)
            #expect(report.firstDamage?.position == 1)
            #expect(report.firstDamage?.message.contains("checksum") == true)
            var reader = try openLog(at: dir)
            var error = storageError { _ = try readAll(reader, verifyingChain: true) }
            #expect(error?.offset == locations[1].offset)
            #expect(error?.message.contains("checksum") == true)
            try reader.close()

            // An edit of the raw batch with both checksums recomputed.
            try writeFile(segment, pristine)
            try tamperKeepingChecksums(locations[2], in: segment)
            report = try Log.verify(at: dir)
            #expect(report.firstDamage?.kind == .corruption)
            #expect(report.firstDamage?.offset == locations[2].offset)
            #expect(report.firstDamage?.position == 65)
            #expect(report.firstDamage?.message.contains("chain") == true)
            reader = try openLog(at: dir)
            error = storageError { _ = try readAll(reader, verifyingChain: true) }
            #expect(error?.offset == locations[2].offset)
            #expect(error?.message.contains("chain") == true)
            try reader.close()
        }
    }

    @Test func aTornTailAndAMissingIndexAreReportedAsSuch() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir)
            let segments = try segmentPaths(dir)
            let last = try #require(segments.last)
            let lastBatch = try #require(try batchLocations(inSegment: last).last)
            try truncateFile(last, to: lastBatch.endOffset - 5)
            try rewindHead(dir, segment: last, before: lastBatch)   // a crash during the last write
            try FileManager.default.removeItem(atPath: String(segments[0].dropLast(4)) + ".idx")

            let report = try Log.verify(at: dir)
            #expect(report.problems.contains { $0.kind == .index && $0.path.hasSuffix(".idx") })
            let torn = try #require(report.problems.first { $0.kind == .tornTail })
            #expect(torn.offset == lastBatch.offset)
            #expect(torn.position == lastBatch.header.firstPosition)
            #expect(report.isIntact == false)
            #expect(report.nextPosition == lastBatch.header.firstPosition)

            // Open cuts the tail and rebuilds the index; verify then finds the kept bytes only.
            let log = try openLog(at: dir)
            #expect(log.nextPosition == lastBatch.header.firstPosition)
            try log.close()
            let after = try Log.verify(at: dir)
            #expect(after.isIntact)
            #expect(after.problems.map(\.kind) == [.setAside])
        }
    }

    @Test func repairKeepsEverythingBeforeTheDamageAndSetsTheRestAside() throws {
        try withTemporaryDirectory { dir in
            let (next, _) = try makeStore(dir, batches: 48)
            let segments = try segmentPaths(dir)
            let (damaged, locations) = try sealedSegment(dir, withAtLeast: 2)
            let target = locations[1]
            let damagedIndex = try #require(segments.firstIndex(of: damaged))
            #expect(damagedIndex + 1 < segments.count)
            try removeIndexes(dir)   // so that open reads the damaged segment
            try flipByte(at: target.offset + 100, in: damaged)
            let damagedBytes = try fileBytes(damaged)
            let before = try segments[..<damagedIndex].map(fileBytes)

            let openError = storageError { _ = try openLog(at: dir) }
            #expect(openError?.code == .corrupted)
            #expect(openError?.path == damaged)
            #expect(openError?.offset == target.offset)
            #expect(openError?.position == target.header.firstPosition)

            let report = try Log.repair(at: dir)
            #expect(report.repaired)
            #expect(report.nextPosition == target.header.firstPosition)
            #expect(report.truncatedSegment == damaged)
            #expect(report.truncatedAt == target.offset)
            // The damaged segment, copied whole, and every later segment, moved: nothing deleted.
            let copy = try #require(report.setAside.first { $0.hasSuffix(".damaged") })
            #expect(try fileBytes(copy) == damagedBytes)
            for later in segments[(damagedIndex + 1)...] {
                let name = String(later.split(separator: "/").last!)
                #expect(report.setAside.contains { $0.hasSuffix("/recovered/" + name) })
                #expect(!FileManager.default.fileExists(atPath: later))
            }
            #expect(try segments[..<damagedIndex].map(fileBytes) == before)
            #expect(try fileSize(damaged) == target.offset)

            let log = try openLog(at: dir)
            #expect(log.nextPosition == target.header.firstPosition)
            #expect(log.nextPosition < next)
            let records = try readAll(log, verifyingChain: true)
            #expect(records.count == Int(target.header.firstPosition))
            #expect(records.enumerated().allSatisfy { $0.offset == Int($0.element.position) })
            let receipt = try log.append(LogBatch([[1, 2, 3]]))
            #expect(receipt.firstPosition == target.header.firstPosition)
            try log.close()
            let after = try Log.verify(at: dir)
            #expect(after.isIntact)
            #expect(after.problems.allSatisfy { $0.kind == .setAside })
        }
    }

    @Test func repairOfAnIntactStoreChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let (next, head) = try makeStore(dir)
            let files = try segmentPaths(dir).map(fileBytes)
            let report = try Log.repair(at: dir)
            #expect(!report.repaired)
            #expect(report.nextPosition == next)
            #expect(report.setAside.isEmpty)
            #expect(try segmentPaths(dir).map(fileBytes) == files)
            let log = try openLog(at: dir)
            #expect(log.chainHead == head)
            try log.close()
        }
    }

    @Test func repairNeedsTheWriterLock() throws {
        try withTemporaryDirectory { dir in
            _ = try makeStore(dir)
            let log = try openLog(at: dir)
            let error = storageError { _ = try Log.repair(at: dir) }
            #expect(error?.code == .locked)
            #expect(error?.message.contains(dir) == true)
            try log.close()
        }
    }

    /// docs/FORMAT.md is checked against the bytes: the independent verifier written
    /// from it alone must accept a store the library wrote and agree on the chain head.
    @Test func theIndependentVerifierAgreesWithTheLibrary() throws {
        try withTemporaryDirectory { dir in
            let (next, head) = try makeStore(dir)
            let (status, output) = try independentVerifier(dir)
            #expect(status == 0, "verify_format.py: \(output)")
            #expect(output.contains(head), "the verifier's chain head differs: \(output)")
            #expect(output.contains("\(next)"))
        }
    }
}
