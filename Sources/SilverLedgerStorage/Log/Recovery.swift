import Logging

/// What open found and did, for the log and for ``Log/recoveryReport``.
public struct RecoveryReport: Sendable, Hashable {
    /// A tail cut off the last segment and kept aside.
    public struct SetAside: Sendable, Hashable {
        /// The segment file the bytes came from.
        public var segment: String
        /// Where in it they started.
        public var offset: Int64
        /// How many bytes.
        public var length: Int64
        /// Where they were copied.
        public var copy: String
        /// Why: an incomplete write, or a failing batch followed only by batches of the same write.
        public var reason: String
    }
    /// Tails cut off at this open (at most one, the last segment's).
    public var setAside: [SetAside] = []
    /// Index files rebuilt from their segments.
    public var rebuiltIndexes: [String] = []
    /// Bytes of the last segment scanned because no index covered them.
    public var bytesScanned: Int64 = 0
    /// Segment files removed because a roll was interrupted before any batch was written to them.
    public var removedEmptySegments: [String] = []
}

/// Loads a store's segments and indexes on open, scanning only what no index covers.
struct Recovery {
    let fs: any FileSystem
    let paths: StorePaths
    let manifest: Manifest
    let options: LogOptions
    var report = RecoveryReport()
    /// HEAD is there but damaged: a failing last batch cannot be told from one
    /// that was acknowledged, so a writable open does not cut it off.
    var headDamaged = false

    var logger: Logger { options.logger }
    var writable: Bool { !options.readOnly }

    /// The segments in order, with their indexes; the last one's index covers
    /// everything up to its last whole, valid batch.
    mutating func load(segmentFirsts: [UInt64], head: Head?) throws(StorageError) -> [SegmentState] {
        try reload(firsts: segmentFirsts, previous: nil, head: head)
    }

    /// Loads `segmentFirsts` (the tail of the log from some segment on),
    /// given the end of the segment before them (nil: they start the log).
    mutating func reload(firsts segmentFirsts: [UInt64], previous: SegmentEnd?, head: Head?) throws(StorageError) -> [SegmentState] {
        var segments: [SegmentState] = []
        var previousEnd = previous ?? SegmentEnd(
            endOffset: Int64(Format.segmentHeaderLength), nextPosition: 0,
            maxTimestamp: Int64.min, chainHead: .genesis(storeID: manifest.storeID), lastBatchOffset: 0)
        var firsts = segmentFirsts
        while let last = firsts.last, try isAbandonedRoll(last, head: head) {
            firsts.removeLast()
        }
        for (i, first) in firsts.enumerated() {
            let isLast = i == firsts.count - 1
            if first != previousEnd.nextPosition {
                throw StorageError(
                    .corrupted, Recovery.notContiguous(previous: i > 0 ? paths.segment(firsts[i - 1]) : nil, endingAt: previousEnd.nextPosition, next: first),
                    path: paths.segment(first), offset: 0, position: previousEnd.nextPosition)
            }
            let index = isLast
                ? try loadLast(first, previous: previousEnd, head: head)
                : try loadSealed(first, previous: previousEnd)
            segments.append(SegmentState(firstPosition: first, path: paths.segment(first), indexPath: paths.index(first), index: index))
            previousEnd = index.end
        }
        return segments
    }

