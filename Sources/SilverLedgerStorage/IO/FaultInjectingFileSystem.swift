#if canImport(Glibc)
import Glibc
#endif

/// A ``FileSystem`` that passes calls to another one and makes chosen calls fail.
///
/// Tests use it to show that the engine stays consistent when the disk
/// misbehaves: name an operation, the number of its call to fail (1 is the
/// next call) and the fault. Calls are counted from the moment the fault is
/// armed; only paths containing `pathFilter` (if set) are counted.
package final class FaultInjectingFileSystem: FileSystem {
    /// The operations faults can be injected into.
    package enum Operation: String, Sendable, CaseIterable {
        case open, pread, pwrite, sync, truncate, lock, rename, remove, syncDirectory, makeDirectory, listDirectory
    }

    /// What the failing call does.
    package enum Fault: Sendable, Equatable {
        /// The call fails with this errno (ENOSPC, EIO, ...), doing nothing.
        case error(Int32)
        /// A write stores only this many bytes of what it was given and reports so.
        case shortWrite(Int)
        /// A write stores this many bytes of what it was given, then fails with the errno.
        case partialWriteThenError(Int, Int32)
    }

    private struct Armed {
        var operation: Operation
        var countdown: Int
        var fault: Fault
        var pathFilter: String?
        var sticky: Bool
    }

    private struct State {
        var armed: [Armed] = []
        var calls: [Operation: Int] = [:]
        var injected = 0
        /// The fault armed for the Nth call of any operation, if one is.
        var anyCall: (countdown: Int, error: Int32, write: Fault?)?
        /// The operation and path of the last fault injected.
        var lastInjected: (operation: Operation, path: String)?
    }

    private let base: any FileSystem
    private let state = Locked(State())

    package init(base: any FileSystem = POSIXFileSystem()) {
        self.base = base
    }

    /// Makes the `nth` next call of `operation` fail with `fault`. With `sticky`,
    /// every call after it fails too (a disk that stays broken).
    package func inject(_ fault: Fault, into operation: Operation, atCall nth: Int = 1, pathContaining pathFilter: String? = nil, sticky: Bool = false) {
        precondition(nth >= 1)
        state.withLock { $0.armed.append(Armed(operation: operation, countdown: nth, fault: fault, pathFilter: pathFilter, sticky: sticky)) }
    }

    /// Makes the `nth` next call of any operation fail (SQLite's I/O-error
    /// loop): a write with `write` (default: `.error(error)`), any other call
    /// with `error`.
    package func injectAtAnyCall(_ nth: Int, error: Int32, write: Fault? = nil) {
        precondition(nth >= 1)
        state.withLock { $0.anyCall = (nth, error, write) }
    }

    /// Removes all armed faults.
    package func reset() {
        state.withLock {
            $0.armed.removeAll()
            $0.anyCall = nil
        }
    }

    /// The operation and path of the last fault injected, if any.
    package var lastInjected: (operation: Operation, path: String)? { state.withLock { $0.lastInjected } }

    /// How many calls of each operation were made so far.
    package func callCount(_ operation: Operation) -> Int {
        state.withLock { $0.calls[operation, default: 0] }
    }

    /// How many faults fired so far.
    package var injectedCount: Int { state.withLock { $0.injected } }

    private func fault(for operation: Operation, path: String) -> Fault? {
        state.withLock { state in
            state.calls[operation, default: 0] += 1
            for i in state.armed.indices where state.armed[i].operation == operation {
                if let filter = state.armed[i].pathFilter, !path.contains(filter) { continue }
                state.armed[i].countdown -= 1
                if state.armed[i].countdown <= 0 {
                    let fault = state.armed[i].fault
                    if !state.armed[i].sticky { state.armed.remove(at: i) }
                    state.injected += 1
                    state.lastInjected = (operation, path)
                    return fault
                }
            }
            if let any = state.anyCall {
                if any.countdown > 1 {
                    state.anyCall?.countdown -= 1
                } else {
                    state.anyCall = nil
                    state.injected += 1
                    state.lastInjected = (operation, path)
                    return operation == .pwrite ? any.write ?? .error(any.error) : .error(any.error)
                }
            }
            return nil
        }
    }

    private func fail(_ operation: Operation, path: String) throws(StorageError) {
        if case .error(let e)? = fault(for: operation, path: path) {
            throw StorageError.io("\(operation.rawValue) (injected fault)", path: path, errno: e)
        }
    }

    package func open(_ path: String, _ mode: OpenMode) throws(StorageError) -> FileHandle {
        try fail(.open, path: path)
        return try base.open(path, mode)
    }

    package func close(_ file: FileHandle) { base.close(file) }

    package func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        try fail(.pread, path: file.path)
        return try base.pread(file, into: buffer, at: offset)
    }

    package func pwritev(_ file: FileHandle, _ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) -> Int {
        switch fault(for: .pwrite, path: file.path) {
        case nil:
            return try base.pwritev(file, buffers, at: offset)
        case .error(let e)?:
            throw StorageError.io("pwritev (injected fault)", path: file.path, errno: e, offset: offset)
        case .shortWrite(let n)?:
            return try base.pwritev(file, Self.prefix(buffers, n), at: offset)
        case .partialWriteThenError(let n, let e)?:
            _ = try base.pwritev(file, Self.prefix(buffers, n), at: offset)
            throw StorageError.io("pwritev (injected fault after \(n) bytes)", path: file.path, errno: e, offset: offset)
        }
    }

    private static func prefix(_ buffers: [UnsafeRawBufferPointer], _ count: Int) -> [UnsafeRawBufferPointer] {
        var left = max(0, count)
        var out: [UnsafeRawBufferPointer] = []
        for buffer in buffers where left > 0 {
            let take = min(left, buffer.count)
            out.append(UnsafeRawBufferPointer(rebasing: buffer[..<take]))
            left -= take
        }
        return out
    }

    package func sync(_ file: FileHandle) throws(StorageError) {
        try fail(.sync, path: file.path)
        try base.sync(file)
    }

    package func truncate(_ file: FileHandle, to length: Int64) throws(StorageError) {
        try fail(.truncate, path: file.path)
        try base.truncate(file, to: length)
    }

    package func size(_ file: FileHandle) throws(StorageError) -> Int64 { try base.size(file) }

    package func tryLockExclusive(_ file: FileHandle) throws(StorageError) -> Bool {
        try fail(.lock, path: file.path)
        return try base.tryLockExclusive(file)
    }

    package func unlock(_ file: FileHandle) { base.unlock(file) }

    package func rename(_ from: String, to: String) throws(StorageError) {
        try fail(.rename, path: from)
        try base.rename(from, to: to)
    }

    package func remove(_ path: String) throws(StorageError) {
        try fail(.remove, path: path)
        try base.remove(path)
    }

    package func syncDirectory(_ path: String) throws(StorageError) {
        try fail(.syncDirectory, path: path)
        try base.syncDirectory(path)
    }

    package func makeDirectory(_ path: String) throws(StorageError) -> Bool {
        try fail(.makeDirectory, path: path)
        return try base.makeDirectory(path)
    }

    package func contentsOfDirectory(_ path: String) throws(StorageError) -> [String]? {
        try fail(.listDirectory, path: path)
        return try base.contentsOfDirectory(path)
    }
}
