import Foundation
import Logging
import Synchronization

/// The shared state of an open log: segments, the committed end, the writer.
/// ``Log`` is its public face; cursors and tails keep it alive while they read.
final class LogEngine: Sendable {
    struct State: Sendable {
        var segments: [SegmentState]
        /// Set when a write or sync failed: appends are refused until reopened.
        var failure: StorageError?
        var closed = false
        /// Tails waiting for the next commit.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    let fs: any FileSystem
    let paths: StorePaths
    let manifest: Manifest
    let options: LogOptions
    let state: Locked<State>
    let recoveryReport: RecoveryReport
    /// The writer; nil for a read-only log.
    let writer: LogWriter?
    /// The lock file, held open (and locked) while the log is open for writing.
    private let lockFile: FileHandle?

    var logger: Logger { options.logger }

    // MARK: Open

    static func open(at directory: String, options: LogOptions) throws(StorageError) -> LogEngine {
        let fs = options.fileSystem
        let paths = StorePaths(directory)
        var lockFile: FileHandle?
        if !options.readOnly {
            if try fs.makeDirectory(paths.directory) {
                // The new store's own entry is durable before anything in it is acknowledged:
                // a power loss could otherwise take the whole directory (found by PowerLossTests).
                let slash = paths.directory.lastIndex(of: "/")
                try fs.syncDirectory(slash.map { $0 == paths.directory.startIndex ? "/" : String(paths.directory[..<$0]) } ?? ".")
            }
            lockFile = try lockStore(paths, fs: fs)
        }
        do throws(StorageError) {
            return try LogEngine(paths: paths, options: options, lockFile: lockFile)
        } catch {
            if let lockFile { releaseLock(lockFile, fs: fs) }
            throw error
        }
    }

    /// Releases and closes the lock file.
    static func releaseLock(_ file: FileHandle, fs: any FileSystem) {
        fs.unlock(file)
        fs.close(file)
    }

    /// Takes the store's writer lock, writing our pid into the lock file.
    static func lockStore(_ paths: StorePaths, fs: any FileSystem) throws(StorageError) -> FileHandle {
        let file = try fs.open(paths.lock, .createOrOpen)
        do throws(StorageError) {
            guard try fs.tryLockExclusive(file) else {
                let holder = (try? fs.read(file, count: 32, at: 0)).map { String(decoding: $0, as: UTF8.self) }?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                let who = holder.isEmpty ? "another process" : "process \(holder)"
                throw StorageError(.locked, "store \(paths.directory) is locked by another writer (\(who))", path: paths.lock)
            }
            let pid = Array("\(getpid())\n".utf8)
            try fs.truncate(file, to: 0)
            try pid.withBytes { (b) throws(StorageError) in try fs.writeFully(file, [b], at: 0) }
            return file
        } catch {
            releaseLock(file, fs: fs)
            throw error
        }
    }

    private init(paths: StorePaths, options: LogOptions, lockFile: FileHandle?) throws(StorageError) {
        let fs = options.fileSystem
        self.fs = fs
        self.paths = paths
        self.options = options
        self.lockFile = lockFile
        guard let names = try fs.contentsOfDirectory(paths.directory) else {
            throw StorageError(.notAStore, "store directory \(paths.directory) does not exist", path: paths.directory)
        }
        let segmentFirsts = names.compactMap { Format.position(fromFileName: $0, suffix: Format.segmentSuffix) }.sorted()
        if names.contains(Format.manifestFileName) {
            manifest = try Manifest.read(fs: fs, path: paths.manifest)
        } else if !segmentFirsts.isEmpty || options.readOnly {
            throw StorageError(.notAStore, "\(paths.directory) has no store manifest (\(Format.manifestFileName))", path: paths.manifest)
        } else {
            manifest = Manifest(storeID: .random(), createdAt: options.clock(), encryptionKeyID: options.encryptionKey?.id)
            try fs.writeAtomically(manifest.encoded(), to: paths.manifest, directory: paths.directory)
            options.logger.debug("created store", metadata: ["store": "\(paths.directory)", "id": "\(manifest.storeID)"])
        }
        try manifest.checkEncryptionKey(options.encryptionKey, path: paths.manifest, needed: true)
        if !options.readOnly {
            for name in names where name.hasSuffix(".tmp") { try? fs.remove(paths.directory + "/" + name) }
        }
        let (head, headDamaged) = Self.readHeadState(fs: fs, paths: paths)
        var recovery = Recovery(fs: fs, paths: paths, manifest: manifest, options: options)
        recovery.headDamaged = headDamaged
        var segments = try recovery.load(segmentFirsts: segmentFirsts, head: head)
        recoveryReport = recovery.report
        if segments.isEmpty {
            if options.readOnly {
                throw StorageError(.notAStore, "\(paths.directory) has no segments", path: paths.directory)
            }
            segments = [try Self.createSegment(first: 0, previous: SegmentEnd(
                endOffset: Int64(Format.segmentHeaderLength), nextPosition: 0, maxTimestamp: Int64.min,
                chainHead: .genesis(storeID: manifest.storeID), lastBatchOffset: 0),
                fs: fs, paths: paths, manifest: manifest, options: options)]
        }
        state = Locked(State(segments: segments))
        writer = options.readOnly ? nil : try LogWriter(fs: fs, paths: paths, manifest: manifest, options: options, active: segments[segments.count - 1])
        writer?.start(engine: self)
    }

