#if canImport(Glibc)
import Glibc
#endif

/// A ``FileSystem`` that keeps track of what a power loss would leave on the
/// disk, and can cut the power: RocksDB's FaultInjectionTestFS and SQLite's
/// crash VFS, for this engine.
///
/// Calls pass to the real file system under `root`. Beside them it keeps, in
/// memory, the durable image: each file's content as of its last `sync`, and
/// each directory's entries (creations, renames, removals, new directories) as
/// of its last `syncDirectory`. What happened since is kept as a list of
/// changes not yet durable. ``cutPower(atCall:)`` picks the call at which the
/// machine dies: that call and every later one fail with EIO, so the workload
/// stops where it is. ``writeImage(to:loss:seed:)`` then writes what the disk
/// holds after the reboot, for a fresh open with the real file system:
///
/// - ``Loss/unsyncedDropped``: every change not made durable is gone, a new
///   file whose directory was not synced included (its entry is lost).
/// - ``Loss/unsyncedPrefix``: the disk kept the changes in the order they were
///   made, up to a random point, the last write torn at a 512-byte sector;
///   directories likewise kept a random prefix of their unsynced entries.
/// - ``Loss/unsyncedSectors``: each 512-byte sector of each unsynced write was
///   kept or lost on its own, out of order (the write-back cache reorders).
///
/// Everything under `root` at creation is taken as durable. Paths outside
/// `root` are passed through and not tracked.
package final class PowerLossFileSystem: FileSystem {
    /// What a power loss keeps of the changes not made durable.
    package enum Loss: String, Sendable, CaseIterable {
        case unsyncedDropped, unsyncedPrefix, unsyncedSectors
    }

    private enum Change {
        case write(offset: Int, bytes: [UInt8])
        case truncate(Int)
    }

    private struct File {
        /// The content as of the last sync.
        var durable: [UInt8]
        /// Writes and truncations since, in order.
        var pending: [Change] = []
    }

    private enum NameChange {
        case link(String, file: Int)
        case unlink(String)
        case rename(String, to: String)
        case makeDirectory(String)
    }

    private struct Names {
        /// Path → file, and the directories, as the disk durably has them.
        var files: [String: Int] = [:]
        var directories: Set<String> = []

        mutating func apply(_ change: NameChange) {
            switch change {
            case .link(let path, let file): files[path] = file
            case .unlink(let path): files[path] = nil
            case .rename(let from, let to):
                files[to] = files[from]
                files[from] = nil
            case .makeDirectory(let path): directories.insert(path)
            }
        }
    }

    private struct State {
        var files: [Int: File] = [:]
        var nextFile = 0
        /// Path → file now.
        var live: [String: Int] = [:]
        var durable = Names()
        /// Name changes not yet durable, in order, each with the directories still to be synced for it.
        var pendingNames: [(change: NameChange, unsynced: Set<String>)] = []
        var open: [Int32: Int] = [:]
        var calls = 0
        var cutAt: Int?
        var cut = false
    }

    private let base = POSIXFileSystem()
    private let root: String
    private let state = Locked(State())

    /// Tracks the files under `root` (which must exist), all taken as durable.
    package init(root: String) throws(StorageError) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        var s = State()
        s.durable.directories.insert(self.root)
        func scan(_ directory: String) throws(StorageError) {
            for name in try base.contentsOfDirectory(directory) ?? [] {
                let path = directory + "/" + name
                if Self.isDirectory(path) {
                    s.durable.directories.insert(path)
                    try scan(path)
                } else {
                    let id = s.nextFile
                    s.nextFile += 1
                    s.files[id] = File(durable: try Self.contents(of: path, base))
                    s.live[path] = id
                    s.durable.files[path] = id
                }
            }
        }
        guard try base.contentsOfDirectory(self.root) != nil else {
            throw StorageError(.invalidArgument, "the power-loss file system's root \(self.root) is not a directory")
        }
        try scan(self.root)
        state.withLock { $0 = s }
    }

    /// Cuts the power at the `n`th call from now (1: the next): it and every later call fail with EIO.
    package func cutPower(atCall n: Int) {
        state.withLock { s in s.cutAt = s.calls + n }
    }

    /// Whether the power has been cut.
    package var powerIsCut: Bool { state.withLock { $0.cut } }

    /// The calls made so far (a workload run without a cut tells how many calls it makes).
    package var calls: Int { state.withLock { $0.calls } }

    /// Writes the files a reboot after the cut would find into `target` (an
    /// empty or missing directory), with `loss` deciding what became of the
    /// changes not made durable.
    package func writeImage(to target: String, loss: Loss, seed: UInt64) throws(StorageError) {
        var random = SplitMix64(seed: seed)
        let s = state.withLock { $0 }
        var names = s.durable
        if loss != .unsyncedDropped {
            // Journaled metadata: the entries changed since their directory's sync survive up to a point, in order.
            let kept = Int(random.next() % UInt64(s.pendingNames.count + 1))
            for (change, _) in s.pendingNames.prefix(kept) { names.apply(change) }
        }
        func relocated(_ path: String) -> String { target + path.dropFirst(root.count) }
        func reachable(_ path: String) -> Bool {
            var parent = Self.directory(of: path)
            while parent.count > root.count {
                guard names.directories.contains(parent) else { return false }
                parent = Self.directory(of: parent)
            }
            return true
        }
        _ = try base.makeDirectory(target)
        for directory in names.directories.sorted() where directory != root && reachable(directory) {
            _ = try base.makeDirectory(relocated(directory))
        }
        for (path, id) in names.files.sorted(by: { $0.key < $1.key }) where reachable(path) {
            guard let file = s.files[id] else { continue }
            let bytes = Self.survivor(of: file, loss: loss, random: &random)
            let out = try base.open(relocated(path), .createNew)
            defer { base.close(out) }
            try bytes.withBytes { (buffer) throws(StorageError) in try base.writeFully(out, [buffer], at: 0) }
        }
    }

    /// `bytes` with every one of `changes` made, in order.
    private static func applied(_ changes: [Change], to bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for change in changes {
            switch change {
            case .truncate(let length):
                bytes = Array(bytes.prefix(length)) + repeatElement(0, count: max(0, length - bytes.count))
            case .write(let offset, let data):
                if bytes.count < offset + data.count { bytes += repeatElement(0, count: offset + data.count - bytes.count) }
                bytes.replaceSubrange(offset..<(offset + data.count), with: data)
            }
        }
        return bytes
    }

    /// What a file holds after the power loss.
    private static func survivor(of file: File, loss: Loss, random: inout SplitMix64) -> [UInt8] {
        var bytes = file.durable
        func write(_ data: ArraySlice<UInt8>, at offset: Int) {
            if bytes.count < offset + data.count { bytes += repeatElement(0, count: offset + data.count - bytes.count) }
            bytes.replaceSubrange(offset..<(offset + data.count), with: data)
        }
        /// The 512-byte sectors of a write, as ranges of its bytes.
        func sectors(_ offset: Int, _ count: Int) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            var start = 0
            while start < count {
                let end = min(count, (offset + start) / 512 * 512 + 512 - offset)
                ranges.append(start..<end)
                start = end
            }
            return ranges
        }
        switch loss {
        case .unsyncedDropped:
            break
        case .unsyncedPrefix:
            let kept = Int(random.next() % UInt64(file.pending.count + 1))
            for (i, change) in file.pending.prefix(kept + 1).enumerated() {
                switch change {
                case .truncate(let length):
                    if i < kept { bytes = Array(bytes.prefix(length)) + repeatElement(0, count: max(0, length - bytes.count)) }
                case .write(let offset, let data):
                    // The last one kept may be torn: only its first sectors reached the disk.
                    let parts = sectors(offset, data.count)
                    let whole = i < kept ? parts.count : Int(random.next() % UInt64(parts.count + 1))
                    for range in parts.prefix(whole) { write(data[range], at: offset + range.lowerBound) }
                }
            }
        case .unsyncedSectors:
            for change in file.pending {
                switch change {
                case .truncate(let length):
                    bytes = Array(bytes.prefix(length)) + repeatElement(0, count: max(0, length - bytes.count))
                case .write(let offset, let data):
                    for range in sectors(offset, data.count) where random.next() & 1 == 0 {
                        write(data[range], at: offset + range.lowerBound)
                    }
                }
            }
        }
        return bytes
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    private static func contents(of path: String, _ base: POSIXFileSystem) throws(StorageError) -> [UInt8] {
        let file = try base.open(path, .read)
        defer { base.close(file) }
        return try base.read(file, count: Int(try base.size(file)), at: 0)
    }

    private func tracked(_ path: String) -> Bool { path.hasPrefix(root + "/") }

    /// Counts the call; throws EIO if the power is (or now goes) off.
    private func call(_ name: String, _ path: String) throws(StorageError) {
        let dead = state.withLock { s -> Bool in
            s.calls += 1
            if let at = s.cutAt, s.calls >= at { s.cut = true }
            return s.cut
        }
        if dead { throw StorageError.io("\(name) (power cut)", path: path, errno: EIO) }
    }

    /// Records a name change, durable once each of `directories` is synced.
    private func record(_ change: NameChange, in directories: Set<String>, _ s: inout State) {
        s.pendingNames.append((change, directories))
    }

    package func open(_ path: String, _ mode: OpenMode) throws(StorageError) -> FileHandle {
        try call("open", path)
        let known = tracked(path) && state.withLock { $0.live[path] != nil }
        let onDisk = tracked(path) && !known && access(path, F_OK) == 0
        let handle = try base.open(path, mode)
        guard tracked(path) else { return handle }
        // A file made outside this layer (before it, or beside it) is taken as durable.
        let adopted = onDisk ? try Self.contents(of: path, base) : nil
        state.withLock { s in
            if let id = s.live[path] {
                s.open[handle.fd] = id
                return
            }
            let id = s.nextFile
            s.nextFile += 1
            s.live[path] = id
            s.open[handle.fd] = id
            if let adopted {
                s.files[id] = File(durable: adopted)
                s.durable.files[path] = id
            } else {
                s.files[id] = File(durable: [])
                record(.link(path, file: id), in: [Self.directory(of: path)], &s)
            }
        }
        return handle
    }

    package func close(_ file: FileHandle) {
        state.withLock { _ = $0.open.removeValue(forKey: file.fd) }
        base.close(file)
    }

    package func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        try call("pread", file.path)
        return try base.pread(file, into: buffer, at: offset)
    }

    package func pwritev(_ file: FileHandle, _ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) -> Int {
        try call("pwritev", file.path)
        let n = try base.pwritev(file, buffers, at: offset)
        state.withLock { s in
            guard let id = s.open[file.fd] else { return }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(n)
            for buffer in buffers where bytes.count < n { bytes += buffer.prefix(n - bytes.count) }
            s.files[id]?.pending.append(.write(offset: Int(offset), bytes: bytes))
        }
        return n
    }

    package func sync(_ file: FileHandle) throws(StorageError) {
        try call("sync", file.path)
        try base.sync(file)
        state.withLock { s in
            guard let id = s.open[file.fd], var f = s.files[id] else { return }
            f.durable = Self.applied(f.pending, to: f.durable)
            f.pending = []
            s.files[id] = f
        }
    }

    package func truncate(_ file: FileHandle, to length: Int64) throws(StorageError) {
        try call("truncate", file.path)
        try base.truncate(file, to: length)
        state.withLock { s in
            guard let id = s.open[file.fd] else { return }
            s.files[id]?.pending.append(.truncate(Int(length)))
        }
    }

    package func size(_ file: FileHandle) throws(StorageError) -> Int64 {
        try call("size", file.path)
        return try base.size(file)
    }

    package func tryLockExclusive(_ file: FileHandle) throws(StorageError) -> Bool {
        try call("lock", file.path)
        return try base.tryLockExclusive(file)
    }

    package func unlock(_ file: FileHandle) { base.unlock(file) }

    package func rename(_ from: String, to: String) throws(StorageError) {
        try call("rename", from)
        try base.rename(from, to: to)
        guard tracked(from), tracked(to) else { return }
        state.withLock { s in
            s.live[to] = s.live[from]
            s.live[from] = nil
            record(.rename(from, to: to), in: [Self.directory(of: from), Self.directory(of: to)], &s)
        }
    }

    package func remove(_ path: String) throws(StorageError) {
        try call("remove", path)
        try base.remove(path)
        guard tracked(path) else { return }
        state.withLock { s in
            s.live[path] = nil
            record(.unlink(path), in: [Self.directory(of: path)], &s)
        }
    }

    package func syncDirectory(_ path: String) throws(StorageError) {
        try call("syncDirectory", path)
        try base.syncDirectory(path)
        let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
        state.withLock { s in
            // Every change made before this sync that involves this directory is now on disk for it.
            var still: [(change: NameChange, unsynced: Set<String>)] = []
            for var pending in s.pendingNames {
                pending.unsynced.remove(directory)
                if pending.unsynced.isEmpty { s.durable.apply(pending.change) } else { still.append(pending) }
            }
            s.pendingNames = still
        }
    }

    package func makeDirectory(_ path: String) throws(StorageError) -> Bool {
        try call("makeDirectory", path)
        let made = try base.makeDirectory(path)
        if made, tracked(path) {
            state.withLock { s in record(.makeDirectory(path), in: [Self.directory(of: path)], &s) }
        }
        return made
    }

    package func contentsOfDirectory(_ path: String) throws(StorageError) -> [String]? {
        try call("listDirectory", path)
        return try base.contentsOfDirectory(path)
    }
}
