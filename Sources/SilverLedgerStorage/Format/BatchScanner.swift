/// Why a scan of a segment stopped before its end.
struct ScanProblem: Error, Equatable {
    enum Kind: Equatable {
        /// Fewer bytes than a header remain at the end of the file.
        case incompleteHeader
        /// The header is not valid (magic, header checksum, version, flags, lengths).
        case badHeader(BatchHeader.HeaderProblem)
        /// The header is valid but the file ends inside the payload.
        case incompleteBatch
        /// The batch checksum over header and payload does not match.
        case badChecksum(stored: UInt32, computed: UInt32)
        /// The chain hash does not follow from the previous batch.
        case badChain
        /// The batch does not start at the position the log is at.
        case badPosition(found: UInt64)
        /// The batch's timestamps go back in time.
        case badTimestamp(found: Int64, previous: Int64)
        /// The payload does not decompress, or its records do not match the header.
        case badPayload(String)
    }
    var kind: Kind
    /// Byte offset of the batch in the segment file.
    var offset: Int64
    /// The position the batch should have started at.
    var expectedPosition: UInt64
    /// The file's size when scanned.
    var fileSize: Int64

    /// Whether the file ends inside the batch: an incomplete write
    /// (the other torn tails are told by ``Recovery/tornTailReason``).
    var isAtTail: Bool {
        switch kind {
        case .incompleteHeader, .incompleteBatch: return true
        default: return false
        }
    }

    var message: String {
        switch kind {
        case .incompleteHeader: "file ends inside a batch header (\(fileSize - offset) of \(Format.batchHeaderLength) bytes)"
        case .badHeader(let p): p.message
        case .incompleteBatch: "file ends inside a batch (\(fileSize - offset) bytes present)"
        case .badChecksum(let s, let c): "batch checksum mismatch (stored 0x\(String(s, radix: 16)), computed 0x\(String(c, radix: 16)))"
        case .badChain: "hash chain broken: the batch's chain hash does not follow from the previous batch"
        case .badPosition(let found): "batch starts at position \(found), expected \(expectedPosition)"
        case .badTimestamp(let found, let previous): "batch timestamp \(found) is before the previous \(previous)"
        case .badPayload(let s): s
        }
    }
}

/// A batch read and checked by ``BatchScanner``.
struct ScannedBatch {
    var header: BatchHeader
    var offset: Int64
    var endOffset: Int64 { offset + Int64(header.totalLength) }
}

/// Reads the batches of one segment file in order, checking each one's
/// header, checksum, chain link, position and timestamps. Reads ahead in
/// chunks (growing from 16 KiB to 1 MiB as the scan goes on) so that small
/// batches do not cost two system calls each.
struct BatchScanner {
    let fs: any FileSystem
    let file: FileHandle
    /// Where the scan stops: the file's size, or the committed end.
    private(set) var fileSize: Int64
    private(set) var offset: Int64
    private(set) var expectedPosition: UInt64
    private(set) var chain: ChainHash
    private(set) var lastTimestamp: Int64
    /// The stored payload of the last batch returned (valid until the next call).
    private(set) var payload: ArraySlice<UInt8> = []

    private var buffer: [UInt8] = []
    /// Hashes large batches on a second core while this one decompresses them; nil: one core.
    var hasher: ChainHasher?
    /// The store's key, to decrypt encrypted payloads with (FORMAT.md §20).
    var encryptionKey: EncryptionKey?
    /// Set (to 0) by a verification without the key: encrypted payloads are
    /// then checked by their checksum and chain hash only, and counted here.
    /// Nil: every payload asked for is decoded (an encrypted one needs the key).
    var encryptedPayloadsNotDecoded: Int?
    private var bufferStart: Int64 = 0
    /// The most read ahead at once.
    private static let readAhead = 1 << 20
    /// How much the next refill reads: small at first, so that a cursor
    /// opened to read one batch reads little, doubling up to ``readAhead``
    /// as a scan goes on.
    private var window = 16 << 10

    init(fs: any FileSystem, file: FileHandle, fileSize: Int64, offset: Int64, position: UInt64, chain: ChainHash, lastTimestamp: Int64,
         key: EncryptionKey?) {
        self.fs = fs
        self.encryptionKey = key
        self.file = file
        self.fileSize = fileSize
        self.offset = offset
        self.expectedPosition = position
        self.chain = chain
        self.lastTimestamp = lastTimestamp
    }