    /// A last segment that holds no batch and whose header was never wholly
    /// written: a roll interrupted by a crash. Removed (writable) or ignored.
    private mutating func isAbandonedRoll(_ first: UInt64, head: Head?) throws(StorageError) -> Bool {
        let path = paths.segment(first)
        let file = try fs.open(path, .read)
        defer { fs.close(file) }
        let size = try fs.size(file)
        guard size <= Int64(Format.segmentHeaderLength) else { return false }
        let bytes = try fs.read(file, count: Format.segmentHeaderLength, at: 0)
        if case .success = bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) { return false }
        if let why = Recovery.notAnAbandonedRoll(first, head: head, headDamaged: headDamaged && writable) {
            throw StorageError(.corrupted, "the segment's header is cut short or damaged (\(size) bytes); " + why, path: path, offset: 0, position: first)
        }
        logger.warning("removing segment whose creation was interrupted", metadata: ["segment": "\(path)", "bytes": "\(size)"])
        if writable {
            if size > 0 { try setAside(file: file, path: path, from: 0, size: size, reason: "interrupted segment creation") }
            try fs.remove(path)
            try fs.syncDirectory(paths.directory)
        }
        report.removedEmptySegments.append(path)
        return true
    }

    private func checkSegmentHeader(_ file: FileHandle, first: UInt64) throws(StorageError) {
        let bytes = try fs.read(file, count: Format.segmentHeaderLength, at: 0)
        switch bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) {
        case .failure(let problem):
            throw StorageError(.corrupted, problem.message, path: file.path, offset: 0, position: first)
        case .success(let header):
            if header.storeID != manifest.storeID {
                throw StorageError(.corrupted, "segment belongs to store \(header.storeID), this store is \(manifest.storeID)", path: file.path, offset: 16, position: first)
            }
            if header.firstPosition != first {
                throw StorageError(.corrupted, "segment header says first position \(header.firstPosition), its name says \(first)", path: file.path, offset: 32, position: first)
            }
        }
    }

    private func readIndex(_ first: UInt64) throws(StorageError) -> Result<SegmentIndex, FormatProblem> {
        let path = paths.index(first)
        let file: FileHandle
        do throws(StorageError) { file = try fs.open(path, .read) } catch { return .failure(error.errno == ENOENT ? "missing" : FormatProblem(stringLiteral: error.description)) }
        defer { fs.close(file) }
        let size = try fs.size(file)
        let bytes = try fs.read(file, count: Int(size), at: 0)
        return SegmentIndex.decode(bytes, storeID: manifest.storeID, firstPosition: first)
    }

    /// Whether the batch `index` names as its last is there, whole, with the chain hash the index records.
    private func lastBatchMatches(_ index: SegmentIndex, file: FileHandle) throws(StorageError) -> Bool {
        guard !index.isEmpty else { return index.end.endOffset == Int64(Format.segmentHeaderLength) }
        let headerBytes = try fs.read(file, count: Format.batchHeaderLength, at: index.end.lastBatchOffset)
        guard case .success(let header) = headerBytes.withUnsafeBytes({ BatchHeader.decode($0) }),
            index.end.lastBatchOffset + Int64(header.totalLength) == index.end.endOffset,
            header.chainHash == index.end.chainHead, header.nextPosition == index.end.nextPosition
        else { return false }
        let payload = try fs.read(file, count: Int(header.storedLength), at: index.end.lastBatchOffset + Int64(Format.batchHeaderLength))
        return header.batchCRC == headerBytes.withUnsafeBytes { h in payload.withUnsafeBytes { BatchHeader.batchCRC(header: h, payload: $0) } }
    }

    /// A sealed segment: its index must cover the whole file; otherwise the
    /// segment is scanned (every batch checked) and the index rebuilt.
    private mutating func loadSealed(_ first: UInt64, previous: SegmentEnd) throws(StorageError) -> SegmentIndex {
        let file = try fs.open(paths.segment(first), .read)
        defer { fs.close(file) }
        let size = try fs.size(file)
        if case .success(let index) = try readIndex(first), index.end.endOffset == size,
            try lastBatchMatches(index, file: file) {
            return index
        }
        try checkSegmentHeader(file, first: first)
        var index = SegmentIndex(firstPosition: first, interval: options.indexInterval, start: previous)
        index.end.endOffset = Int64(Format.segmentHeaderLength)
        var scanner = BatchScanner(
            fs: fs, file: file, fileSize: size, offset: Int64(Format.segmentHeaderLength),
            position: first, chain: previous.chainHead, lastTimestamp: previous.maxTimestamp, key: options.encryptionKey)
        while let result = try scanner.next() {
            switch result {
            case .success(let batch): index.add(batch.header, at: batch.offset)
            case .failure(let problem):
                throw StorageError.corrupted(problem.message + " (in a sealed segment)", path: file.path, offset: problem.offset, position: problem.expectedPosition)
            }
        }
        try saveRebuiltIndex(index)
        return index
    }

    private mutating func saveRebuiltIndex(_ index: SegmentIndex) throws(StorageError) {
        let path = paths.index(index.firstPosition)
        logger.notice("rebuilt segment index", metadata: ["index": "\(path)"])
        report.rebuiltIndexes.append(path)
        if writable {
            try fs.writeAtomically(index.encoded(storeID: manifest.storeID), to: path, directory: paths.directory)
        }
    }

    /// The last segment: start from its index checkpoint (if it still holds)
    /// and scan the rest; a torn tail is cut off and kept aside, damage before it
    /// (or below a durable HEAD) is an error.
    private mutating func loadLast(_ first: UInt64, previous: SegmentEnd, head: Head?) throws(StorageError) -> SegmentIndex {
        let path = paths.segment(first)
        let file = try fs.open(path, writable ? .readWrite : .read)
        defer { fs.close(file) }
        var size = try fs.size(file)
        try checkSegmentHeader(file, first: first)
        var index: SegmentIndex
        if case .success(let saved) = try readIndex(first), saved.end.endOffset <= size, try lastBatchMatches(saved, file: file) {
            index = saved
        } else {
            index = SegmentIndex(firstPosition: first, interval: options.indexInterval, start: previous)
            index.end.endOffset = Int64(Format.segmentHeaderLength)
            index.end.lastBatchOffset = 0
        }
        // A reader in another process stops at the writer's commit watermark.
        if !writable, let head, head.segmentFirstPosition == first, head.endOffset >= index.end.endOffset {
            size = min(size, head.endOffset)
        }
        report.bytesScanned = size - index.end.endOffset
        var scanner = BatchScanner(
            fs: fs, file: file, fileSize: size, offset: index.end.endOffset,
            position: index.end.nextPosition, chain: index.end.chainHead, lastTimestamp: index.end.maxTimestamp, key: options.encryptionKey)
        var problem: ScanProblem?
        while let result = try scanner.next() {
            switch result {
            case .success(let batch): index.add(batch.header, at: batch.offset)
            case .failure(let p): problem = p
            }
            if problem != nil { break }
        }
        guard let problem else {
            if let head, let missing = Recovery.missingBelowDurableWatermark(head, segment: first, end: index.end) {
                throw StorageError.corrupted(missing, path: path, offset: index.end.endOffset, position: index.end.nextPosition)
            }
            if writable && report.bytesScanned > 0 { try saveCheckpoint(index) }
            return index
        }
        if let head, head.coversDurably(problem.offset, inSegment: first) {
            throw StorageError.corrupted(problem.message + "; " + Recovery.belowDurableWatermark(head), path: path, offset: problem.offset, position: problem.expectedPosition)
        }
        if writable && headDamaged {
            throw StorageError.corrupted(problem.message + "; " + Recovery.headUnreadable, path: path, offset: problem.offset, position: problem.expectedPosition)
        }
        guard let reason = try Recovery.tornTailReason(problem, fs: fs, file: file, size: size) else {
            throw StorageError.corrupted(problem.message + "; whole batches of later writes follow it", path: path, offset: problem.offset, position: problem.expectedPosition)
        }
        guard writable else {
            logger.info("reader stops before an uncommitted or torn tail", metadata: ["segment": "\(path)", "offset": "\(problem.offset)"])
            return index
        }
        logger.warning("cutting torn tail off the last segment", metadata: [
            "segment": "\(path)", "offset": "\(problem.offset)", "bytes": "\(size - problem.offset)", "reason": "\(reason)",
        ])
        try setAside(file: file, path: path, from: problem.offset, size: size, reason: reason)
        try fs.truncate(file, to: problem.offset)
        try fs.sync(file)
        try saveCheckpoint(index)
        return index
    }

    /// Saves the last segment's index as recovered, so the next open need not scan again.
    private func saveCheckpoint(_ index: SegmentIndex) throws(StorageError) {
        try fs.writeAtomically(index.encoded(storeID: manifest.storeID), to: paths.index(index.firstPosition), directory: paths.directory)
    }

    /// Why a last segment that ends, whole, before its durable HEAD's end
    /// offset is damage (a file cut at a batch boundary reads as a shorter
    /// log), or nil if it does not.
    static func missingBelowDurableWatermark(_ head: Head, segment first: UInt64, end: SegmentEnd) -> String? {
        guard head.durable, head.segmentFirstPosition == first, head.endOffset > end.endOffset else { return nil }
        return "the segment ends at byte \(end.endOffset) (position \(end.nextPosition)), but the writer's durable commit watermark (HEAD) says it held \(head.endOffset) bytes, up to position \(head.nextPosition): synced and acknowledged batches are missing"
    }

    /// Why damage below a durable HEAD is not a torn write.
    /// Segments that do not follow each other: the one before ends early (cut
    /// short), or one between them is missing; both files are named.
    static func notContiguous(previous: String?, endingAt end: UInt64, next first: UInt64) -> String {
        let before = previous.map { "segment \($0.split(separator: "/").last.map(String.init) ?? $0) ends at position \(end)" } ?? "the log before it ends at position \(end)"
        return "segments are not contiguous: \(before), but the next segment starts at position \(first): the segment before was cut short, or a segment between them is missing"
    }

    /// Why a last segment whose header is not whole is damage rather than a
    /// roll a crash interrupted, or nil: a durable HEAD names it (its header was
    /// synced before HEAD moved to it), or HEAD is damaged and cannot say.
    static func notAnAbandonedRoll(_ first: UInt64, head: Head?, headDamaged: Bool) -> String? {
        if let head, head.durable, head.segmentFirstPosition == first {
            return "the writer's durable commit watermark (HEAD) names this segment (up to position \(head.nextPosition)): it was created and synced, so this is damage, not a creation cut short"
        }
        if headDamaged { return headUnreadable }
        return nil
    }

    /// Why damage at the end of the last segment is not cut off when HEAD is damaged.
    static let headUnreadable = "the writer's commit watermark (HEAD) is damaged, so whether this batch was synced and acknowledged cannot be told: it is not cut off as a write cut short (repair cuts it, keeping a copy)"

    static func belowDurableWatermark(_ head: Head) -> String {
        "the batch lies below the writer's durable commit watermark (HEAD: end offset \(head.endOffset), next position \(head.nextPosition)): it was synced and acknowledged, so this is damage, not a write cut short"
    }

    /// Whether a scan problem in the last segment is a torn tail (and why), or
    /// damage (nil). A torn tail is what a crash can leave of the last write:
    /// an incomplete batch at the end of the file, or a batch that fails its
    /// checks followed only by whole batches of the same write (their group
    /// starts at or before the failing batch; a write's batches may reach the
    /// disk out of order). Anything of a later write after it means the failing
    /// batch was acknowledged before it went bad: damage.
    static func tornTailReason(_ problem: ScanProblem, fs: any FileSystem, file: FileHandle, size: Int64) throws(StorageError) -> String? {
        if problem.isAtTail { return "incomplete write: " + problem.message }
        if case .badPayload = problem.kind { return nil }   // the checksums held: not a torn write
        let chunk = 1 << 20
        var start = problem.offset + 1
        var laterWrite = false
        var sameWrite = 0
        while start + Int64(Format.batchHeaderLength) <= size && !laterWrite {
            let bytes = try fs.read(file, count: Int(min(Int64(chunk + Format.batchHeaderLength), size - start)), at: start)
            bytes.withUnsafeBytes { b in
                var i = 0
                while i + Format.batchHeaderLength <= b.count && i < chunk {
                    if b.loadLE(UInt32.self, at: i) == Format.batchMagic,
                        case .success(let header) = BatchHeader.decode(UnsafeRawBufferPointer(rebasing: b[i..<(i + Format.batchHeaderLength)])) {
                        if header.groupFirstPosition > problem.expectedPosition {
                            laterWrite = true
                            return
                        }
                        sameWrite += 1
                    }
                    i += 1
                }
            }
            start += Int64(chunk)
        }
        if laterWrite { return nil }
        let what = sameWrite == 0 ? "last batch" : "batch followed only by \(sameWrite) batch(es) of the same write"
        return "torn \(what) (a write cut short, or damage to the last write): " + problem.message
    }

    /// Copies bytes [from, size) of a segment to recovered/ before they are cut off.
    private mutating func setAside(file: FileHandle, path: String, from: Int64, size: Int64, reason: String) throws(StorageError) {
        _ = try fs.makeDirectory(paths.recovered)
        let base = (path.split(separator: "/").last.map(String.init) ?? path) + ".\(from)"
        let copy = try paths.unusedRecoveredPath(base, suffix: ".tail", fs: fs)
        let bytes = try fs.read(file, count: Int(size - from), at: from)
        try fs.writeAtomically(bytes, to: copy, directory: paths.recovered)
        try fs.syncDirectory(paths.directory)
        report.setAside.append(.init(segment: path, offset: from, length: size - from, copy: copy, reason: reason))
    }
}

#if canImport(Glibc)
import Glibc
#endif
