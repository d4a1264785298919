/// What ``Log/verify(at:from:options:incremental:progress:)`` checked and found.
public struct VerificationReport: Sendable, Hashable {
    /// One thing found wrong, with its place.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// How serious a problem is.
        public enum Kind: String, Sendable, Hashable {
            /// Damage or tampering before the end of the log. Readers that reach it
            /// fail; open fails if it lies in what open reads; ``Log/repair(at:options:)`` cuts the log there.
            case corruption
            /// What a crash can leave of the last write: an incomplete batch at the
            /// end, or a failing batch followed only by batches of the same write.
            /// Open cuts it off and keeps the bytes in `recovered/`.
            case tornTail
            /// An index file that is missing, stale or damaged; open rebuilds it.
            case index
            /// Bytes an earlier recovery or repair kept aside in `recovered/`.
            case setAside
            /// Worth knowing, not damage: a seal record a crash cut short (the
            /// writer writes over it), a `VERIFIED` record that could not be written.
            case notice
        }
        /// How serious it is.
        public var kind: Kind
        /// What is wrong.
        public var message: String
        /// The file.
        public var path: String
        /// The byte offset in the file, where it applies.
        public var offset: Int64?
        /// The log position, where it applies.
        public var position: UInt64?

        public var description: String {
            var s = "\(kind.rawValue): \(message) (file \(path)"
            if let offset { s += ", offset \(offset)" }
            if let position { s += ", position \(position)" }
            return s + ")"
        }
    }

    /// Segment files read.
    public var segments = 0
    /// Batches checked: structure, both checksums, chain link, decompression, record framing.
    public var batches = 0
    /// Records in those batches.
    public var records: UInt64 = 0
    /// Bytes of the batches as stored (headers included).
    public var storedBytes: Int64 = 0
    /// Bytes of the batches' records after decompression (framing included).
    public var uncompressedBytes: Int64 = 0
    /// The first position checked.
    public var firstPosition: UInt64 = 0
    /// One past the last position checked.
    public var nextPosition: UInt64 = 0
    /// The chain hash after the last batch checked, in hex.
    public var chainHead = ""
    /// What was found wrong, in log order (then the seals').
    public var problems: [Problem] = []
    /// Seal records in `SEALS` (FORMAT.md §19); 0 for a store never sealed.
    public var seals = 0
    /// Seals whose MAC was checked with the key and found good.
    public var sealsChecked = 0
    /// The position up to which the last good seal seals the log (checked with
    /// the key, or, without it, only against the log's chain), and when it was made.
    public var sealedThrough: UInt64?
    public var lastSealedAt: Int64?
    /// The id of the key the store is encrypted with (FORMAT.md §20), or nil for a store that is not.
    public var encryptionKeyID: UInt32?
    /// Encrypted batches whose payloads were checked by checksum and chain hash
    /// only, the verification having no key (their records are not checked).
    public var encryptedPayloadsNotDecrypted = 0
    /// Where an incremental verification took up the chain again: the position
    /// verified last with the key (`VERIFIED`), or nil for a whole verification.
    public var resumedFrom: UInt64?

    /// True when nothing was found that open would refuse or cut off.
    public var isIntact: Bool { !problems.contains { $0.kind == .corruption || $0.kind == .tornTail } }

    /// The first damage or torn tail, if any.
    public var firstDamage: Problem? { problems.first { $0.kind == .corruption || $0.kind == .tornTail } }
}

extension Log {
    /// Checks every batch of the store in `directory` from the segment holding
    /// `position` on: segment headers, batch structure, header and batch
    /// checksums, the hash chain, decompression, record framing, positions and
    /// timestamps, and that the index files agree with the segments. Reads
    /// only; takes no lock, so it may run while a writer appends.
    ///
    /// `progress`, if given, is told the segment bytes checked so far and how
    /// many there are to check, after each batch.
    ///
    /// Seals (FORMAT.md §19): every record of `SEALS` is checked (checksum,
    /// sequence, order) and compared with the log: the chain hash at its
    /// position must be the log's, and the log must reach that position. With
    /// `options.sealKey`, each seal's MAC is checked too, so that a log
    /// rewritten with a consistent chain by someone without the key is
    /// reported, and a store with no seal is reported as such.
    ///
    /// `incremental` (with a key): start from the position verified last with
    /// the key, recorded in `VERIFIED` after every intact verification with
    /// the key, once its MAC and the log's chain hash at that position check
    /// out; the chain is then rehashed only from the segment holding it. A
    /// change to the log before that position that also rewrote the chain
    /// after it is still found (the chain hash there differs); bytes changed
    /// before it with the chain left as it was are found only by a whole
    /// verification, as are the records of that part being read (each read
    /// checks its batch's checksums).
    public static func verify(at directory: String, from position: UInt64 = 0, options: LogOptions = LogOptions(), incremental: Bool = false,
                              progress: ((_ bytes: Int64, _ total: Int64) -> Void)? = nil) throws(StorageError) -> VerificationReport {
        var walker = try StoreWalker(directory: directory, options: options)
        walker.progress = progress
        return try walker.verify(from: position, incremental: incremental)
    }

