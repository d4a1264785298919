/// Records to append together, atomically: after any crash the whole batch is
/// in the log or none of it is.
///
/// Build a batch by appending record payloads (opaque bytes; the storage
/// engine never looks inside), then pass it to ``Log/append(_:)-3e322``. Records get
/// their timestamps from the log when the batch commits, unless you give each
/// record one (for imports that must keep the original times); a batch either
/// gives every record a timestamp or none.
public struct LogBatch: Sendable {
    /// Framed records: varint length, varint (timestamp - first timestamp), bytes.
    var framed: [UInt8] = []
    /// How many records the batch holds.
    public private(set) var count = 0
    /// The first and last explicit timestamps, if the records carry their own.
    var explicitTimestamps: (first: Int64, last: Int64)?
    /// The sum of the records' payload lengths.
    public private(set) var payloadBytes = 0

    /// Creates an empty batch with room for about `byteCapacity` bytes of payload.
    public init(byteCapacity: Int = 0) {
        framed.reserveCapacity(byteCapacity)
    }

    /// Creates a batch of `payloads`, each stamped by the log when it commits.
    public init<S: Sequence>(_ payloads: S) where S.Element == [UInt8] {
        for payload in payloads { append(payload) }
    }

    /// Whether the batch holds no records.
    public var isEmpty: Bool { count == 0 }

    /// Appends a record to be stamped with the commit time.
    public mutating func append(_ payload: UnsafeRawBufferPointer) {
        precondition(explicitTimestamps == nil, "a batch gives every record a timestamp or none")
        framed.appendVarint(UInt64(payload.count))
        framed.append(0)
        framed.append(contentsOf: payload)
        count += 1
        payloadBytes += payload.count
    }

    /// Appends a record made of two parts (a header and a body), to be stamped
    /// with the commit time; saves the caller from joining them first.
    package mutating func append(_ head: UnsafeRawBufferPointer, _ tail: UnsafeRawBufferPointer) {
        precondition(explicitTimestamps == nil, "a batch gives every record a timestamp or none")
        framed.appendVarint(UInt64(head.count + tail.count))
        framed.append(0)
        framed.append(contentsOf: head)
        framed.append(contentsOf: tail)
        count += 1
        payloadBytes += head.count + tail.count
    }

    /// Appends the records of `other` after these, in order: batches built
    /// apart (on two threads, say) and sent as one. Neither may carry its
    /// own timestamps.
    package mutating func append(contentsOf other: LogBatch) {
        precondition(explicitTimestamps == nil && other.explicitTimestamps == nil, "only batches stamped by the log are joined")
        framed.append(contentsOf: other.framed)
        count += other.count
        payloadBytes += other.payloadBytes
    }

    /// Appends a record to be stamped with the commit time.
    public mutating func append(_ payload: [UInt8]) {
        payload.withUnsafeBytes { append($0) }
    }

    /// Appends a record with its own timestamp (microseconds since 1970-01-01 UTC).
    ///
    /// Timestamps must not decrease within a batch, nor fall before the last
    /// timestamp already in the log; ``Log/append(_:)-3e322`` rejects the batch otherwise.
    public mutating func append(_ payload: UnsafeRawBufferPointer, timestamp: Int64) throws(StorageError) {
        if count > 0 && explicitTimestamps == nil {
            throw StorageError(.invalidArgument, "a batch gives every record a timestamp or none; record \(count) has one, the earlier ones do not")
        }
        let first = explicitTimestamps?.first ?? timestamp
        if let last = explicitTimestamps?.last, timestamp < last {
            throw StorageError(.invalidArgument, "timestamps must not decrease within a batch: record \(count) has \(timestamp), the one before it \(last)")
        }
        let (delta, overflow) = timestamp.subtractingReportingOverflow(first)
        if overflow {
            throw StorageError(.invalidArgument, "record \(count)'s timestamp \(timestamp) is too far from the batch's first (\(first))")
        }
        framed.appendVarint(UInt64(payload.count))
        framed.appendVarint(UInt64(delta))
        framed.append(contentsOf: payload)
        explicitTimestamps = (first, timestamp)
        count += 1
        payloadBytes += payload.count
    }

    /// Appends a record with its own timestamp (microseconds since 1970-01-01 UTC).
    public mutating func append(_ payload: [UInt8], timestamp: Int64) throws(StorageError) {
        try payload.withBytes { (b) throws(StorageError) in try append(b, timestamp: timestamp) }
    }

