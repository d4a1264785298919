/// Where the bytes of a file go as they are made, piece by piece: written to
/// the file at once (``FileSystem/writeAtomically(to:directory:_:)``), or kept
/// in memory when the whole is needed before anything is written (a sidecar
/// file of an encrypted store is sealed whole, FORMAT.md §20).
package struct ByteSink {
    private let file: (fs: any FileSystem, handle: FileHandle)?
    /// The bytes given so far, when they are kept in memory.
    package private(set) var collected: [UInt8] = []
    /// How many bytes were given so far.
    package private(set) var count: Int64 = 0

    /// A sink that keeps the bytes in memory, in ``collected``.
    package init() {
        file = nil
    }

    /// A sink that writes each piece to `file` after the ones before it, from offset 0.
    init(fs: any FileSystem, file: FileHandle) {
        self.file = (fs, file)
    }

    /// Writes `bytes` after the pieces before them.
    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        if let file {
            try file.fs.writeFully(file.handle, [bytes], at: count)
        } else {
            collected.append(contentsOf: bytes)
        }
        count += Int64(bytes.count)
    }

    /// Writes `bytes` after the pieces before them.
    package mutating func write(_ bytes: [UInt8]) throws(StorageError) {
        if let file {
            let offset = count
            try bytes.withBytes { (b) throws(StorageError) in try file.fs.writeFully(file.handle, [b], at: offset) }
        } else if collected.isEmpty {
            collected = bytes   // shared, not copied
        } else {
            collected.append(contentsOf: bytes)
        }
        count += Int64(bytes.count)
    }
}