    /// Checks this log's store as ``verify(at:from:options:incremental:progress:)`` does.
    public func verify(from position: UInt64 = 0, incremental: Bool = false) throws(StorageError) -> VerificationReport {
        try Log.verify(at: directory, from: position, options: engine.options, incremental: incremental)
    }
}

/// Reads a whole store batch by batch, for verification and repair.
struct StoreWalker {
    let fs: any FileSystem
    let paths: StorePaths
    let manifest: Manifest
    let segmentFirsts: [UInt64]
    let names: [String]
    /// Told the bytes walked so far and the bytes to walk.
    var progress: ((Int64, Int64) -> Void)?
    /// The key that seals the store, if verification is to check its seals.
    var sealKey: SealKey?
    /// The store's encryption key, if it is encrypted and the key was given.
    var encryptionKey: EncryptionKey?
    /// Positions whose chain hash the walk keeps (seal positions), and what it found.
    var wantedChains: Set<UInt64> = []
    var chains: [UInt64: ChainHash] = [:]
    /// Segments whose batch headers ``chainAt(_:)`` has read.
    var headersRead: Set<UInt64> = []
    /// HEAD is there but damaged (see `Recovery.headDamaged`).
    var headDamaged = false

    init(directory: String, options: LogOptions) throws(StorageError) {
        fs = options.fileSystem
        sealKey = options.sealKey
        paths = StorePaths(directory)
        guard let names = try fs.contentsOfDirectory(paths.directory) else {
            throw StorageError(.notAStore, "store directory \(paths.directory) does not exist", path: paths.directory)
        }
        self.names = names
        guard names.contains(Format.manifestFileName) else {
            throw StorageError(.notAStore, "\(paths.directory) has no store manifest (\(Format.manifestFileName))", path: paths.manifest)
        }
        manifest = try Manifest.read(fs: fs, path: paths.manifest)
        encryptionKey = options.encryptionKey
        try manifest.checkEncryptionKey(options.encryptionKey, path: paths.manifest, needed: false)
        segmentFirsts = names.compactMap { Format.position(fromFileName: $0, suffix: Format.segmentSuffix) }.sorted()
    }

    /// Where the walk stopped on damage.
    struct Damage {
        var segmentFirst: UInt64
        var offset: Int64
        var position: UInt64
        var message: String
        var isTail: Bool
    }

    mutating func verify(from position: UInt64, incremental: Bool = false) throws(StorageError) -> VerificationReport {
        var report = VerificationReport()
        let (head, headDamaged) = LogEngine.readHeadState(fs: fs, paths: paths)
        self.headDamaged = headDamaged
        let seals = readSeals(report: &report)
        let resumed = incremental ? resumePoint(report: &report) : nil
        let start = max(position, resumed?.position ?? 0)
        wantedChains = Set(seals.map(\.position))
        if let resumed { wantedChains.insert(resumed.position) }
        let damage = try walk(from: start, report: &report, head: head)
        if let resumed {
            try checkChain(at: resumed.position, is: resumed.chainHash, what: "the position verified last (\(Format.verifiedFileName))",
                           path: paths.verified, offset: 0, reachable: damage == nil, report: &report)
            report.resumedFrom = resumed.position
        }
        try checkSeals(seals, reachable: damage == nil, report: &report)
        report.encryptionKeyID = manifest.encryptionKeyID
        if report.encryptedPayloadsNotDecrypted > 0 {
            report.problems.append(.init(kind: .notice, message: "\(report.encryptedPayloadsNotDecrypted) encrypted batch payloads were checked by checksum and chain hash only, not their records: give the store's encryption key (id \(manifest.encryptionKeyID.map(EncryptionKey.hexID) ?? "?")) to check them", path: paths.directory))
        }
        if damage == nil, report.isIntact, let key = sealKey { recordVerified(&report, key: key) }
        if let recovered = try fs.contentsOfDirectory(paths.recovered) {
            for name in recovered.sorted() {
                report.problems.append(.init(kind: .setAside, message: "bytes kept aside by an earlier recovery or repair", path: paths.recovered + "/" + name))
            }
        }
        return report
    }

