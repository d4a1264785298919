#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file: its descriptor and the path it was opened by, for messages.
package struct FileHandle: Sendable, Hashable {
    package let fd: Int32
    package let path: String
    package init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }
}

/// How a file is opened.
package enum OpenMode: Sendable {
    /// Read only; the file must exist.
    case read
    /// Read and write; the file must exist.
    case readWrite
    /// Read and write; the file is created (mode 0600) and must not exist yet.
    case createNew
    /// Read and write; created (mode 0600) if missing, kept otherwise.
    case createOrOpen
}

/// The one layer every file operation of the storage engine goes through.
///
/// ``POSIXFileSystem`` is the real one; ``FaultInjectingFileSystem`` wraps it to
/// make chosen calls fail (ENOSPC, EIO, short writes, failing syncs) so that
/// tests can show the engine stays consistent when the disk misbehaves.
/// Methods throw ``StorageError`` with code `.io` and the errno.
package protocol FileSystem: Sendable {
    func open(_ path: String, _ mode: OpenMode) throws(StorageError) -> FileHandle
    func close(_ file: FileHandle)
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at end of file).
    func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int
    /// Writes the buffers, in order, at `offset`; returns how many bytes were written (may be short).
    func pwritev(_ file: FileHandle, _ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) -> Int
    /// Makes the file's data durable (fdatasync on Linux, F_FULLFSYNC on Darwin).
    func sync(_ file: FileHandle) throws(StorageError)
    func truncate(_ file: FileHandle, to length: Int64) throws(StorageError)
    func size(_ file: FileHandle) throws(StorageError) -> Int64
    /// Takes an exclusive advisory lock without waiting; returns false if another open file description holds it.
    func tryLockExclusive(_ file: FileHandle) throws(StorageError) -> Bool
    /// Releases the lock now, even if a child process started meanwhile still holds a copy of the descriptor.
    func unlock(_ file: FileHandle)
    func rename(_ from: String, to: String) throws(StorageError)
    func remove(_ path: String) throws(StorageError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(StorageError)
    /// Creates a directory with mode 0700; returns false if it already existed.
    func makeDirectory(_ path: String) throws(StorageError) -> Bool
    /// The names in a directory (without "." and ".."); nil if it does not exist.
    func contentsOfDirectory(_ path: String) throws(StorageError) -> [String]?
}