    /// `count` bytes at `at`: a slice of the read-ahead buffer (no copy), refilled as needed.
    private mutating func bytes(at: Int64, count: Int) throws(StorageError) -> ArraySlice<UInt8> {
        if count > Self.readAhead {
            return try fs.read(file, count: count, at: at)[...]
        }
        if at < bufferStart || at + Int64(count) > bufferStart + Int64(buffer.count) {
            let want = Int(min(Int64(window), fileSize - at))
            window = min(window * 2, Self.readAhead)
            buffer = try fs.read(file, count: max(want, count), at: at)
            bufferStart = at
        }
        let start = Int(at - bufferStart)
        return buffer[start..<min(start + count, buffer.count)]
    }

    /// Lets the scan go on to `size` (the segment grew).
    mutating func extend(to size: Int64) {
        fileSize = size
    }

    /// The next batch, nil at the end of the file, or the problem that stops the scan.
    mutating func next(verifyChain: Bool = true) throws(StorageError) -> Result<ScannedBatch, ScanProblem>? {
        var unused: [UInt8] = []
        return try step(verifyChain: verifyChain, decodeInto: &unused, decode: false)
    }

    /// As ``next(verifyChain:)``, and also decompresses the payload into
    /// `output` and checks its records; for large batches the chain hash and
    /// the decompression run on two cores at once.
    mutating func next(verifyChain: Bool, decodingInto output: inout [UInt8]) throws(StorageError) -> Result<ScannedBatch, ScanProblem>? {
        try step(verifyChain: verifyChain, decodeInto: &output, decode: true)
    }

    /// Below this many uncompressed bytes a batch is hashed and decoded on one thread.
    private static let parallelThreshold = 32 << 10

    private mutating func step(verifyChain: Bool, decodeInto output: inout [UInt8], decode: Bool) throws(StorageError) -> Result<ScannedBatch, ScanProblem>? {
        guard offset < fileSize else { return nil }
        func problem(_ kind: ScanProblem.Kind) -> Result<ScannedBatch, ScanProblem> {
            .failure(ScanProblem(kind: kind, offset: offset, expectedPosition: expectedPosition, fileSize: fileSize))
        }
        if fileSize - offset < Int64(Format.batchHeaderLength) { return problem(.incompleteHeader) }
        let headerBytes = try bytes(at: offset, count: Format.batchHeaderLength)
        let decoded = headerBytes.withUnsafeBytes { BatchHeader.decode($0) }
        let header: BatchHeader
        switch decoded {
        case .failure(let p): return problem(.badHeader(p))
        case .success(let h): header = h
        }
        if offset + Int64(header.totalLength) > fileSize { return problem(.incompleteBatch) }
        payload = try bytes(at: offset + Int64(Format.batchHeaderLength), count: Int(header.storedLength))
        var decode = decode
        if decode, header.flags & Format.flagEncrypted != 0, encryptionKey == nil, let skipped = encryptedPayloadsNotDecoded {
            decode = false
            encryptedPayloadsNotDecoded = skipped + 1
        }
        let parallel = verifyChain && decode && Int(header.uncompressedLength) >= Self.parallelThreshold && hasher != nil
        var crc: UInt32 = 0
        var computedChain: ChainHash?
        var payloadProblem: String?
        let previous = chain
        headerBytes.withUnsafeBytes { h in
            payload.withUnsafeBytes { p in
                let prefix = UnsafeRawBufferPointer(rebasing: h[0..<Format.batchChainedPrefix])
                if parallel, let hasher {
                    // CRC32C and SHA-256 on one core while LZ4 runs on the other
                    // (liblz4's safe decoder is safe on damaged input; the checksum is judged first below).
                    hasher.start(previous: previous, header: h, payload: p)
                    payloadProblem = PayloadDecoder.decode(header, stored: p, key: encryptionKey, into: &output)
                    (crc, computedChain) = hasher.finish()
                } else {
                    crc = BatchHeader.batchCRC(header: h, payload: p)
                    if crc == header.batchCRC {
                        if verifyChain { computedChain = previous.next(headerPrefix: prefix, payload: p) }
                        if decode { payloadProblem = PayloadDecoder.decode(header, stored: p, key: encryptionKey, into: &output) }
                    }
                }
            }
        }
        if crc != header.batchCRC { return problem(.badChecksum(stored: header.batchCRC, computed: crc)) }
        if header.firstPosition != expectedPosition { return problem(.badPosition(found: header.firstPosition)) }
        if header.minTimestamp < lastTimestamp { return problem(.badTimestamp(found: header.minTimestamp, previous: lastTimestamp)) }
        if let computedChain, computedChain != header.chainHash { return problem(.badChain) }
        if let payloadProblem { return problem(.badPayload(payloadProblem)) }
        let scanned = ScannedBatch(header: header, offset: offset)
        offset = scanned.endOffset
        expectedPosition = header.nextPosition
        chain = header.chainHash
        lastTimestamp = header.maxTimestamp
        return .success(scanned)
    }
}

