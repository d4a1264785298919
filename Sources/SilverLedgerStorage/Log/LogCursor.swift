/// A record read from the log.
public struct LogRecord: Sendable, Hashable {
    /// The record's position in the log.
    public var position: UInt64
    /// When it was committed (or the time it was given), in microseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    /// The bytes appended.
    public var payload: [UInt8]
}

/// One committed batch, decompressed and checked, as a cursor read it.
///
/// ``forEach(_:)`` hands out each record's bytes without copying them; a
/// cursor reuses its buffer, so keep a view only while you use it.
public struct BatchView: Sendable {
    /// The position of the first record the view presents.
    public var firstPosition: UInt64 { header.firstPosition + UInt64(skip) }
    /// How many records the view presents.
    public var count: Int { Int(header.recordCount) - skip }
    /// The timestamp of the batch's first record.
    public var firstTimestamp: Int64 { header.minTimestamp }
    /// The timestamp of the batch's last record.
    public var lastTimestamp: Int64 { header.maxTimestamp }
    /// The bytes the batch takes on disk, header included.
    public var storedBytes: Int { header.totalLength }
    /// The bytes of its records after decompression, framing included.
    public var uncompressedBytes: Int { Int(header.uncompressedLength) }

    let header: BatchHeader
    let framed: [UInt8]
    /// Records at the start of the batch that come before the position the cursor was asked for.
    let skip: Int

    /// Calls `body` with each record's position, timestamp and bytes (valid only during the call).
    public func forEach(_ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try framed.withUnsafeBytes { b in
            var offset = 0
            var index = 0
            while offset < b.count {
                // The framing was checked when the batch was read.
                let length = Int(readVarint(b, &offset)!)
                let delta = readVarint(b, &offset)!
                if index >= skip {
                    try body(header.firstPosition + UInt64(index), header.timestamp(delta),
                             UnsafeRawBufferPointer(rebasing: b[offset..<(offset + length)]))
                }
                offset += length
                index += 1
            }
        }
    }

    /// Like ``forEach(_:)``, but each record's bytes as a slice of the batch's
    /// buffer, which stays valid after the call (it keeps the buffer alive; the
    /// cursor then decodes its next batch into a new one).
    package func forEachSlice(_ body: (UInt64, Int64, ArraySlice<UInt8>) throws -> Void) rethrows {
        let framed = self.framed
        try framed.withUnsafeBytes { b in
            var offset = 0
            var index = 0
            while offset < b.count {
                // The framing was checked when the batch was read.
                let length = Int(readVarint(b, &offset)!)
                let delta = readVarint(b, &offset)!
                if index >= skip {
                    try body(header.firstPosition + UInt64(index), header.timestamp(delta), framed[offset..<(offset + length)])
                }
                offset += length
                index += 1
            }
        }
    }

    /// Whether the view presents the record at `position`.
    func contains(_ position: UInt64) -> Bool {
        position >= firstPosition && position < header.nextPosition
    }

    /// The record at `position` (copied), walking the framing; nil if the view does not present it.
    func record(at position: UInt64) -> LogRecord? {
        guard contains(position) else { return nil }
        let target = Int(position - header.firstPosition)
        return framed.withUnsafeBytes { b -> LogRecord? in
            var offset = 0
            for index in 0...target {
                // The framing was checked when the batch was read.
                let length = Int(readVarint(b, &offset)!)
                let delta = readVarint(b, &offset)!
                if index == target {
                    return LogRecord(position: position, timestamp: header.timestamp(delta),
                                     payload: Array(b[offset..<(offset + length)]))
                }
                offset += length
            }
            return nil
        }
    }

    /// The records, copied.
    public var records: [LogRecord] {
        var out: [LogRecord] = []
        out.reserveCapacity(count)
        forEach { out.append(LogRecord(position: $0, timestamp: $1, payload: Array($2))) }
        return out
    }
}

/// Reads records forward from a position, one batch in memory at a time.
///
/// Every batch is checked before any of its records is returned: header and
/// batch checksums, decompression, record framing, positions and timestamps
/// (and the chain link, if asked). Damage is thrown as
/// ``StorageError/Code/corrupted`` with its file, offset and position. When it
/// reaches the committed end, ``next()`` returns nil; call it again later to
/// read what was appended since. Not thread-safe: use one cursor per task.
public final class LogCursor {
    private let engine: LogEngine
    private var target: LogEngine.ReadTarget
    private var scanner: BatchScanner
    private let verifyingChain: Bool
    /// Hashes on a second core while this one decompresses (chain-verifying cursors only).
    private let hasher: ChainHasher?
    /// The position of the next record to return.
    public private(set) var position: UInt64
    private var decoded: [UInt8] = []
    private var current: BatchView?
    private var recordOffset = 0
    private var recordIndex = 0

