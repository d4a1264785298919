import Testing

@_spi(Internals) @testable import SilverLedgerStorage

/// A clock the test sets by hand.
final class ManualClock: Sendable {
    private let now: Locked<Int64>
    init(_ now: Int64) { self.now = Locked(now) }
    func set(_ value: Int64) { now.withLock { $0 = value } }
    var function: @Sendable () -> Int64 { { [self] in now.withLock { $0 } } }
}

@Suite("Round trip: append, read back, reopen")
struct LogRoundTripTests {
    /// Checks records against the batches appended and their receipts.
    private func check(_ records: [LogRecord], against batches: [[[UInt8]]], receipts: [AppendReceipt]) {
        let payloads = batches.flatMap { $0 }
        #expect(records.count == payloads.count)
        #expect(records.map(\.position) == Array(0..<UInt64(payloads.count)))
        #expect(records.map(\.payload) == payloads)
        for (a, b) in zip(records, records.dropFirst()) {
            #expect(a.timestamp <= b.timestamp, "timestamps go back at \(b.position)")
        }
        var next: UInt64 = 0
        for (receipt, batch) in zip(receipts, batches) {
            #expect(receipt.firstPosition == next)
            #expect(receipt.count == batch.count)
            #expect(receipt.positions == next..<(next + UInt64(batch.count)))
            if records.count >= Int(next) + batch.count {
                #expect(records[Int(next)].timestamp == receipt.firstTimestamp)
                #expect(records[Int(next) + batch.count - 1].timestamp == receipt.lastTimestamp)
            }
            next += UInt64(batch.count)
        }
    }

