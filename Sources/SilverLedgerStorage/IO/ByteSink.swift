/// Where the bytes of a file go as they are made, piece by piece: written to
/// the file at once (``FileSystem/writeAtomically(to:directory:sealingWith:_:)``),
/// sealed in chunks on their way there (a sidecar file of an encrypted store,
/// FORMAT.md §20), or kept in memory.
package struct ByteSink {
    private let file: (fs: any FileSystem, handle: FileHandle)?
    private var sealer: SidecarEncryption.Sealer?
    /// The bytes given so far, when they are kept in memory.
    package private(set) var collected: [UInt8] = []
    /// How many bytes were given so far.
    package private(set) var count: Int64 = 0
    /// How many bytes went to the file (sealed, if they are).
    private var stored: Int64 = 0

    /// A sink that keeps the bytes in memory, in ``collected``.
    package init() {
        file = nil
    }

    /// A sink that writes each piece to `file` after the ones before it, from
    /// offset 0; with `sealer`, the pieces are sealed in its chunks first
    /// (its header written now; ``finish()`` seals the last chunk).
    init(fs: any FileSystem, file: FileHandle, sealer: SidecarEncryption.Sealer? = nil) throws(StorageError) {
        self.file = (fs, file)
        self.sealer = sealer
        if let sealer { try store(sealer.header) }
    }

    /// Writes `bytes` after the pieces before them.
    package mutating func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        count += Int64(bytes.count)
        guard var sealer else { return try store(bytes) }
        self.sealer = nil
        defer { self.sealer = sealer }
        try sealer.add(bytes) { (sealed) throws(StorageError) in try store(sealed) }
    }

    /// Writes `bytes` after the pieces before them.
    package mutating func write(_ bytes: [UInt8]) throws(StorageError) {
        if file == nil, collected.isEmpty {
            collected = bytes   // shared, not copied
            count += Int64(bytes.count)
            return
        }
        try bytes.withBytes { (b) throws(StorageError) in try write(b) }
    }

    /// Seals the last chunk, if the pieces are sealed; called once the last piece is given.
    mutating func finish() throws(StorageError) {
        guard var sealer else { return }
        self.sealer = nil
        try sealer.finish { (sealed) throws(StorageError) in try store(sealed) }
    }

    private mutating func store(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        if let file {
            try file.fs.writeFully(file.handle, [bytes], at: stored)
        } else {
            collected.append(contentsOf: bytes)
        }
        stored += Int64(bytes.count)
    }

    private mutating func store(_ bytes: [UInt8]) throws(StorageError) {
        try bytes.withBytes { (b) throws(StorageError) in try store(b) }
    }
}