/// Decrypts and decompresses a batch payload and checks its record framing against the header.
enum PayloadDecoder {
    /// Decrypts (with `key`, if the batch is encrypted), decompresses (or
    /// copies) `stored` into `output`; returns a description of what is wrong, or nil.
    static func decode(_ header: BatchHeader, stored: UnsafeRawBufferPointer, key: EncryptionKey?, into output: inout [UInt8]) -> String? {
        guard header.flags & Format.flagEncrypted != 0 else { return decodePlain(header, stored: stored, into: &output) }
        guard let key else {
            return "the payload is encrypted (key id \(EncryptionKey.hexID(header.keyID))), and the store is not: no key to read it with"
        }
        guard header.keyID == key.id else {
            return "the payload is encrypted with key id \(EncryptionKey.hexID(header.keyID)); the store's key has id \(key.idHex)"
        }
        var prefix = [UInt8](repeating: 0, count: Format.batchChainedPrefix)
        prefix.withUnsafeMutableBytes { header.writePrefix($0) }
        guard let plain = prefix.withUnsafeBytes({ key.open(stored, associated: $0) }) else {
            return "the payload does not decrypt with the store's key (its authentication tag does not match: changed bytes, or a payload moved from another batch)"
        }
        return plain.withUnsafeBytes { decodePlain(header, stored: $0, into: &output) }
    }

    /// ``decode(_:stored:key:into:)`` for a payload that is not encrypted (or no longer).
    private static func decodePlain(_ header: BatchHeader, stored: UnsafeRawBufferPointer, into output: inout [UInt8]) -> String? {
        let length = Int(header.uncompressedLength)
        if header.flags & Format.flagLZ4 != 0 {
            var ok = false
            if output.count == length {
                // Reused in place when no one else holds it (else copied first).
                ok = output.withUnsafeMutableBytes { LZ4.decompress(stored, into: $0) }
            } else {
                // A new buffer, not zeroed first: the decompression fills all of it, or it is dropped.
                output = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
                    ok = LZ4.decompress(stored, into: UnsafeMutableRawBufferPointer(buffer))
                    initialized = ok ? length : 0
                }
            }
            if !ok { return "payload does not decompress to the declared \(length) bytes" }
        } else {
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: stored)
        }
        return output.withUnsafeBytes { checkFraming(header, $0) }
    }

    /// Walks the records: the count, the lengths and the timestamps must agree with the header.
    static func checkFraming(_ header: BatchHeader, _ b: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        var count: UInt32 = 0
        var previousDelta: UInt64 = 0
        // max >= min was checked with the header, so the wrapping difference is exact.
        let span = UInt64(bitPattern: header.maxTimestamp &- header.minTimestamp)
        while offset < b.count {
            guard let length = readVarint(b, &offset), let delta = readVarint(b, &offset) else {
                return "record \(count) has a malformed length or timestamp"
            }
            if count == 0 && delta != 0 { return "first record's timestamp is not the batch's minimum" }
            if delta < previousDelta || delta > span { return "record \(count) timestamp is out of order or outside the batch's range" }
            guard length <= UInt64(b.count - offset) else { return "record \(count) runs past the end of the payload" }
            offset += Int(length)
            previousDelta = delta
            count += 1
        }
        if count != header.recordCount { return "payload holds \(count) records, header says \(header.recordCount)" }
        if previousDelta != span { return "last record's timestamp is not the batch's maximum" }
        return nil
    }
}