    @Test func syncAppendsReadBackInOrder() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir)
            #expect(log.nextPosition == 0)
            #expect(log.lastTimestamp == nil)
            let batches = randomBatches(25, maxRecords: 6, maxBytes: 300, seed: 1)
            let receipts = try appendAll(log, batches)
            let total = UInt64(batches.reduce(0) { $0 + $1.count })
            #expect(log.nextPosition == total)
            let records = try readAll(log)
            check(records, against: batches, receipts: receipts)
            #expect(log.lastTimestamp == records.last?.timestamp)
            try log.close()
        }
    }

    @Test func asyncAppendsReadBackInOrder() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir, options: LogOptions(durability: .groupCommit))
            let batches = randomBatches(25, maxRecords: 6, maxBytes: 300, seed: 2)
            var receipts: [AppendReceipt] = []
            for batch in batches { receipts.append(try await log.append(LogBatch(batch))) }
            let records = try readAll(log)
            check(records, against: batches, receipts: receipts)
            try log.close()
        }
    }

    @Test func explicitTimestampsArePreserved() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            var first = LogBatch()
            try first.append([1], timestamp: 1_000)
            try first.append([2], timestamp: 1_000)
            try first.append([3], timestamp: 1_500)
            var second = LogBatch()
            try second.append([4], timestamp: 1_500) // equal to the log's last: allowed
            try second.append([5], timestamp: 9_999_999)
            let r1 = try log.append(first)
            let r2 = try log.append(second)
            #expect(r1.firstTimestamp == 1_000 && r1.lastTimestamp == 1_500)
            #expect(r2.firstTimestamp == 1_500 && r2.lastTimestamp == 9_999_999)
            let records = try readAll(log)
            #expect(records.map(\.timestamp) == [1_000, 1_000, 1_500, 1_500, 9_999_999])
            #expect(records.map(\.payload) == [[1], [2], [3], [4], [5]])
            #expect(log.lastTimestamp == 9_999_999)
            try log.close()

            let reopened = try openLog(at: dir, options: fastOptions())
            #expect(try readAll(reopened).map(\.timestamp) == [1_000, 1_000, 1_500, 1_500, 9_999_999])
            #expect(reopened.lastTimestamp == 9_999_999)
            try reopened.close()
        }
    }

    /// The framing of docs/FORMAT.md: each record is varint length, varint timestamp delta, bytes.
    @Test func recordFramingMatchesTheFormat() throws {
        var stamped = LogBatch()
        stamped.append([0xAA, 0xBB])
        stamped.append([])
        #expect(stamped.framed == [2, 0, 0xAA, 0xBB, 0, 0])
        var explicit = LogBatch()
        try explicit.append([0xAA, 0xBB], timestamp: 1_000)
        try explicit.append([0xCC], timestamp: 1_300)
        #expect(explicit.framed == [2, 0, 0xAA, 0xBB, 1, 0xAC, 0x02, 0xCC])
        #expect(explicit.count == 2)
        #expect(explicit.payloadBytes == 3)
    }

    @Test func timestampsGoingBackwardsAreRejectedAndNothingIsWritten() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir)
            var batch = LogBatch()
            try batch.append([1], timestamp: 5_000)
            try appendSync(log, batch)
            let head = log.chainHead
            let size = try fileSize(try segmentPaths(dir)[0])

            var backwards = LogBatch()
            try backwards.append([2], timestamp: 4_999)
            let error = storageError { try log.append(backwards) }
            #expect(error?.code == .invalidArgument)
            let asyncError = await storageErrorAsync { try await log.append(backwards) }
            #expect(asyncError?.code == .invalidArgument)

            #expect(log.nextPosition == 1)
            #expect(log.lastTimestamp == 5_000)
            #expect(log.chainHead == head)
            #expect(try fileSize(try segmentPaths(dir)[0]) == size)
            #expect(try readAll(log).map(\.payload) == [[1]])

            // Within a batch, and mixing stamped and unstamped records, the batch itself refuses.
            var inBatch = LogBatch()
            try inBatch.append([3], timestamp: 6_000)
            let withinError = storageError { try inBatch.append([4], timestamp: 5_999) }
            #expect(withinError?.code == .invalidArgument)
            #expect(inBatch.count == 1)
            var mixed = LogBatch()
            mixed.append([5])
            let mixedError = storageError { try mixed.append([6], timestamp: 7_000) }
            #expect(mixedError?.code == .invalidArgument)
            #expect(mixed.count == 1)

            // The log still appends after the rejections, without going back in time.
            let receipt = try appendSync(log, inBatch)
            #expect(receipt.firstPosition == 1)
            let stamped = try appendSync(log, LogBatch([[7]]))
            #expect(stamped.firstPosition == 2)
            #expect(stamped.firstTimestamp >= 6_000)
            #expect(try readAll(log).map(\.payload) == [[1], [3], [7]])
            try log.close()
        }
    }

    @Test func aClockGoingBackwardsNeverMakesTimestampsDecrease() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions()
            let clock = ManualClock(10_000)
            options.clock = clock.function
            let log = try openLog(at: dir, options: options)
            for (i, now) in [Int64(10_000), 9_000, 8_000, 12_000, 11_000].enumerated() {
                clock.set(now)
                try log.append(LogBatch([[UInt8(i)]]))
            }
            let records = try readAll(log)
            #expect(records.map(\.timestamp) == [10_000, 10_000, 10_000, 12_000, 12_000])
            var late = LogBatch()
            try late.append([9], timestamp: 11_999)
            #expect(storageError { try log.append(late) }?.code == .invalidArgument)
            #expect(log.nextPosition == 5)
            try log.close()
        }
    }

    @Test func emptyBatchIsRejected() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir)
            let error = storageError { try log.append(LogBatch()) }
            #expect(error?.code == .invalidArgument)
            let asyncError = await storageErrorAsync { try await log.append(LogBatch()) }
            #expect(asyncError?.code == .invalidArgument)
            #expect(log.nextPosition == 0)
            #expect(try readAll(log).isEmpty)
            // An empty payload is a record, though.
            let receipt = try appendSync(log, LogBatch([[]]))
            #expect(receipt.count == 1)
            #expect(try readAll(log).map(\.payload) == [[]])
            try log.close()
        }
    }

    @Test func batchOverMaxBatchBytesIsRejected() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions()
            options.maxBatchBytes = 1024
            let log = try openLog(at: dir, options: options)
            var rng = TestRNG(seed: 3)
            let tooBig = LogBatch([rng.bytes(1100)])
            #expect(storageError { try log.append(tooBig) }?.code == .invalidArgument)
            let manySmall = LogBatch((0..<20).map { _ in rng.bytes(60) })
            #expect(storageError { try log.append(manySmall) }?.code == .invalidArgument)
            #expect(log.nextPosition == 0)
            let fits = [rng.bytes(1000)] // 1000 bytes + 2 of length + 1 of timestamp delta
            try log.append(LogBatch(fits))
            #expect(try readAll(log).map(\.payload) == fits)
            try log.close()
        }
    }

    @Test func reopenReadsTheSameRecords() throws {
        try withTemporaryDirectory { dir in
            let batches = randomBatches(40, maxRecords: 8, maxBytes: 200, seed: 4)
            let log = try openLog(at: dir, options: fastOptions())
            let receipts = try appendAll(log, batches)
            let before = try readAll(log)
            let storeID = log.storeID
            let chainHead = log.chainHead
            let lastTimestamp = log.lastTimestamp
            try log.close()

            let reopened = try openLog(at: dir, options: fastOptions())
            #expect(reopened.storeID == storeID)
            #expect(reopened.storeID.count == 32)
            #expect(reopened.chainHead == chainHead)
            #expect(reopened.lastTimestamp == lastTimestamp)
            #expect(reopened.nextPosition == UInt64(before.count))
            #expect(reopened.recoveryReport.setAside.isEmpty)
            #expect(reopened.recoveryReport.rebuiltIndexes.isEmpty)
            #expect(reopened.recoveryReport.bytesScanned == 0)
            let after = try readAll(reopened)
            #expect(after == before)
            check(after, against: batches, receipts: receipts)

            let more = try reopened.append(LogBatch([[42]]))
            #expect(more.firstPosition == UInt64(before.count))
            #expect(more.firstTimestamp >= lastTimestamp!)
            try reopened.close()

            let third = try openLog(at: dir, options: fastOptions())
            #expect(try readAll(third) == after + [LogRecord(position: more.firstPosition, timestamp: more.firstTimestamp, payload: [42])])
            try third.close()
        }
    }

    @Test func compressiblePayloadsAreStoredCompressedAndRandomOnesRaw() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            let compressible = (0..<10).map { compressibleBytes(2_000, tag: $0) }
            var rng = TestRNG(seed: 5)
            let random = (0..<10).map { _ in rng.bytes(2_000) }
            try log.append(LogBatch(compressible))
            try log.append(LogBatch(random))
            try log.close()

            let reopened = try openLog(at: dir, options: fastOptions())
            let cursor = try reopened.cursor()
            let packed = try #require(try cursor.nextBatch())
            #expect(packed.count == 10)
            #expect(packed.storedBytes < packed.uncompressedBytes)
            #expect(packed.storedBytes < packed.uncompressedBytes / 4)
            #expect(packed.header.flags & Format.flagLZ4 != 0)
            #expect(packed.records.map(\.payload) == compressible)

            let raw = try #require(try cursor.nextBatch())
            #expect(raw.count == 10)
            #expect(raw.header.flags & Format.flagLZ4 == 0)
            #expect(raw.storedBytes == raw.uncompressedBytes + Format.batchHeaderLength)
            #expect(raw.uncompressedBytes >= 20_000)
            #expect(raw.records.map(\.payload) == random)
            #expect(try cursor.nextBatch() == nil)

            // What the views report is what lies on disk.
            let locations = try batchLocations(inSegment: try segmentPaths(dir)[0])
            #expect(locations.map(\.header.totalLength) == [packed.storedBytes, raw.storedBytes])
            try reopened.close()
        }
    }

    @Test func nextBatchReturnsOneBatchAtATime() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            var rng = TestRNG(seed: 6)
            // Eight batches of about 1 MiB each: a view never holds more than its own batch.
            let batches = (0..<8).map { i in (0..<(i + 1)).map { _ in rng.bytes((1 << 20) / (i + 1)) } }
            try appendAll(log, batches)
            let cursor = try log.cursor()
            var position: UInt64 = 0
            for batch in batches {
                let view = try #require(try cursor.nextBatch())
                #expect(view.firstPosition == position)
                #expect(view.count == batch.count)
                #expect(view.uncompressedBytes < (1 << 20) + 64)
                #expect(view.uncompressedBytes >= batch.reduce(0) { $0 + $1.count })
                var seen: [UInt8] = []
                var positions: [UInt64] = []
                view.forEach { p, _, bytes in
                    positions.append(p)
                    seen.append(contentsOf: bytes.prefix(4))
                }
                #expect(positions == Array(position..<(position + UInt64(batch.count))))
                #expect(seen == batch.flatMap { $0.prefix(4) })
                #expect(view.records.map(\.payload) == batch)
                #expect(cursor.position == position + UInt64(batch.count))
                position += UInt64(batch.count)
            }
            #expect(try cursor.nextBatch() == nil)
            try log.close()
        }
    }

    @Test func cursorFromTheMiddleOfABatch() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions())
            let first = (0..<10).map { [UInt8($0)] }
            let second = (10..<15).map { [UInt8($0)] }
            try appendAll(log, [first, second])

            #expect(try readAll(log, from: 4).map(\.position) == Array(4..<15))
            #expect(try readAll(log, from: 4).map(\.payload) == (first + second).suffix(11).map { $0 })

            let batches = try log.cursor(from: 4)
            let view = try #require(try batches.nextBatch())
            #expect(view.firstPosition == 4)
            #expect(view.count == 6)
            #expect(view.records.map(\.position) == Array(4..<10))
            #expect(view.records.map(\.payload) == Array(first[4...]))
            #expect(try batches.nextBatch()?.firstPosition == 10)
            #expect(try batches.nextBatch() == nil)

            // next() then nextBatch(): the rest of the batch next() is in.
            let mixed = try log.cursor(from: 7)
            #expect(try mixed.next()?.position == 7)
            let rest = try #require(try mixed.nextBatch())
            #expect(rest.firstPosition == 8)
            #expect(rest.records.map(\.position) == [8, 9])
            #expect(try mixed.next()?.position == 10)

            // The end, and past it.
            #expect(try log.cursor(from: 15).next() == nil)
            let error = storageError { _ = try log.cursor(from: 16) }
            #expect(error?.code == .positionOutOfRange)
            #expect(error?.position == 16)
            try log.close()
        }
    }

    @Test func cursorAtTheEndSeesLaterAppends() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 4096))
            try log.append(LogBatch([[0], [1]]))
            let cursor = try log.cursor()
            #expect(try cursor.next()?.position == 0)
            #expect(try cursor.next()?.position == 1)
            #expect(try cursor.next() == nil)
            var rng = TestRNG(seed: 7)
            let later = (0..<60).map { _ in [rng.bytes(200)] } // rolls several segments
            try appendAll(log, later)
            #expect(log.segments.count > 2)
            var seen: [LogRecord] = []
            while let record = try cursor.next() { seen.append(record) }
            #expect(seen.map(\.position) == Array(2..<62))
            #expect(seen.map(\.payload) == later.flatMap { $0 })
            try log.close()
        }
    }

    @Test func positionAtOrAfterTimestamp() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions(segmentSize: 4096)
            options.indexInterval = 512
            let log = try openLog(at: dir, options: options)
            #expect(try log.position(atOrAfter: 0) == 0)
            #expect(try log.position(atOrAfter: .max) == 0)

            var rng = TestRNG(seed: 8)
            var timestamps: [Int64] = []
            var time: Int64 = 1_000_000
            for _ in 0..<150 {
                var batch = LogBatch()
                for _ in 0..<rng.int(in: 1...6) {
                    time += Int64(rng.int(in: 0...3)) * 10 // repeats, small steps
                    try batch.append(rng.bytes(rng.int(in: 10...80)), timestamp: time)
                    timestamps.append(time)
                }
                try log.append(batch)
                time += Int64(rng.int(in: 0...2)) * 10
            }
            #expect(log.segments.count > 3)

            func expected(_ t: Int64) -> UInt64 {
                UInt64(timestamps.firstIndex { $0 >= t } ?? timestamps.count)
            }
            var probes: [Int64] = [.min, 0, timestamps[0] - 1, timestamps[0], timestamps.last!, timestamps.last! + 1, .max]
            for t in Set(timestamps) { probes += [t - 5, t, t + 5] }
            for t in probes {
                #expect(try log.position(atOrAfter: t) == expected(t), "timestamp \(t)")
            }
            #expect(try log.position(atOrAfter: timestamps[0] - 1) == 0)
            #expect(try log.position(atOrAfter: timestamps.last! + 1) == log.nextPosition)
            try log.close()

            let reopened = try openLog(at: dir, options: options)
            for t in probes.shuffled(using: &rng).prefix(60) {
                #expect(try reopened.position(atOrAfter: t) == expected(t), "after reopen, timestamp \(t)")
            }
            try reopened.close()
        }
    }

    @Test func verifyingChainCursorReadsTheWholeLog() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: fastOptions(segmentSize: 8192))
            try appendAll(log, randomBatches(120, maxRecords: 5, maxBytes: 150, seed: 9))
            #expect(log.segments.count > 3)
            let plain = try readAll(log)
            #expect(try readAll(log, verifyingChain: true) == plain)
            for start in [UInt64(1), UInt64(plain.count / 2), UInt64(plain.count - 1), UInt64(plain.count)] {
                #expect(try readAll(log, from: start, verifyingChain: true) == Array(plain[Int(start)...]))
            }
            try log.close()
            let reopened = try openLog(at: dir)
            #expect(try readAll(reopened, verifyingChain: true) == plain)
            try reopened.close()
        }
    }

    @Test func aClosedLogRefusesAppendsAndReads() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir)
            try appendSync(log, LogBatch([[1]]))
            let cursor = try log.cursor()
            try log.close()
            try log.close() // twice is harmless
            #expect(storageError { try log.append(LogBatch([[2]])) }?.code == .closed)
            #expect(await storageErrorAsync { try await log.append(LogBatch([[2]])) }?.code == .closed)
            #expect(storageError { _ = try log.cursor() }?.code == .closed)
            #expect(storageError { _ = try cursor.next() }?.code == .closed)

            let reopened = try openLog(at: dir)
            #expect(try readAll(reopened).map(\.payload) == [[1]])
            try reopened.close()
        }
    }

    @Test func timestampsStayMonotonicAcrossAReopenWithAClockBehind() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions()
            options.clock = ManualClock(50_000).function
            let log = try openLog(at: dir, options: options)
            try log.append(LogBatch([[1]]))
            try log.close()
            options.clock = ManualClock(20_000).function
            let reopened = try openLog(at: dir, options: options)
            #expect(reopened.lastTimestamp == 50_000)
            let receipt = try reopened.append(LogBatch([[2]]))
            #expect(receipt.firstTimestamp == 50_000)
            var early = LogBatch()
            try early.append([3], timestamp: 49_999)
            #expect(storageError { try reopened.append(early) }?.code == .invalidArgument)
            #expect(try readAll(reopened).map(\.timestamp) == [50_000, 50_000])
            try reopened.close()
        }
    }

    /// Explicit timestamps far apart (more than Int64.max between a batch's first and
    /// last) must be refused or stored, not crash the process.
    @Test func explicitTimestampsTooFarApartDoNotCrash() async {
        await #expect(processExitsWith: .success) {
            var batch = LogBatch()
            try? batch.append([1], timestamp: -1)
            try? batch.append([2], timestamp: .max)
            var wide = LogBatch()
            try? wide.append([1], timestamp: .min)
            try? wide.append([2], timestamp: 1)
        }
    }
}
