import Foundation
import Testing

@testable import SilverLedgerStorage

@Suite("Torn tails: an incomplete last batch is cut off and kept aside")
struct TornTailTests {
    /// A closed store of `batches` batches, the last one small; returns its records grouped by batch.
    private func makeStore(_ dir: String, segmentSize: Int = 64 << 20, seed: UInt64) throws -> [[LogRecord]] {
        let log = try openLog(at: dir, options: fastOptions(segmentSize: segmentSize))
        var batches = randomBatches(12, maxRecords: 4, maxBytes: 120, seed: seed)
        var rng = TestRNG(seed: seed + 1000)
        batches.append([rng.bytes(17), rng.bytes(9)]) // the last: two small records (a header and about 30 bytes)
        try appendAll(log, batches)
        let records = try readBatches(log)
        try log.close()
        return records
    }

    /// Opens `dir` after its last segment was cut or damaged at `cut`, checks what recovery did.
    private func checkRecovered(
        _ dir: String, expected kept: [[LogRecord]], lastBatchOffset: Int64, cutBytes: [UInt8], reason: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let segment = try segmentPaths(dir).last!
        let log = try openLog(at: dir)
        let keptRecords = kept.flatMap { $0 }
        #expect(log.nextPosition == UInt64(keptRecords.count), sourceLocation: sourceLocation)
        #expect(try readAll(log) == keptRecords, sourceLocation: sourceLocation)
        let report = log.recoveryReport
        if cutBytes.isEmpty {
            #expect(report.setAside.isEmpty, sourceLocation: sourceLocation)
        } else {
            #expect(report.setAside.count == 1, sourceLocation: sourceLocation)
            if let aside = report.setAside.first {
                #expect(aside.segment == segment, sourceLocation: sourceLocation)
                #expect(aside.offset == lastBatchOffset, sourceLocation: sourceLocation)
                #expect(aside.length == Int64(cutBytes.count), sourceLocation: sourceLocation)
                #expect(aside.copy.hasPrefix(dir + "/recovered/"), sourceLocation: sourceLocation)
                #expect(try fileBytes(aside.copy) == cutBytes, "the copy holds the bytes cut off", sourceLocation: sourceLocation)
                if let reason { #expect(aside.reason.contains(reason), "reason: \(aside.reason)", sourceLocation: sourceLocation) }
            }
        }
        #expect(try fileSize(segment) == lastBatchOffset, "the segment is cut back to the last whole batch", sourceLocation: sourceLocation)
        // The log goes on from there.
        let receipt = try log.append(LogBatch([[0xAB, 0xCD]]))
        #expect(receipt.firstPosition == UInt64(keptRecords.count), sourceLocation: sourceLocation)
        try log.close()

        let again = try openLog(at: dir)
        #expect(again.recoveryReport.setAside.isEmpty, sourceLocation: sourceLocation)
        let all = try readAll(again, verifyingChain: true)
        #expect(Array(all.dropLast()) == keptRecords, sourceLocation: sourceLocation)
        #expect(all.last?.payload == [0xAB, 0xCD], sourceLocation: sourceLocation)
        #expect(all.last?.position == UInt64(keptRecords.count), sourceLocation: sourceLocation)
        try again.close()
    }

    /// `removeIndex`: also delete the index files, as after a crash before the last
    /// segment's index was written (otherwise the index written at close is found stale).
    @Test(arguments: [(64 << 20, false), (64 << 20, true), (1024, false), (1024, true)])
    func cutAtEveryOffsetOfTheLastBatch(segmentSize: Int, removeIndex: Bool) throws {
        try withTemporaryDirectory { root in
            let pristine = root + "/pristine"
            let batches = try makeStore(pristine, segmentSize: segmentSize, seed: 30)
            let segment = try segmentPaths(pristine).last!
            let name = String(segment.split(separator: "/").last!)
            let locations = try batchLocations(inSegment: segment)
            let last = try #require(locations.last)
            #expect(last.header.firstPosition == batches.last!.first!.position)
            let original = try fileBytes(segment)
            #expect(Int64(original.count) == last.endOffset)

            let work = root + "/work"
            for cut in last.offset..<last.endOffset {
                try copyStore(pristine, to: work)
                try truncateFile(work + "/" + name, to: cut)
                try rewindHead(work, segment: work + "/" + name, before: last)
                if removeIndex { try removeIndexes(work) }
                try checkRecovered(
                    work, expected: Array(batches.dropLast()), lastBatchOffset: last.offset,
                    cutBytes: Array(original[Int(last.offset)..<Int(cut)]), reason: "incomplete")
            }
        }
    }

    @Test(arguments: [1, 50, Format.batchHeaderLength - 1, Format.batchHeaderLength, 200, 4096])
    func garbageAfterTheLastBatchIsCutOff(length: Int) throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 31)
            let segment = try segmentPaths(dir).last!
            let end = try fileSize(segment)
            var rng = TestRNG(seed: UInt64(length))
            let garbage = rng.bytes(length)
            try appendToFile(segment, garbage)
            try checkRecovered(dir, expected: batches, lastBatchOffset: end, cutBytes: garbage)
        }
    }

    @Test func zerosAfterTheLastBatchAreCutOff() throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 32)
            let segment = try segmentPaths(dir).last!
            let end = try fileSize(segment)
            let zeros = [UInt8](repeating: 0, count: 8192)
            try appendToFile(segment, zeros)
            try checkRecovered(dir, expected: batches, lastBatchOffset: end, cutBytes: zeros, reason: "magic")
        }
    }

    /// A complete last batch whose checksum fails, with no durable HEAD covering
    /// it, is ambiguous (a torn write, or damage after it was acknowledged):
    /// Recovery.swift cuts it off and keeps it aside (`Recovery.tornTailReason`:
    /// nothing of a later write follows it).
    @Test(arguments: [0, 1, 2, 10, 25])
    func aCompleteLastBatchWithAFlippedPayloadByteIsSetAside(payloadOffset: Int) throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 33)
            let segment = try segmentPaths(dir).last!
            let last = try #require(try batchLocations(inSegment: segment).last)
            let offset = last.offset + Int64(Format.batchHeaderLength) + Int64(min(payloadOffset, Int(last.header.storedLength) - 1))
            try flipByte(at: offset, in: segment)
            try rewindHead(dir, segment: segment, before: last)
            let damaged = Array(try fileBytes(segment)[Int(last.offset)...])
            try checkRecovered(
                dir, expected: Array(batches.dropLast()), lastBatchOffset: last.offset, cutBytes: damaged,
                reason: "checksum")
        }
    }

    @Test(arguments: [0, 4, 8, 30, 50, 83, 85])
    func aCompleteLastBatchWithAFlippedHeaderByteIsSetAside(headerOffset: Int) throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 34)
            let segment = try segmentPaths(dir).last!
            let last = try #require(try batchLocations(inSegment: segment).last)
            try flipByte(at: last.offset + Int64(headerOffset), in: segment)
            try rewindHead(dir, segment: segment, before: last)
            let damaged = Array(try fileBytes(segment)[Int(last.offset)...])
            try checkRecovered(dir, expected: Array(batches.dropLast()), lastBatchOffset: last.offset, cutBytes: damaged)
        }
    }

    /// The same damage to the last batch of a store closed cleanly: its HEAD is
    /// durable and covers the batch, which was synced and acknowledged, so it is
    /// damage. Open refuses the store naming the place and changes nothing;
    /// verify calls it damage; repair cuts it, keeping a copy.
    @Test(arguments: ["payload byte", "header byte", "lost end"])
    func damageToAnAcknowledgedLastBatchIsRefusedNotSetAside(_ damage: String) throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 37)
            let segment = try segmentPaths(dir).last!
            let last = try #require(try batchLocations(inSegment: segment).last)
            switch damage {
            case "payload byte": try flipByte(at: last.offset + Int64(Format.batchHeaderLength) + 2, in: segment)
            case "header byte": try flipByte(at: last.offset + 30, in: segment)
            default: try truncateFile(segment, to: last.endOffset - 5)
            }
            let before = try fileBytes(segment)
            let error = storageError { _ = try openLog(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segment)
            #expect(error?.offset == last.offset)
            #expect(error?.position == last.header.firstPosition)
            #expect(error?.message.contains("below the writer's durable commit watermark") == true, "\(String(describing: error))")
            #expect(try fileBytes(segment) == before, "open changes nothing")
            #expect(!FileManager.default.fileExists(atPath: dir + "/recovered"))
            // A reader refuses it too.
            var readOnly = LogOptions()
            readOnly.readOnly = true
            #expect(storageError { _ = try openLog(at: dir, options: readOnly) }?.code == .corrupted)

            let report = try Log.verify(at: dir)
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .corruption)
            #expect(problem.offset == last.offset)
            #expect(problem.message.contains("durable commit watermark"))

            let repaired = try Log.repair(at: dir)
            #expect(repaired.repaired)
            #expect(repaired.nextPosition == last.header.firstPosition)
            let log = try openLog(at: dir)
            #expect(try readAll(log, verifyingChain: true) == batches.dropLast().flatMap { $0 })
            try log.close()
        }
    }

    /// A last segment cut exactly at a batch boundary reads as a shorter, whole
    /// log; only the durable watermark tells that acknowledged batches are gone.
    /// Open refuses it, verify reports it, repair records it and lets the
    /// shorter log open.
    @Test func aLastSegmentCutAtABatchBoundaryBelowADurableHeadIsRefused() throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 38)
            let segment = try segmentPaths(dir).last!
            let locations = try batchLocations(inSegment: segment)
            let cut = locations[locations.count - 3]   // the last three batches gone, whole
            try truncateFile(segment, to: cut.offset)
            let error = storageError { _ = try openLog(at: dir) }
            #expect(error?.code == .corrupted)
            #expect(error?.path == segment)
            #expect(error?.offset == cut.offset)
            #expect(error?.position == cut.header.firstPosition)
            #expect(error?.message.contains("acknowledged batches are missing") == true, "\(String(describing: error))")
            #expect(try fileSize(segment) == cut.offset, "open changes nothing")

            let report = try Log.verify(at: dir)
            #expect(report.problems.first?.kind == .corruption)
            #expect(report.problems.first?.offset == cut.offset)

            let repaired = try Log.repair(at: dir)
            #expect(repaired.repaired)
            #expect(repaired.nextPosition == cut.header.firstPosition)
            let log = try openLog(at: dir)
            let kept = batches.dropLast(3).flatMap { $0 }
            #expect(try readAll(log, verifyingChain: true) == kept)
            try log.close()
        }
    }

    /// The durable flag of HEAD says what was synced: set after commits in the
    /// durable modes, at open and at close; not after a commit under `none`.
    @Test func headIsDurableOnlyWhenWhatItCoversWasSynced() throws {
        func head(_ dir: String) throws -> Head { try #require(Head.decode(try fileBytes(dir + "/HEAD"))) }
        try withTemporaryDirectory { dir in
            for durability in [Durability.none, .fsyncPerAppend, .groupCommit] {
                let path = dir + "/\(durability)"
                let log = try openLog(at: path, options: LogOptions(durability: durability))
                #expect(try head(path).durable, "at open (\(durability))")
                let receipt = try appendSync(log, LogBatch([[1, 2, 3]]))
                let after = try head(path)
                #expect(after.nextPosition == receipt.firstPosition + 1)
                #expect(after.durable == (durability != .none), "after a commit (\(durability))")
                try log.close()
                #expect(try head(path).durable, "at close (\(durability))")
            }
        }
    }

    @Test func anInterruptedSegmentCreationIsRemoved() throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 35)
            let records = batches.flatMap { $0 }
            // A roll that crashed after creating the next file, before its header was whole.
            let next = dir + "/" + Format.fileStem(UInt64(records.count)) + ".seg"
            try writeFile(next, [0x53, 0x4C, 0x53])
            let log = try openLog(at: dir)
            #expect(log.recoveryReport.removedEmptySegments == [next])
            #expect(!FileManager.default.fileExists(atPath: next))
            #expect(try readAll(log) == records)
            #expect(try log.append(LogBatch([[1]])).firstPosition == UInt64(records.count))
            try log.close()
        }
    }

    @Test func aReaderLeavesATornTailAlone() throws {
        try withTemporaryDirectory { dir in
            let batches = try makeStore(dir, seed: 36)
            let segment = try segmentPaths(dir).last!
            let last = try #require(try batchLocations(inSegment: segment).last)
            try truncateFile(segment, to: last.endOffset - 5)
            try rewindHead(dir, segment: segment, before: last)
            var options = LogOptions()
            options.readOnly = true
            let reader = try openLog(at: dir, options: options)
            #expect(try readAll(reader) == batches.dropLast().flatMap { $0 })
            #expect(reader.recoveryReport.setAside.isEmpty)
            try reader.close()
            #expect(try fileSize(segment) == last.endOffset - 5, "a reader changes nothing")
            #expect(!FileManager.default.fileExists(atPath: dir + "/recovered"))
        }
    }

    // MARK: Writes of several batches (group commit)

    /// A store whose last write (one group commit) holds at least two batches;
    /// returns its batches and the index in them where the last write starts.
    private func makeStoreEndingInAGroup(_ dir: String) async throws -> (locations: [BatchLocation], lastWrite: Int) {
        let log = try openLog(at: dir, options: LogOptions(durability: .groupCommit))
        for burst in 0..<30 {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<24 {
                    group.addTask { _ = try? await log.append(LogBatch([compressibleBytes(40 + i, tag: burst), [UInt8(i)]])) }
                }
            }
            let locations = try batchLocations(inSegment: try segmentPaths(dir).last!)
            let lastGroup = locations.last!.header.groupFirstPosition
            let start = locations.firstIndex { $0.header.groupFirstPosition == lastGroup }!
            if locations.count - start >= 2 && start >= 2 {
                try log.close()
                return (locations, start)
            }
        }
        try log.close()
        Issue.record("group commit never wrote two batches with one write")
        throw ChildError("no multi-batch write")
    }

    /// A crash in the middle of a write of several batches may leave any of them
    /// damaged, followed by whole ones of the same write: all of it is a torn tail.
    @Test func aTornMultiBatchWriteIsCutFromItsFirstBadBatch() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let (locations, start) = try await makeStoreEndingInAGroup(dir)
            let segment = try segmentPaths(dir).last!
            let damaged = locations[start]
            #expect(locations[start + 1].header.groupFirstPosition == damaged.header.firstPosition)
            try flipByte(at: damaged.offset + Int64(Format.batchHeaderLength) + 3, in: segment)
            try rewindHead(dir, segment: segment, before: damaged)
            try removeIndexes(dir) // the crash came before the index was written
            let cut = Array(try fileBytes(segment)[Int(damaged.offset)...])
            let log = try openLog(at: dir)
            #expect(log.nextPosition == damaged.header.firstPosition)
            #expect(try readAll(log).count == Int(damaged.header.firstPosition))
            #expect(log.recoveryReport.setAside.count == 1)
            #expect(log.recoveryReport.setAside.first?.offset == damaged.offset)
            if let copy = log.recoveryReport.setAside.first?.copy { #expect(try fileBytes(copy) == cut) }
            #expect(try appendSync(log, LogBatch([[1]])).firstPosition == damaged.header.firstPosition)
            try log.close()
        }
    }

    /// Damage in a write that a later write follows was acknowledged before it went bad: open fails.
    @Test func damageFollowedByALaterWriteIsNotATornTail() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let (locations, start) = try await makeStoreEndingInAGroup(dir)
            let segment = try segmentPaths(dir).last!
            let damaged = locations[start - 1] // the last batch of the write before the last one
            #expect(damaged.header.groupFirstPosition < locations[start].header.groupFirstPosition)
            for offset in [damaged.offset + 10, damaged.offset + Int64(Format.batchHeaderLength) + 1] {
                try flipByte(at: offset, in: segment)
                try removeIndexes(dir)
                let error = storageError { _ = try openLog(at: dir) }
                #expect(error?.code == .corrupted)
                #expect(error?.path == segment)
                #expect(error?.offset == damaged.offset)
                #expect(error?.position == damaged.header.firstPosition)
                try flipByte(at: offset, in: segment)
            }
            let log = try openLog(at: dir)
            #expect(log.nextPosition == locations.last!.header.nextPosition)
            try log.close()
        }
    }
}
