/// Where a segment ends: what the log is at after its last batch.
struct SegmentEnd: Equatable, Sendable {
    /// Byte offset one past the last batch (the header length for an empty segment).
    var endOffset: Int64
    /// One past the last position in the segment.
    var nextPosition: UInt64
    /// The largest timestamp in the segment (or the one before it, if empty).
    var maxTimestamp: Int64
    /// The chain hash of the last batch (or the one it starts from, if empty).
    var chainHead: ChainHash
    /// Byte offset of the last batch, or 0 if the segment holds none.
    var lastBatchOffset: Int64
}

/// The sparse index of one segment (file `<first position>.idx`).
///
/// An entry is kept for the first batch of the segment and then for the first
/// batch that starts at least `interval` bytes after the previous entry, so a
/// lookup is a binary search followed by a scan of at most `interval` bytes
/// plus one batch. Timestamps never decrease along the log, so the same
/// entries map a time to a position. Written when the segment is sealed, at
/// checkpoints and at close; rebuilt from the segment when missing or damaged.
struct SegmentIndex: Sendable {
    var firstPosition: UInt64
    var interval: Int
    var positions: [UInt64] = []
    var offsets: [Int64] = []
    var timestamps: [Int64] = []
    var end: SegmentEnd

    init(firstPosition: UInt64, interval: Int, start: SegmentEnd) {
        self.firstPosition = firstPosition
        self.interval = interval
        self.end = start
    }

    var isEmpty: Bool { end.lastBatchOffset == 0 }

    /// Records a batch appended at `offset`.
    mutating func add(_ header: BatchHeader, at offset: Int64) {
        if offsets.isEmpty || offset - offsets[offsets.count - 1] >= Int64(interval) {
            positions.append(header.firstPosition)
            offsets.append(offset)
            timestamps.append(header.minTimestamp)
        }
        end = SegmentEnd(
            endOffset: offset + Int64(header.totalLength), nextPosition: header.nextPosition,
            maxTimestamp: header.maxTimestamp, chainHead: header.chainHash, lastBatchOffset: offset)
    }

    /// The byte offset and first position of the indexed batch to start scanning from to find `position`.
    func scanStart(forPosition position: UInt64) -> (offset: Int64, position: UInt64) {
        guard let i = lastIndex(in: positions, notAfter: position) else { return (Int64(Format.segmentHeaderLength), firstPosition) }
        return (offsets[i], positions[i])
    }

    /// The byte offset and first position of the indexed batch to start
    /// scanning from to find the first record at or after `timestamp`.
    func scanStart(forTimestamp timestamp: Int64) -> (offset: Int64, position: UInt64) {
        // Entries hold each batch's minimum; the record sought may be in the
        // batch before the first entry whose minimum reaches the timestamp.
        guard let i = lastIndex(in: timestamps, before: timestamp) else { return (Int64(Format.segmentHeaderLength), firstPosition) }
        return (offsets[i], positions[i])
    }