    init(engine: LogEngine, position: UInt64, verifyingChain: Bool) throws(StorageError) {
        if engine.options.readOnly { try engine.refresh() }
        self.engine = engine
        self.verifyingChain = verifyingChain
        self.position = position
        let (target, start) = try engine.target(forPosition: position)
        hasher = verifyingChain ? ChainHasher() : nil
        self.target = target
        let previous = target.previousEnd
        let genesis = ChainHash.genesis(storeID: engine.manifest.storeID)
        if verifyingChain {
            scanner = BatchScanner(
                fs: engine.fs, file: target.file.handle, fileSize: target.end.endOffset, offset: Int64(Format.segmentHeaderLength),
                position: target.firstPosition, chain: previous?.chainHead ?? genesis, lastTimestamp: previous?.maxTimestamp ?? .min, key: engine.options.encryptionKey)
        } else {
            scanner = BatchScanner(
                fs: engine.fs, file: target.file.handle, fileSize: target.end.endOffset, offset: start.offset,
                position: start.position, chain: genesis, lastTimestamp: .min, key: engine.options.encryptionKey)
        }
        scanner.hasher = hasher
    }

    deinit {
        hasher?.shutdown()
    }

    /// A cursor that starts scanning at a known batch (for seeks by time).
    init(engine: LogEngine, target: LogEngine.ReadTarget, offset: Int64, position: UInt64) {
        self.engine = engine
        self.target = target
        self.verifyingChain = false
        self.hasher = nil
        self.position = position
        scanner = BatchScanner(
            fs: engine.fs, file: target.file.handle, fileSize: target.end.endOffset, offset: offset,
            position: position, chain: .genesis(storeID: engine.manifest.storeID), lastTimestamp: .min, key: engine.options.encryptionKey)
    }

    /// The next record, or nil at the committed end of the log.
    public func next() throws(StorageError) -> LogRecord? {
        while true {
            if let batch = current, recordIndex < Int(batch.header.recordCount) {
                let record = batch.framed.withUnsafeBytes { b -> LogRecord in
                    let length = Int(readVarint(b, &recordOffset)!)
                    let delta = readVarint(b, &recordOffset)!
                    defer { recordOffset += length }
                    return LogRecord(
                        position: batch.header.firstPosition + UInt64(recordIndex), timestamp: batch.header.timestamp(delta),
                        payload: Array(b[recordOffset..<(recordOffset + length)]))
                }
                recordIndex += 1
                if record.position < position { continue }
                position = record.position + 1
                return record
            }
            current = nil
            guard let batch = try nextBatchUnadjusted() else { return nil }
            current = batch
            recordOffset = 0
            recordIndex = 0
        }
    }

    /// The rest of the next batch (records before the cursor's position are left out), or nil at the committed end.
    public func nextBatch() throws(StorageError) -> BatchView? {
        if let batch = current {
            // Finish the batch ``next()`` was in the middle of.
            current = nil
            let skip = Int(position - batch.header.firstPosition)
            if skip < Int(batch.header.recordCount) {
                position = batch.header.nextPosition
                return BatchView(header: batch.header, framed: batch.framed, skip: skip)
            }
        }
        guard let batch = try nextBatchUnadjusted() else { return nil }
        let skip = Int(position - batch.header.firstPosition)
        position = batch.header.nextPosition
        return BatchView(header: batch.header, framed: batch.framed, skip: skip)
    }

    /// The next batch holding a record at or after ``position``, whole.
    private func nextBatchUnadjusted() throws(StorageError) -> BatchView? {
        try engine.checkOpen()
        var refreshed = false
        while true {
            // Batches before the position sought are checked but not decompressed.
            let skipping = scanner.expectedPosition < position && !verifyingChain
            let result = skipping
                ? try scanner.next(verifyChain: false)
                : try scanner.next(verifyChain: verifyingChain, decodingInto: &decoded)
            if let result {
                switch result {
                case .failure(let problem):
                    throw StorageError.corrupted(problem.message, path: target.file.handle.path, offset: problem.offset, position: problem.expectedPosition)
                case .success(let batch):
                    if batch.header.nextPosition <= position { continue }
                    if skipping {
                        let problem = scanner.payload.withUnsafeBytes { PayloadDecoder.decode(batch.header, stored: $0, key: engine.options.encryptionKey, into: &decoded) }
                        if let problem {
                            throw StorageError.corrupted(problem, path: target.file.handle.path, offset: batch.offset, position: batch.header.firstPosition)
                        }
                    }
                    return BatchView(header: batch.header, framed: decoded, skip: 0)
                }
            }
            // At the end of what was committed when we last looked.
            if let (end, sealed) = engine.segmentEnd(target.firstPosition) {
                if end.endOffset > scanner.fileSize {
                    scanner.extend(to: end.endOffset)
                    continue
                }
                if sealed, let next = try engine.target(after: target.firstPosition) {
                    target = next
                    scanner = BatchScanner(
                        fs: engine.fs, file: next.file.handle, fileSize: next.end.endOffset, offset: Int64(Format.segmentHeaderLength),
                        position: next.firstPosition, chain: scanner.chain, lastTimestamp: scanner.lastTimestamp, key: engine.options.encryptionKey)
                    scanner.hasher = hasher
                    continue
                }
            }
            if engine.options.readOnly && !refreshed {
                refreshed = true
                try engine.refresh()
                continue
            }
            return nil
        }
    }
}
