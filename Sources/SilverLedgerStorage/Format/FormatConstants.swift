/// The numbers of the on-disk format; docs/FORMAT.md explains each.
package enum Format {
    /// The format version this build writes and reads.
    static let version: UInt16 = 1

    static let manifestMagic = asciiMagic("SLSTORE1")
    static let segmentMagic = asciiMagic("SLSEGMT1")
    static let indexMagic = asciiMagic("SLINDEX1")
    static let indexTrailerMagic = asciiMagic("SLIDXEND")
    static let headMagic = asciiMagic("SLHEAD01")
    /// "SLB1" as a little-endian UInt32.
    static let batchMagic: UInt32 = 0x3142_4C53

    static let manifestLength = 64
    static let segmentHeaderLength = 64
    static let batchHeaderLength = 96
    /// Bytes of the batch header covered by the chain hash (everything before the chain hash field).
    static let batchChainedPrefix = 56
    /// Where the batch checksum (over header bytes before it, then the payload) is.
    static let batchCRCOffset = 88
    /// Where the header checksum (over header bytes before it) is.
    static let batchHeaderCRCOffset = 92
    static let indexHeaderLength = 64
    static let indexEntryLength = 24
    static let indexTrailerLength = 80
    static let headLength = 40

    static let manifestFileName = "STORE"
    static let lockFileName = "LOCK"
    static let headFileName = "HEAD"
    static let sealsFileName = "SEALS"
    static let verifiedFileName = "VERIFIED"
    static let recoveredDirectoryName = "recovered"
    static let segmentSuffix = ".seg"
    static let indexSuffix = ".idx"

    /// Batch flag: the payload is LZ4-compressed.
    static let flagLZ4: UInt16 = 1 << 0
    /// Batch flag: the payload is encrypted (AES-256-GCM, §20).
    static let flagEncrypted: UInt16 = 1 << 1
    static let knownBatchFlags: UInt16 = flagLZ4 | flagEncrypted
    /// Store flag (`STORE`): the store's payloads and sidecar files are encrypted.
    static let storeFlagEncrypted: UInt16 = 1 << 0

    /// The file name of the segment (or index) whose first position is `position`: 20 decimal digits.
    static func fileStem(_ position: UInt64) -> String {
        let digits = String(position)
        return String(repeating: "0", count: 20 - digits.count) + digits
    }

    /// The first position named by a segment file name, or nil if it is not one.
    static func position(fromFileName name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(stem)
    }
}