    private func lastIndex(in values: [UInt64], notAfter value: UInt64) -> Int? {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] <= value { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    private func lastIndex(in values: [Int64], before value: Int64) -> Int? {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    func encoded(storeID: StoreID) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Format.indexHeaderLength + positions.count * Format.indexEntryLength + Format.indexTrailerLength)
        bytes.appendLE(Format.indexMagic)
        bytes.appendLE(Format.version)
        bytes.appendLE(UInt16(0))
        bytes.appendLE(UInt32(Format.indexHeaderLength))
        bytes.append(contentsOf: storeID.bytes)
        bytes.appendLE(firstPosition)
        bytes.appendLE(UInt32(positions.count))
        bytes.appendLE(UInt32(interval))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 16))
        for i in positions.indices {
            bytes.appendLE(positions[i])
            bytes.appendLE(offsets[i])
            bytes.appendLE(timestamps[i])
        }
        bytes.appendLE(Format.indexTrailerMagic)
        bytes.appendLE(end.endOffset)
        bytes.appendLE(end.nextPosition)
        bytes.appendLE(end.maxTimestamp)
        bytes.append(contentsOf: end.chainHead.bytes)
        bytes.appendLE(end.lastBatchOffset)
        bytes.appendLE(UInt32(0))
        bytes.appendLE(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// Decodes an index file; the failure says why it cannot be used.
    static func decode(_ bytes: [UInt8], storeID: StoreID, firstPosition: UInt64) -> Result<SegmentIndex, FormatProblem> {
        let minimum = Format.indexHeaderLength + Format.indexTrailerLength
        guard bytes.count >= minimum else { return .failure("index file is \(bytes.count) bytes, at least \(minimum) expected") }
        return bytes.withUnsafeBytes { b -> Result<SegmentIndex, FormatProblem> in
            let crcOffset = b.count - 4
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<crcOffset])) == b.loadLE(UInt32.self, at: crcOffset) else {
                return .failure("index file checksum mismatch")
            }
            guard b.loadLE(UInt64.self, at: 0) == Format.indexMagic else { return .failure("index file has the wrong magic") }
            guard b.loadLE(UInt16.self, at: 8) == Format.version else { return .failure("index file format version \(b.loadLE(UInt16.self, at: 8))") }
            guard Array(b[16..<32]) == storeID.bytes else { return .failure("index file belongs to another store") }
            guard b.loadLE(UInt64.self, at: 32) == firstPosition else { return .failure("index file is for segment \(b.loadLE(UInt64.self, at: 32))") }
            let count = Int(b.loadLE(UInt32.self, at: 40))
            let interval = Int(b.loadLE(UInt32.self, at: 44))
            guard b.count == Format.indexHeaderLength + count * Format.indexEntryLength + Format.indexTrailerLength else {
                return .failure("index file length does not match its \(count) entries")
            }
            let t = Format.indexHeaderLength + count * Format.indexEntryLength
            guard b.loadLE(UInt64.self, at: t) == Format.indexTrailerMagic else { return .failure("index trailer has the wrong magic") }
            let end = SegmentEnd(
                endOffset: b.loadLE(at: t + 8), nextPosition: b.loadLE(at: t + 16), maxTimestamp: b.loadLE(at: t + 24),
                chainHead: ChainHash(UnsafeRawBufferPointer(rebasing: b[(t + 32)..<(t + 64)])), lastBatchOffset: b.loadLE(at: t + 64))
            var index = SegmentIndex(firstPosition: firstPosition, interval: max(1, interval), start: end)
            index.positions.reserveCapacity(count)
            for i in 0..<count {
                let e = Format.indexHeaderLength + i * Format.indexEntryLength
                index.positions.append(b.loadLE(at: e))
                index.offsets.append(b.loadLE(at: e + 8))
                index.timestamps.append(b.loadLE(at: e + 16))
            }
            // Entries must be in order and inside the segment.
            for i in 0..<count {
                if index.offsets[i] < Int64(Format.segmentHeaderLength) || index.offsets[i] >= end.endOffset
                    || (i > 0 && (index.positions[i] <= index.positions[i - 1] || index.offsets[i] <= index.offsets[i - 1]
                        || index.timestamps[i] < index.timestamps[i - 1])) {
                    return .failure("index entry \(i) is out of order or outside the segment")
                }
            }
            if count > 0 && (index.positions[0] != firstPosition || index.offsets[0] != Int64(Format.segmentHeaderLength)) {
                return .failure("index does not start at the segment's first batch")
            }
            return .success(index)
        }
    }
}

/// The commit watermark, file `HEAD`: rewritten (not synced) after every
/// commit so that readers in other processes see only committed batches.
struct Head: Equatable {
    var segmentFirstPosition: UInt64
    var endOffset: Int64
    var nextPosition: UInt64
    /// The segment was synced up to `endOffset` before this HEAD was written:
    /// the batches below it were acknowledged as durable, so none of them can be a torn write.
    var durable: Bool

    /// Flag bit 0 of HEAD: ``durable``.
    static let durableFlag: UInt32 = 1

    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Format.headLength)
        bytes.appendLE(Format.headMagic)
        bytes.appendLE(segmentFirstPosition)
        bytes.appendLE(endOffset)
        bytes.appendLE(nextPosition)
        bytes.appendLE(durable ? Head.durableFlag : 0)
        bytes.appendLE(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> Head? {
        guard bytes.count == Format.headLength else { return nil }
        return bytes.withUnsafeBytes { b in
            guard b.loadLE(UInt64.self, at: 0) == Format.headMagic,
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<36])) == b.loadLE(UInt32.self, at: 36)
            else { return nil }
            let flags = b.loadLE(UInt32.self, at: 32)
            guard flags & ~Head.durableFlag == 0 else { return nil }   // written by a later version: not understood
            return Head(segmentFirstPosition: b.loadLE(at: 8), endOffset: b.loadLE(at: 16), nextPosition: b.loadLE(at: 24),
                        durable: flags & Head.durableFlag != 0)
        }
    }

    /// Whether the batch starting at `offset` of segment `first` lies below this
    /// watermark and was synced: acknowledged as durable, so damage there is
    /// damage, never a torn write.
    func coversDurably(_ offset: Int64, inSegment first: UInt64) -> Bool {
        durable && segmentFirstPosition == first && offset < endOffset
    }
}