    /// Calls `body` with each record's own timestamp (nil if the log stamps it) and bytes, in order.
    package func forEachRecord(_ body: (Int64?, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try framed.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                // The batch framed these itself.
                let length = Int(readVarint(b, &offset)!)
                let delta = readVarint(b, &offset)!
                let timestamp = explicitTimestamps.map { $0.first &+ Int64(bitPattern: delta) }
                try body(timestamp, UnsafeRawBufferPointer(rebasing: b[offset..<(offset + length)]))
                offset += length
            }
        }
    }

    /// The first and last timestamps the records carry, if they carry their own.
    package var ownTimestamps: (first: Int64, last: Int64)? { explicitTimestamps }

    /// Removes every record, keeping the allocated capacity.
    public mutating func removeAll() {
        framed.removeAll(keepingCapacity: true)
        count = 0
        payloadBytes = 0
        explicitTimestamps = nil
    }
}

/// A batch compressed and ready for the writer, which only adds the header.
struct PreparedBatch: Sendable {
    /// The payload, compressed or raw; encrypted only when the header is made (its bytes are the associated data).
    var stored: [UInt8]
    var flags: UInt16
    var uncompressedLength: UInt32
    var recordCount: UInt32
    var explicitTimestamps: (first: Int64, last: Int64)?
    /// The store's key, if its payloads are encrypted.
    var encryptionKey: EncryptionKey?

    /// The bytes stored after the header: the payload, and the nonce and tag if encrypted.
    var storedLength: Int { stored.count + (encryptionKey == nil ? 0 : EncryptionKey.overhead) }
    var totalLength: Int { Format.batchHeaderLength + storedLength }

    /// Compresses the batch; fails if it is empty or too large.
    init(_ batch: LogBatch, maxBatchBytes: Int, encryptionKey: EncryptionKey?) throws(StorageError) {
        guard batch.count > 0 else { throw StorageError(.invalidArgument, "a batch needs at least one record") }
        guard batch.framed.count <= maxBatchBytes, batch.framed.count <= LZ4.maxInputSize else {
            throw StorageError(.invalidArgument, "batch of \(batch.count) records is \(batch.framed.count) bytes framed; the limit is \(min(maxBatchBytes, LZ4.maxInputSize))")
        }
        if let compressed = batch.framed.withUnsafeBytes({ LZ4.compress($0) }) {
            stored = compressed
            flags = Format.flagLZ4
        } else {
            stored = batch.framed
            flags = 0
        }
        uncompressedLength = UInt32(batch.framed.count)
        recordCount = UInt32(batch.count)
        explicitTimestamps = batch.explicitTimestamps
        self.encryptionKey = encryptionKey
        if encryptionKey != nil { flags |= Format.flagEncrypted }
    }

    /// The header for this batch at `position`, chained from `previous`, with
    /// both checksums, and the payload as stored (encrypted, with the header's
    /// first 56 bytes as associated data, if the store is); `timestamp` stamps
    /// records that carry none.
    func header(position: UInt64, groupFirstPosition: UInt64, timestamp: Int64, previous: ChainHash)
        -> (bytes: [UInt8], chain: ChainHash, header: BatchHeader, stored: [UInt8]) {
        var header = BatchHeader(
            flags: flags, firstPosition: position, recordCount: recordCount, keyID: encryptionKey?.id ?? 0,
            minTimestamp: explicitTimestamps?.first ?? timestamp,
            maxTimestamp: explicitTimestamps?.last ?? timestamp,
            uncompressedLength: uncompressedLength, storedLength: UInt32(storedLength),
            groupFirstPosition: groupFirstPosition, chainHash: previous, batchCRC: 0, headerCRC: 0)
        var bytes = [UInt8](repeating: 0, count: Format.batchHeaderLength)
        var stored = self.stored
        bytes.withUnsafeMutableBytes { b in
            header.writePrefix(b)
            if let encryptionKey {
                stored = self.stored.withUnsafeBytes {
                    encryptionKey.seal($0, associated: UnsafeRawBufferPointer(rebasing: b[0..<Format.batchChainedPrefix]))
                }
            }
            header.chainHash = stored.withUnsafeBytes { payload in
                previous.next(headerPrefix: UnsafeRawBufferPointer(rebasing: b[0..<Format.batchChainedPrefix]), payload: payload)
            }
            header.chainHash.withUnsafeBytes {
                b.baseAddress!.advanced(by: Format.batchChainedPrefix).copyMemory(from: $0.baseAddress!, byteCount: 32)
            }
            header.batchCRC = stored.withUnsafeBytes { BatchHeader.batchCRC(header: UnsafeRawBufferPointer(b), payload: $0) }
            b.storeLE(header.batchCRC, at: Format.batchCRCOffset)
            header.headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<Format.batchHeaderCRCOffset]))
            b.storeLE(header.headerCRC, at: Format.batchHeaderCRCOffset)
        }
        return (bytes, header.chainHash, header, stored)
    }
}