extension FileSystem {
    /// Reads exactly `buffer.count` bytes at `offset`, or fewer only at end of file; returns the count read.
    package func readFully(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = try pread(file, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `count` bytes at `offset` into a new array; fewer at end of file.
    package func read(_ file: FileHandle, count: Int, at offset: Int64) throws(StorageError) -> [UInt8] {
        var failure: StorageError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(StorageError) {
                initialized = try readFully(file, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of the buffers at `offset`, continuing after short writes.
    /// A write that makes no progress is reported as EIO.
    package func writeFully(_ file: FileHandle, _ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) {
        var remaining = buffers.filter { $0.count > 0 }
        var position = offset
        while !remaining.isEmpty {
            let n = try pwritev(file, remaining, at: position)
            if n <= 0 { throw StorageError.io("pwritev (no progress)", path: file.path, errno: EIO, offset: position) }
            position += Int64(n)
            var skip = n
            while skip > 0, let first = remaining.first {
                if skip >= first.count {
                    skip -= first.count
                    remaining.removeFirst()
                } else {
                    remaining[0] = UnsafeRawBufferPointer(rebasing: first[skip...])
                    skip = 0
                }
            }
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, sync, rename, directory sync.
    package func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(StorageError) {
        try writeAtomically(to: path, directory: directory) { (sink) throws(StorageError) in try sink.write(bytes) }
    }

    /// Writes a file atomically as ``writeAtomically(_:to:directory:)`` does,
    /// its bytes handed to `sink` in pieces by `produce`, each written as it
    /// comes (sealed in chunks first, with `sealer`): a large file is never
    /// whole in memory. If `produce` throws, the temporary file is removed and
    /// `path` is left as it was.
    func writeAtomically(to path: String, directory: String, sealingWith sealer: SidecarEncryption.Sealer? = nil,
                                 _ produce: (_ sink: inout ByteSink) throws(StorageError) -> Void) throws(StorageError) {
        let temporary = path + ".tmp"
        try? remove(temporary)
        let file = try open(temporary, .createNew)
        do throws(StorageError) {
            var sink = try ByteSink(fs: self, file: file, sealer: sealer)
            try produce(&sink)
            try sink.finish()
            try sync(file)
        } catch {
            close(file)
            try? remove(temporary)
            throw error
        }
        close(file)
        try rename(temporary, to: path)
        try syncDirectory(directory)
    }
}

/// The real file system, through POSIX calls.
package struct POSIXFileSystem: FileSystem {
    package init() {}

    package func open(_ path: String, _ mode: OpenMode) throws(StorageError) -> FileHandle {
        let flags: Int32
        switch mode {
        case .read: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createNew: flags = O_RDWR | O_CREAT | O_EXCL
        case .createOrOpen: flags = O_RDWR | O_CREAT
        }
        let fd = retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, 0o600) }
        if fd < 0 { throw StorageError.io("open", path: path, errno: Glibc.errno) }
        return FileHandle(fd: fd, path: path)
    }

    package func close(_ file: FileHandle) {
        _ = Glibc.close(file.fd)
    }

    package func pread(_ file: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let n = retryingOnInterrupt { Glibc.pread(file.fd, buffer.baseAddress, buffer.count, off_t(offset)) }
        if n < 0 { throw StorageError.io("pread", path: file.path, errno: Glibc.errno, offset: offset) }
        return n
    }

    package func pwritev(_ file: FileHandle, _ buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) -> Int {
        let iovecs = buffers.prefix(Int(1024)).map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        let n = iovecs.withUnsafeBufferPointer { vectors in
            retryingOnInterrupt { Glibc.pwritev(file.fd, vectors.baseAddress, Int32(vectors.count), off_t(offset)) }
        }
        if n < 0 { throw StorageError.io("pwritev", path: file.path, errno: Glibc.errno, offset: offset) }
        return n
    }

    package func sync(_ file: FileHandle) throws(StorageError) {
        #if os(Linux)
        let rc = retryingOnInterrupt { fdatasync(file.fd) }
        let call = "fdatasync"
        #else
        let rc = retryingOnInterrupt { fcntl(file.fd, F_FULLFSYNC) }
        let call = "fcntl(F_FULLFSYNC)"
        #endif
        if rc != 0 { throw StorageError.io(call, path: file.path, errno: Glibc.errno) }
    }

    package func truncate(_ file: FileHandle, to length: Int64) throws(StorageError) {
        let rc = retryingOnInterrupt { ftruncate(file.fd, off_t(length)) }
        if rc != 0 { throw StorageError.io("ftruncate", path: file.path, errno: Glibc.errno, offset: length) }
    }

    package func size(_ file: FileHandle) throws(StorageError) -> Int64 {
        var st = stat()
        if fstat(file.fd, &st) != 0 { throw StorageError.io("fstat", path: file.path, errno: Glibc.errno) }
        return Int64(st.st_size)
    }

    package func tryLockExclusive(_ file: FileHandle) throws(StorageError) -> Bool {
        let rc = retryingOnInterrupt { flock(file.fd, LOCK_EX | LOCK_NB) }
        if rc == 0 { return true }
        let e = Glibc.errno
        if e == EWOULDBLOCK || e == EAGAIN { return false }
        throw StorageError.io("flock", path: file.path, errno: e)
    }

    package func unlock(_ file: FileHandle) {
        _ = retryingOnInterrupt { flock(file.fd, LOCK_UN) }
    }

    package func rename(_ from: String, to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 { throw StorageError.io("rename to \(to)", path: from, errno: Glibc.errno) }
    }

    package func remove(_ path: String) throws(StorageError) {
        if unlink(path) != 0 { throw StorageError.io("unlink", path: path, errno: Glibc.errno) }
    }

    package func syncDirectory(_ path: String) throws(StorageError) {
        let fd = retryingOnInterrupt { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw StorageError.io("open directory", path: path, errno: Glibc.errno) }
        defer { _ = Glibc.close(fd) }
        if retryingOnInterrupt({ fsync(fd) }) != 0 { throw StorageError.io("fsync directory", path: path, errno: Glibc.errno) }
    }

    package func makeDirectory(_ path: String) throws(StorageError) -> Bool {
        if mkdir(path, 0o700) == 0 { return true }
        let e = Glibc.errno
        if e == EEXIST { return false }
        throw StorageError.io("mkdir", path: path, errno: e)
    }

    package func contentsOfDirectory(_ path: String) throws(StorageError) -> [String]? {
        guard let dir = opendir(path) else {
            let e = Glibc.errno
            if e == ENOENT { return nil }
            throw StorageError.io("opendir", path: path, errno: e)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

@inline(__always)
private func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && Glibc.errno == EINTR { continue }
        return result
    }
}