/// The random identity of a store, written once when it is created.
package struct StoreID: Hashable, Sendable, CustomStringConvertible {
    package var bytes: [UInt8]

    package init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }

    package static func random() -> StoreID {
        var generator = SystemRandomNumberGenerator()
        return StoreID(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    package var description: String { bytes.hexString }
}

/// The store manifest, file `STORE`: 64 bytes written once at creation.
struct Manifest: Equatable {
    var storeID: StoreID
    var createdAt: Int64
    /// The id of the key the store is encrypted with (§20), or nil for a store that is not.
    var encryptionKeyID: UInt32?

    var flags: UInt16 { encryptionKeyID == nil ? 0 : Format.storeFlagEncrypted }

    /// That `key` is the one the store is encrypted with; with `needed`, that
    /// an encrypted store has one (a verification can do without it).
    func checkEncryptionKey(_ key: EncryptionKey?, path: String, needed: Bool) throws(StorageError) {
        switch (encryptionKeyID, key) {
        case (nil, nil): return
        case (nil, let key?):
            throw StorageError(.encryptionKey, "the store is not encrypted, but an encryption key (id \(key.idHex)) was given; a store is encrypted or not from its creation", path: path)
        case (let id?, nil):
            if needed {
                throw StorageError(.encryptionKey, "the store is encrypted with key id \(EncryptionKey.hexID(id)); open it with that key (an encryption key file)", path: path)
            }
        case (let id?, let key?):
            guard id == key.id else {
                throw StorageError(.encryptionKey, "the store is encrypted with key id \(EncryptionKey.hexID(id)); the key given has id \(key.idHex)", path: path)
            }
        }
    }

    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Format.manifestLength)
        bytes.appendLE(Format.manifestMagic)
        bytes.appendLE(Format.version)
        bytes.appendLE(flags)
        bytes.appendLE(UInt32(Format.manifestLength))
        bytes.append(contentsOf: storeID.bytes)
        bytes.appendLE(createdAt)
        bytes.appendLE(encryptionKeyID ?? 0)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 16))
        bytes.appendLE(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// Reads and checks the manifest file (one byte more than its length is read, to notice a longer file).
    static func read(fs: any FileSystem, path: String) throws(StorageError) -> Manifest {
        let file = try fs.open(path, .read)
        defer { fs.close(file) }
        return try decode(fs.read(file, count: Format.manifestLength + 1, at: 0), path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> Manifest {
        guard bytes.count == Format.manifestLength else {
            throw StorageError(.corrupted, "store manifest is \(bytes.count) bytes, \(Format.manifestLength) expected", path: path, offset: 0)
        }
        return try bytes.withBytes { (b) throws(StorageError) -> Manifest in
            guard b.loadLE(UInt64.self, at: 0) == Format.manifestMagic else {
                throw StorageError(.notAStore, "store manifest has the wrong magic", path: path, offset: 0)
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<60]))
            guard crc == b.loadLE(UInt32.self, at: 60) else {
                throw StorageError(.corrupted, "store manifest checksum mismatch", path: path, offset: 60)
            }
            let version: UInt16 = b.loadLE(at: 8)
            guard version == Format.version else {
                throw StorageError(.incompatibleFormat, "store format version \(version), this build reads \(Format.version)", path: path, offset: 8)
            }
            let flags: UInt16 = b.loadLE(at: 10)
            guard flags & ~Format.storeFlagEncrypted == 0 else {
                throw StorageError(.incompatibleFormat, "store flags 0x\(String(flags, radix: 16)) have bits this build does not know", path: path, offset: 10)
            }
            let keyID: UInt32 = b.loadLE(at: 40)
            if flags & Format.storeFlagEncrypted != 0 && keyID == 0 {
                throw StorageError(.corrupted, "the store is marked encrypted but names no key (key id 0)", path: path, offset: 40)
            }
            return Manifest(
                storeID: StoreID(bytes: Array(b[16..<32])),
                createdAt: b.loadLE(at: 32),
                encryptionKeyID: flags & Format.storeFlagEncrypted != 0 ? keyID : nil)
        }
    }
}

/// The 64-byte header at the start of every segment file.
struct SegmentHeader: Equatable {
    var storeID: StoreID
    var firstPosition: UInt64
    var createdAt: Int64

    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Format.segmentHeaderLength)
        bytes.appendLE(Format.segmentMagic)
        bytes.appendLE(Format.version)
        bytes.appendLE(UInt16(0))
        bytes.appendLE(UInt32(Format.segmentHeaderLength))
        bytes.append(contentsOf: storeID.bytes)
        bytes.appendLE(firstPosition)
        bytes.appendLE(createdAt)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 12))
        bytes.appendLE(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// Decodes and checks a segment header; nil describes why it is not valid.
    static func decode(_ b: UnsafeRawBufferPointer) -> Result<SegmentHeader, FormatProblem> {
        guard b.count >= Format.segmentHeaderLength else { return .failure("segment header is truncated (\(b.count) of 64 bytes)") }
        guard b.loadLE(UInt64.self, at: 0) == Format.segmentMagic else { return .failure("segment header has the wrong magic") }
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<60])) == b.loadLE(UInt32.self, at: 60) else {
            return .failure("segment header checksum mismatch")
        }
        let version: UInt16 = b.loadLE(at: 8)
        guard version == Format.version else { return .failure("segment format version \(version), this build reads \(Format.version)") }
        return .success(SegmentHeader(
            storeID: StoreID(bytes: Array(b[16..<32])), firstPosition: b.loadLE(at: 32), createdAt: b.loadLE(at: 40)))
    }
}

/// Why a file (or part of one) is not valid, in one sentence.
struct FormatProblem: Error, Equatable, ExpressibleByStringInterpolation {
    var message: String
    init(stringLiteral value: String) { message = value }
    init(stringInterpolation: DefaultStringInterpolation) { message = String(stringInterpolation: stringInterpolation) }
}
