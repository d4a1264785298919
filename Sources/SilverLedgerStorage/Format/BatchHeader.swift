/// The 96-byte header in front of every batch's payload (docs/FORMAT.md, "Batch").
struct BatchHeader: Equatable {
    var flags: UInt16
    var firstPosition: UInt64
    var recordCount: UInt32
    var keyID: UInt32
    var minTimestamp: Int64
    var maxTimestamp: Int64
    var uncompressedLength: UInt32
    var storedLength: UInt32
    /// The first position of the write this batch was part of: the writer
    /// writes a group of batches with one write and one sync, so a batch whose
    /// group started at or before a damaged batch belongs to the same
    /// unacknowledged write (see FORMAT.md, "Recovery").
    var groupFirstPosition: UInt64
    var chainHash: ChainHash
    var batchCRC: UInt32
    var headerCRC: UInt32

    /// One past the last position of the batch.
    var nextPosition: UInt64 { firstPosition + UInt64(recordCount) }
    /// The timestamp of a record `delta` after the batch's first (delta <= max - min, checked with the framing).
    func timestamp(_ delta: UInt64) -> Int64 {
        Int64(bitPattern: UInt64(bitPattern: minTimestamp) &+ delta)
    }

    /// Header and payload.
    var totalLength: Int { Format.batchHeaderLength + Int(storedLength) }

    /// Writes the first 56 bytes (the part the chain hash covers) into `b`.
    func writePrefix(_ b: UnsafeMutableRawBufferPointer) {
        b.storeLE(Format.batchMagic, at: 0)
        b.storeLE(Format.version, at: 4)
        b.storeLE(flags, at: 6)
        b.storeLE(firstPosition, at: 8)
        b.storeLE(recordCount, at: 16)
        b.storeLE(keyID, at: 20)
        b.storeLE(minTimestamp, at: 24)
        b.storeLE(maxTimestamp, at: 32)
        b.storeLE(uncompressedLength, at: 40)
        b.storeLE(storedLength, at: 44)
        b.storeLE(groupFirstPosition, at: 48)
    }

    /// The batch checksum: CRC32C of header bytes 0..<88, then the payload.
    static func batchCRC(header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> UInt32 {
        CRC32C.extend(CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: header[0..<Format.batchCRCOffset])), payload)
    }

    /// Why a header is not usable, before its payload is looked at.
    enum HeaderProblem: Error, Equatable {
        case truncated(Int)
        case badMagic(UInt32)
        case badHeaderCRC(stored: UInt32, computed: UInt32)
        case unsupportedVersion(UInt16)
        case unknownFlags(UInt16)
        case badLengths(String)

        var message: String {
            switch self {
            case .truncated(let n): "batch header is truncated (\(n) of \(Format.batchHeaderLength) bytes)"
            case .badMagic(let m): "no batch magic (found 0x\(String(m, radix: 16)))"
            case .badHeaderCRC(let s, let c): "batch header checksum mismatch (stored 0x\(String(s, radix: 16)), computed 0x\(String(c, radix: 16)))"
            case .unsupportedVersion(let v): "batch format version \(v), this build reads \(Format.version)"
            case .unknownFlags(let f): "batch has unknown flags 0x\(String(f, radix: 16))"
            case .badLengths(let s): s
            }
        }
    }

    /// Decodes and checks a header: magic, header CRC, version, flags, lengths.
    static func decode(_ b: UnsafeRawBufferPointer) -> Result<BatchHeader, HeaderProblem> {
        guard b.count >= Format.batchHeaderLength else { return .failure(.truncated(b.count)) }
        let magic: UInt32 = b.loadLE(at: 0)
        guard magic == Format.batchMagic else { return .failure(.badMagic(magic)) }
        let storedHeaderCRC: UInt32 = b.loadLE(at: Format.batchHeaderCRCOffset)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<Format.batchHeaderCRCOffset]))
        guard storedHeaderCRC == computed else { return .failure(.badHeaderCRC(stored: storedHeaderCRC, computed: computed)) }
        let version: UInt16 = b.loadLE(at: 4)
        guard version == Format.version else { return .failure(.unsupportedVersion(version)) }
        let flags: UInt16 = b.loadLE(at: 6)
        guard flags & ~Format.knownBatchFlags == 0 else { return .failure(.unknownFlags(flags)) }
        let header = BatchHeader(
            flags: flags,
            firstPosition: b.loadLE(at: 8),
            recordCount: b.loadLE(at: 16),
            keyID: b.loadLE(at: 20),
            minTimestamp: b.loadLE(at: 24),
            maxTimestamp: b.loadLE(at: 32),
            uncompressedLength: b.loadLE(at: 40),
            storedLength: b.loadLE(at: 44),
            groupFirstPosition: b.loadLE(at: 48),
            chainHash: ChainHash(UnsafeRawBufferPointer(rebasing: b[Format.batchChainedPrefix..<Format.batchCRCOffset])),
            batchCRC: b.loadLE(at: Format.batchCRCOffset),
            headerCRC: storedHeaderCRC)
        if header.recordCount == 0 { return .failure(.badLengths("batch has no records")) }
        if header.firstPosition > UInt64.max - UInt64(header.recordCount) {
            return .failure(.badLengths("batch positions \(header.firstPosition) + \(header.recordCount) overflow"))
        }
        if header.groupFirstPosition > header.firstPosition {
            return .failure(.badLengths("batch's write group starts at \(header.groupFirstPosition), after the batch (\(header.firstPosition))"))
        }
        if header.minTimestamp > header.maxTimestamp {
            return .failure(.badLengths("batch min timestamp \(header.minTimestamp) is after its max \(header.maxTimestamp)"))
        }
        let encrypted = header.flags & Format.flagEncrypted != 0
        if encrypted && (header.keyID == 0 || header.storedLength < UInt32(EncryptionKey.overhead)) {
            return .failure(.badLengths("encrypted batch has key id \(header.keyID) and \(header.storedLength) stored bytes (a key id other than 0 and at least \(EncryptionKey.overhead) bytes needed)"))
        }
        // An encrypted payload carries its nonce and tag beside the (compressed or raw) bytes.
        let overhead = encrypted ? UInt64(EncryptionKey.overhead) : 0
        if header.flags & Format.flagLZ4 == 0 && UInt64(header.storedLength) != UInt64(header.uncompressedLength) + overhead {
            return .failure(.badLengths("uncompressed batch stores \(header.storedLength) bytes but declares \(header.uncompressedLength)" + (encrypted ? " (+\(overhead) of encryption)" : "")))
        }
        // Each record takes at least two bytes of framing.
        if UInt64(header.uncompressedLength) < 2 * UInt64(header.recordCount) {
            return .failure(.badLengths("batch declares \(header.recordCount) records in \(header.uncompressedLength) bytes"))
        }
        return .success(header)
    }
}