    static func readHead(fs: any FileSystem, paths: StorePaths) -> Head? {
        readHeadState(fs: fs, paths: paths).head
    }

    /// HEAD, and whether the file is there with bytes that are not a HEAD
    /// (damaged; an absent or empty file is not: a store from before HEAD, or
    /// one whose HEAD was created and never written).
    static func readHeadState(fs: any FileSystem, paths: StorePaths) -> (head: Head?, damaged: Bool) {
        guard let file = try? fs.open(paths.head, .read) else { return (nil, false) }
        defer { fs.close(file) }
        guard let size = try? fs.size(file), size > 0 else { return (nil, false) }
        let head = size == Int64(Format.headLength) ? (try? fs.read(file, count: Format.headLength, at: 0)).flatMap(Head.decode) : nil
        return (head, head == nil)
    }

    /// Creates a segment file with its header, synced, and the directory entry synced.
    static func createSegment(
        first: UInt64, previous: SegmentEnd, fs: any FileSystem, paths: StorePaths, manifest: Manifest, options: LogOptions
    ) throws(StorageError) -> SegmentState {
        let path = paths.segment(first)
        let header = SegmentHeader(storeID: manifest.storeID, firstPosition: first, createdAt: options.clock()).encoded()
        let file = try fs.open(path, .createNew)
        do throws(StorageError) {
            try header.withBytes { (b) throws(StorageError) in try fs.writeFully(file, [b], at: 0) }
            try fs.sync(file)
            fs.close(file)
        } catch {
            fs.close(file)
            try? fs.remove(path)
            throw error
        }
        try fs.syncDirectory(paths.directory)
        var index = SegmentIndex(firstPosition: first, interval: options.indexInterval, start: previous)
        index.end.endOffset = Int64(Format.segmentHeaderLength)
        index.end.lastBatchOffset = 0
        return SegmentState(firstPosition: first, path: path, indexPath: paths.index(first), index: index)
    }

    // MARK: Reading the state

    /// The end of the committed log.
    var end: SegmentEnd {
        state.withLock { $0.segments[$0.segments.count - 1].index.end }
    }

    func checkOpen() throws(StorageError) {
        if state.withLock({ $0.closed }) { throw StorageError(.closed, "the log at \(paths.directory) is closed") }
    }

    /// A read handle on segment `i` (by its first position) and the committed end of that segment.
    struct ReadTarget {
        var file: SegmentFile
        var firstPosition: UInt64
        var end: SegmentEnd
        /// Whether a later segment exists (so this one will not grow).
        var sealed: Bool
        /// The end of the segment before it (where its chain starts).
        var previousEnd: SegmentEnd?
    }

    /// The segment holding `position` (or the last one if `position` is the end).
    func target(forPosition position: UInt64) throws(StorageError) -> (ReadTarget, scanFrom: (offset: Int64, position: UInt64)) {
        try state.withLock { (s) throws(StorageError) -> (ReadTarget, scanFrom: (offset: Int64, position: UInt64)) in
            if s.closed { throw StorageError(.closed, "the log at \(paths.directory) is closed") }
            let end = s.segments[s.segments.count - 1].index.end.nextPosition
            if position > end {
                throw StorageError(.positionOutOfRange, "position \(position) is past the end of the log (\(end))", position: position)
            }
            var low = 0, high = s.segments.count
            while low < high {
                let mid = (low + high) / 2
                if s.segments[mid].firstPosition <= position { low = mid + 1 } else { high = mid }
            }
            var i = max(0, low - 1)
            // An empty last segment starts where the one before ends.
            while i > 0 && s.segments[i].index.isEmpty && s.segments[i].firstPosition > position { i -= 1 }
            let target = try readTarget(&s, i)
            return (target, s.segments[i].index.scanStart(forPosition: position))
        }
    }