    /// Walks the segments from the one holding `position`; returns the first damage, if any.
    mutating func walk(from position: UInt64, report: inout VerificationReport, head: Head?) throws(StorageError) -> Damage? {
        let startIndex = max(0, (segmentFirsts.lastIndex { $0 <= position }) ?? 0)
        var chain = ChainHash.genesis(storeID: manifest.storeID)
        var lastTimestamp = Int64.min
        if startIndex > 0 {
            (chain, lastTimestamp) = try endOfSegment(segmentFirsts[startIndex - 1])
        }
        report.firstPosition = segmentFirsts.isEmpty ? 0 : segmentFirsts[startIndex]
        report.nextPosition = report.firstPosition
        report.chainHead = chain.description
        if wantedChains.contains(report.firstPosition) { chains[report.firstPosition] = chain }
        var decoded: [UInt8] = []
        let hasher = ChainHasher()
        defer { hasher.shutdown() }
        var bytesToWalk: Int64 = 0, bytesWalked: Int64 = 0
        if progress != nil {
            for first in segmentFirsts[startIndex...] {
                let file = try fs.open(paths.segment(first), .read)
                defer { fs.close(file) }
                bytesToWalk += try fs.size(file)
            }
        }
        for i in startIndex..<segmentFirsts.count {
            let first = segmentFirsts[i]
            let isLast = i == segmentFirsts.count - 1
            let path = paths.segment(first)
            report.segments += 1
            let file = try fs.open(path, .read)
            defer { fs.close(file) }
            let size = try fs.size(file)
            let headerBytes = try fs.read(file, count: Format.segmentHeaderLength, at: 0)
            var headerProblem: String?
            switch headerBytes.withUnsafeBytes({ SegmentHeader.decode($0) }) {
            case .failure(let p): headerProblem = p.message
            case .success(let h):
                if h.storeID != manifest.storeID { headerProblem = "segment belongs to store \(h.storeID)" }
                else if h.firstPosition != first { headerProblem = "segment header says first position \(h.firstPosition), its name \(first)" }
            }
            if first != report.nextPosition {
                headerProblem = headerProblem ?? Recovery.notContiguous(previous: i > startIndex ? paths.segment(segmentFirsts[i - 1]) : nil,
                                                                        endingAt: report.nextPosition, next: first)
            }
            if var headerProblem {
                let notAbandoned = isLast ? Recovery.notAnAbandonedRoll(first, head: head, headDamaged: headDamaged) : nil
                if let notAbandoned, size <= Int64(Format.segmentHeaderLength) { headerProblem += "; " + notAbandoned }
                let isTail = isLast && size <= Int64(Format.segmentHeaderLength) && notAbandoned == nil
                report.problems.append(.init(kind: isTail ? .tornTail : .corruption, message: headerProblem, path: path, offset: 0, position: report.nextPosition))
                return Damage(segmentFirst: first, offset: 0, position: report.nextPosition, message: headerProblem, isTail: isTail)
            }
            var index = SegmentIndex(firstPosition: first, interval: Int(Int32.max), start: SegmentEnd(
                endOffset: Int64(Format.segmentHeaderLength), nextPosition: first, maxTimestamp: lastTimestamp, chainHead: chain, lastBatchOffset: 0))
            var boundaries: [Int64: BatchHeader] = [:]
            var scanner = BatchScanner(fs: fs, file: file, fileSize: size, offset: Int64(Format.segmentHeaderLength),
                                       position: first, chain: chain, lastTimestamp: lastTimestamp, key: encryptionKey)
            scanner.hasher = hasher
            // Without the key, encrypted payloads are checked by their checksum and chain hash only.
            if encryptionKey == nil { scanner.encryptedPayloadsNotDecoded = 0 }
            defer { report.encryptedPayloadsNotDecrypted += scanner.encryptedPayloadsNotDecoded ?? 0 }
            while let result = try scanner.next(verifyChain: true, decodingInto: &decoded) {
                var failure: ScanProblem?
                switch result {
                case .failure(let p):
                    failure = p
                case .success(let batch):
                    do {
                        index.add(batch.header, at: batch.offset)
                        boundaries[batch.offset] = batch.header
                        report.batches += 1
                        report.records += UInt64(batch.header.recordCount)
                        report.storedBytes += Int64(batch.header.totalLength)
                        report.uncompressedBytes += Int64(batch.header.uncompressedLength)
                        report.nextPosition = batch.header.nextPosition
                        report.chainHead = batch.header.chainHash.description
                        if wantedChains.contains(batch.header.nextPosition) { chains[batch.header.nextPosition] = batch.header.chainHash }
                        progress?(bytesWalked + batch.offset + Int64(batch.header.totalLength), bytesToWalk)
                    }
                }
                if let failure {
                    let acknowledged = head?.coversDurably(failure.offset, inSegment: first) ?? false
                    let isTail = isLast && !acknowledged && !headDamaged ? try Recovery.tornTailReason(failure, fs: fs, file: file, size: size) != nil : false
                    var message = failure.message
                    if acknowledged, let head {
                        message += "; " + Recovery.belowDurableWatermark(head)
                    } else if isLast && headDamaged {
                        message += "; " + Recovery.headUnreadable
                    } else if isTail {
                        message += head.map { $0.segmentFirstPosition == first && failure.offset >= $0.endOffset } == true
                            ? "; beyond the writer's commit watermark: a write in progress or cut short (open sets it aside)"
                            : "; at the end of the log: a write cut short, or damage to the last batch (open sets it aside)"
                    }
                    report.problems.append(.init(kind: isTail ? .tornTail : .corruption, message: message, path: path, offset: failure.offset, position: failure.expectedPosition))
                    return Damage(segmentFirst: first, offset: failure.offset, position: failure.expectedPosition, message: failure.message, isTail: isTail)
                }
            }
            if isLast, let head, let missing = Recovery.missingBelowDurableWatermark(head, segment: first, end: index.end) {
                report.problems.append(.init(kind: .corruption, message: missing, path: path, offset: index.end.endOffset, position: index.end.nextPosition))
                return Damage(segmentFirst: first, offset: index.end.endOffset, position: index.end.nextPosition, message: missing, isTail: false)
            }
            chain = scanner.chain
            lastTimestamp = scanner.lastTimestamp
            bytesWalked += size
            checkIndex(first, scanned: index, boundaries: boundaries, sealed: !isLast, report: &report)
        }
        chains[report.nextPosition] = chain
        return nil
    }

