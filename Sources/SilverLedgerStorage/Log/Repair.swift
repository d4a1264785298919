/// What ``Log/repair(at:options:)`` kept and set aside.
public struct RepairReport: Sendable, Hashable {
    /// Whether the store needed repair at all.
    public var repaired: Bool
    /// One past the last record kept: positions 0 ..< nextPosition remain, every one checked.
    public var nextPosition: UInt64
    /// The segment cut at the damage, and where.
    public var truncatedSegment: String?
    /// The byte offset it was cut at.
    public var truncatedAt: Int64?
    /// What was wrong there.
    public var damage: String?
    /// Copies and moved files in `recovered/`: the damaged segment whole, any later
    /// segments, and the seals (`SEALS`, `VERIFIED`), which no longer match the cut log.
    public var setAside: [String] = []
}

extension Log {
    /// Repairs a store that does not open because of damage: cuts the log at the
    /// first bad batch, after copying the damaged segment whole into
    /// `recovered/` and moving any later segments there too. Nothing is deleted.
    ///
    /// Every batch before the damage is checked (checksums, chain,
    /// decompression) and kept. Takes the writer's lock, so it fails with
    /// ``StorageError/Code/locked`` while the store is open for writing.
    public static func repair(at directory: String, options: LogOptions = LogOptions()) throws(StorageError) -> RepairReport {
        let fs = options.fileSystem
        let paths = StorePaths(directory)
        let lock = try LogEngine.lockStore(paths, fs: fs)
        defer { LogEngine.releaseLock(lock, fs: fs) }
        var walker = try StoreWalker(directory: directory, options: options)
        var scan = VerificationReport()
        // With HEAD: a last segment shorter than its durable watermark is damage too (nothing
        // to cut there; the repair records it and removes the watermark that claims more).
        guard let damage = try walker.walk(from: 0, report: &scan, head: LogEngine.readHead(fs: fs, paths: paths)) else {
            return RepairReport(repaired: false, nextPosition: scan.nextPosition)
        }
        _ = try fs.makeDirectory(paths.recovered)
        var report = RepairReport(
            repaired: true, nextPosition: damage.position, truncatedSegment: paths.segment(damage.segmentFirst),
            truncatedAt: damage.offset, damage: damage.message)
        let segmentPath = paths.segment(damage.segmentFirst)
        let segmentName = Format.fileStem(damage.segmentFirst) + Format.segmentSuffix
        // 1. The damaged segment, copied whole.
        let file = try fs.open(segmentPath, .readWrite)
        defer { fs.close(file) }
        let copy = try paths.unusedRecoveredPath(segmentName + ".damaged", fs: fs)
        try fs.writeAtomically(try fs.read(file, count: Int(try fs.size(file)), at: 0), to: copy, directory: paths.recovered)
        report.setAside.append(copy)
        // 2. Later segments (and their indexes) moved aside: they chain from what was lost.
        for first in walker.segmentFirsts where first > damage.segmentFirst {
            for suffix in [Format.segmentSuffix, Format.indexSuffix] {
                let name = Format.fileStem(first) + suffix
                guard walker.names.contains(name) else { continue }
                let target = try paths.unusedRecoveredPath(name, fs: fs)
                try fs.rename(paths.directory + "/" + name, to: target)
                report.setAside.append(target)
            }
        }
        // The seals and the last verified position (FORMAT.md §19) speak of the log as it
        // was: kept aside as evidence; a writer with the key seals the cut log anew.
        for name in [Format.sealsFileName, Format.verifiedFileName] where walker.names.contains(name) {
            let target = try paths.unusedRecoveredPath(name, fs: fs)
            try fs.rename(paths.directory + "/" + name, to: target)
            report.setAside.append(target)
        }
        try fs.syncDirectory(paths.recovered)
        // 3. The cut, and the stale index removed (open rebuilds it).
        try fs.truncate(file, to: damage.offset)
        try fs.sync(file)
        if walker.names.contains(Format.fileStem(damage.segmentFirst) + Format.indexSuffix) {
            try fs.remove(paths.index(damage.segmentFirst))
        }
        try? fs.remove(paths.head)
        try fs.syncDirectory(paths.directory)
        options.logger.warning("repaired store", metadata: [
            "segment": "\(segmentPath)", "offset": "\(damage.offset)", "kept": "\(damage.position) records",
            "damage": "\(damage.message)", "setAside": "\(report.setAside)",
        ])
        return report
    }
}