    /// The segment holding the first record at or after `timestamp`, and where to scan from.
    func target(forTimestamp timestamp: Int64) throws(StorageError) -> (ReadTarget, scanFrom: Int64, position: UInt64) {
        try state.withLock { (s) throws(StorageError) -> (ReadTarget, scanFrom: Int64, position: UInt64) in
            if s.closed { throw StorageError(.closed, "the log at \(paths.directory) is closed") }
            // The first segment whose last timestamp reaches the time.
            var i = s.segments.firstIndex { !$0.index.isEmpty && $0.index.end.maxTimestamp >= timestamp } ?? (s.segments.count - 1)
            if s.segments[i].index.isEmpty { i = s.segments.count - 1 }
            let start = s.segments[i].index.scanStart(forTimestamp: timestamp)
            return (try readTarget(&s, i), start.offset, start.position)
        }
    }

    /// The segment after the one starting at `first`, if there is one.
    func target(after first: UInt64) throws(StorageError) -> ReadTarget? {
        try state.withLock { (s) throws(StorageError) -> ReadTarget? in
            if s.closed { throw StorageError(.closed, "the log at \(paths.directory) is closed") }
            guard let i = s.segments.firstIndex(where: { $0.firstPosition == first }), i + 1 < s.segments.count else { return nil }
            return try readTarget(&s, i + 1)
        }
    }

    /// The committed end of the segment starting at `first`, and whether it is sealed.
    func segmentEnd(_ first: UInt64) -> (SegmentEnd, sealed: Bool)? {
        state.withLock { s in
            guard let i = s.segments.lastIndex(where: { $0.firstPosition == first }) else { return nil }
            return (s.segments[i].index.end, i + 1 < s.segments.count)
        }
    }

    private func readTarget(_ s: inout State, _ i: Int) throws(StorageError) -> ReadTarget {
        let file: SegmentFile
        if let open = s.segments[i].readFile {
            file = open
        } else {
            file = try SegmentFile(fs: fs, path: s.segments[i].path, storeID: manifest.storeID, firstPosition: s.segments[i].firstPosition)
            s.segments[i].readFile = file
        }
        return ReadTarget(
            file: file, firstPosition: s.segments[i].firstPosition, end: s.segments[i].index.end,
            sealed: i + 1 < s.segments.count, previousEnd: i > 0 ? s.segments[i - 1].index.end : nil)
    }

    /// For a read-only log: picks up batches committed by the writer process since the last look.
    func refresh() throws(StorageError) {
        guard options.readOnly else { return }
        let known = state.withLock { s in s.segments.map(\.firstPosition) }
        guard let names = try fs.contentsOfDirectory(paths.directory) else { return }
        let firsts = names.compactMap { Format.position(fromFileName: $0, suffix: Format.segmentSuffix) }.sorted()
        let lastKnown = known[known.count - 1]
        let fresh = firsts.filter { $0 >= lastKnown }
        var recovery = Recovery(fs: fs, paths: paths, manifest: manifest, options: options)
        let previous = state.withLock { s in s.segments.count > 1 ? s.segments[s.segments.count - 2].index.end : nil }
        let head = Self.readHead(fs: fs, paths: paths)
        let reloaded = try recovery.reload(firsts: fresh, previous: previous, head: head)
        state.withLock { s in
            s.segments.removeLast()
            s.segments.append(contentsOf: reloaded)
        }
        notifyWaiters()
    }

    // MARK: Waiting for commits

    /// Suspends until the next commit (or close); returns at once if the log moved past `position` meanwhile.
    func waitForCommit(after position: UInt64) async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.closed || Task.isCancelled || s.segments[s.segments.count - 1].index.end.nextPosition > position { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    func notifyWaiters() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Close

    func close(beforeUnlocking: () -> Void = {}) throws(StorageError) {
        let wasClosed = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        guard !wasClosed else { return }
        var firstError: StorageError?
        do { try writer?.stop() } catch { firstError = error }
        notifyWaiters()
        state.withLock { s in
            for i in s.segments.indices { s.segments[i].readFile = nil }
        }
        if firstError == nil { beforeUnlocking() }
        if let lockFile { Self.releaseLock(lockFile, fs: fs) }
        if let firstError { throw firstError }
    }
}