    /// The chain hash and last timestamp at the end of a segment, from its last batch's header.
    private func endOfSegment(_ first: UInt64) throws(StorageError) -> (ChainHash, Int64) {
        let file = try fs.open(paths.segment(first), .read)
        defer { fs.close(file) }
        var scanner = BatchScanner(fs: fs, file: file, fileSize: try fs.size(file), offset: Int64(Format.segmentHeaderLength),
                                   position: first, chain: .genesis(storeID: manifest.storeID), lastTimestamp: .min, key: encryptionKey)
        while let result = try scanner.next(verifyChain: false) {
            if case .failure(let p) = result {
                throw StorageError.corrupted(p.message, path: file.path, offset: p.offset, position: p.expectedPosition)
            }
        }
        return (scanner.chain, scanner.lastTimestamp)
    }

    /// Compares a segment's index file with what the scan found.
    private func checkIndex(_ first: UInt64, scanned: SegmentIndex, boundaries: [Int64: BatchHeader], sealed: Bool, report: inout VerificationReport) {
        let path = paths.index(first)
        guard names.contains(Format.fileStem(first) + Format.indexSuffix) else {
            if sealed || !scanned.isEmpty {
                report.problems.append(.init(kind: .index, message: "index file missing (open rebuilds it)", path: path))
            }
            return
        }
        let bytes: [UInt8]
        do throws(StorageError) {
            let file = try fs.open(path, .read)
            defer { fs.close(file) }
            bytes = try fs.read(file, count: Int(try fs.size(file)), at: 0)
        } catch {
            report.problems.append(.init(kind: .index, message: "index file unreadable: \(error.message)", path: path))
            return
        }
        let index: SegmentIndex
        switch SegmentIndex.decode(bytes, storeID: manifest.storeID, firstPosition: first) {
        case .failure(let p):
            report.problems.append(.init(kind: .index, message: p.message + " (open rebuilds it)", path: path))
            return
        case .success(let i): index = i
        }
        for i in index.positions.indices {
            guard let header = boundaries[index.offsets[i]], header.firstPosition == index.positions[i], header.minTimestamp == index.timestamps[i] else {
                report.problems.append(.init(kind: .index, message: "index entry \(i) (position \(index.positions[i]), offset \(index.offsets[i])) does not match a batch", path: path, offset: index.offsets[i], position: index.positions[i]))
                return
            }
        }
        let end = index.end
        let endMatches = end.lastBatchOffset == 0
            ? end.endOffset == Int64(Format.segmentHeaderLength)
            : boundaries[end.lastBatchOffset].map { $0.chainHash == end.chainHead && $0.nextPosition == end.nextPosition && end.lastBatchOffset + Int64($0.totalLength) == end.endOffset } ?? false
        if !endMatches {
            report.problems.append(.init(kind: .index, message: "index trailer does not match the segment (open rebuilds it)", path: path, offset: end.endOffset))
        } else if sealed && end.endOffset != scanned.end.endOffset {
            report.problems.append(.init(kind: .index, message: "index of a sealed segment stops at \(end.endOffset), the segment at \(scanned.end.endOffset)", path: path))
        }
    }
}
