import SilverLedgerStorage

/// The stream and command indexes saved beside the log when the store closes
/// (`snapshots/store.index`), so that opening reads them and only the events
/// after them instead of the whole log. docs/FORMAT.md, "`snapshots/`", gives
/// the bytes:
///
/// ```
/// bytes[8]  magic "SLIDX003"
/// u64 LE    end: the indexes cover the positions below it
/// bytes[32] the chain hash of the batch holding position `end - 1` (genesis if `end` is 0)
/// u64 LE    the stream map's seed (``StreamMap/seed``)
/// u64 LE    stream count S, then S × (bytes[16] key: the first 16 bytes of the SHA-256 of the name, varint event count, varint last position), in the map's order (``StreamMap/makeIterator()``)
/// varint×end  for each position p: p - (the previous position of p's stream), 0 if none
/// u64 LE    command count C, then C × (u64 LE fingerprint of the id, varint first position, varint event count)
/// u32 LE    CRC32C of everything before it
/// ```
///
/// A stream is kept as its key (``StreamKey``) and a command id as its
/// fingerprint (``CommandIndex/fingerprint(_:)``): the file holds no names. A
/// file that is damaged, or whose
/// chain hash is not the log's at `end` (the log was repaired or replaced), is
/// ignored and the indexes are rebuilt from the whole log.
enum IndexCheckpoint {
    static let fileName = "store.index"
    static let magic: [UInt8] = Array("SLIDX003".utf8)

    struct Contents {
        var end: UInt64
        var chain: [UInt8]
        var streams: StreamIndex
        var commands: CommandIndex
    }

    /// The bytes of the file, handed to `write` in pieces of at least `piece`
    /// bytes (the last one shorter, ending with the checksum) as they are
    /// made: the close of a large store writes them as they come instead of
    /// building its 500 MB file in memory first.
    static func encode<E: Error>(end: UInt64, chain: [UInt8], streams: StreamIndex, commands: CommandIndex, piece: Int = 1 << 20,
                                 write: ([UInt8]) throws(E) -> Void) throws(E) {
        precondition(chain.count == 32 && streams.end == end && piece > 0)
        var bytes = magic
        // Room for a piece and the longest entry after it: the buffer never grows.
        bytes.reserveCapacity(piece + 64)
        var crc: UInt32 = 0
        withUnsafeBytes(of: end.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: chain)
        withUnsafeBytes(of: streams.streams.seed.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(streams.streams.count).littleEndian) { bytes.append(contentsOf: $0) }
        for (key, entry) in streams.streams {
            withUnsafeBytes(of: key.high.bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: key.low.bigEndian) { bytes.append(contentsOf: $0) }
            bytes.appendVarint(entry.count)
            bytes.appendVarint(entry.last)
            try handOver(&bytes, &crc, atLeast: piece, to: write)
        }
        for p in 0..<streams.previous.count {
            let previous = streams.previous[p]
            bytes.appendVarint(previous == StreamIndex.none ? 0 : UInt64(p) - previous)
            try handOver(&bytes, &crc, atLeast: piece, to: write)
        }
        withUnsafeBytes(of: UInt64(commands.doneCount).littleEndian) { bytes.append(contentsOf: $0) }
        try commands.forEachDone { (fingerprint, first, count) throws(E) in
            withUnsafeBytes(of: fingerprint.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.appendVarint(first)
            bytes.appendVarint(UInt64(count))
            try handOver(&bytes, &crc, atLeast: piece, to: write)
        }
        crc = CRC32C.extend(crc, bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        try write(bytes)
    }

    /// Hands `bytes` to `write` and empties it once it holds `least` bytes,
    /// extending the checksum of the pieces handed over so far.
    @inline(__always)
    private static func handOver<E: Error>(_ bytes: inout [UInt8], _ crc: inout UInt32, atLeast least: Int,
                                           to write: ([UInt8]) throws(E) -> Void) throws(E) {
        guard bytes.count >= least else { return }
        crc = CRC32C.extend(crc, bytes)
        try write(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// The contents, or why the file cannot be used.
    static func decode(_ bytes: [UInt8]) -> Result<Contents, IndexCheckpointError> {
        bytes.withUnsafeBytes { b -> Result<Contents, IndexCheckpointError> in
            guard b.count >= 8 + 8 + 32 + 8 + 8 + 8 + 4 else { return .failure(.init("it is truncated (\(b.count) bytes)")) }
            let body = UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 4)])
            let stored = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: b.count - 4, as: UInt32.self))
            guard CRC32C.checksum(body) == stored else { return .failure(.init("its checksum does not match (damaged)")) }
            guard body.prefix(8).elementsEqual(magic) else { return .failure(.init("it has the wrong magic")) }
            do throws(EnvelopeError) {
                var r = EnvelopeReader(bytes: body)
                r.offset = 8
                let end = try r.u64("end")
                let chain = Array(try r.raw(32, "chain"))
                let seed = try r.u64("seed")
                let streamCount = try r.u64("streamCount")
                // Each entry takes at least 18 bytes: a count beyond that is not reserved for.
                guard streamCount <= UInt64(body.count - r.offset) / 18 else { return .failure(.init("stream count \(streamCount) exceeds the file")) }
                guard end <= UInt64(body.count) else { return .failure(.init("end \(end) exceeds the file")) }
                // With the seed it was saved with, in the order it was saved in: the
                // streams come in the order of their slots, so the map is filled
                // front to back.
                var streams = StreamMap(seed: seed)
                streams.reserveCapacity(Int(streamCount))
                for _ in 0..<streamCount {
                    let key = try r.raw(16, "streamKey")
                    let name = StreamKey(high: UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)),
                                         low: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                    let count = try r.varint("streamCount")
                    let last = try r.varint("streamLast")
                    guard count > 0, last < end, streams.updateValue(.init(count: count, last: last), forKey: name) == nil else {
                        return .failure(.init("stream \(name) has an impossible entry (count \(count), last \(last), end \(end)) or appears twice"))
                    }
                }
                var previous = Links()
                previous.reserveCapacity(Int(end))
                for p in 0..<end {
                    let delta = try r.varint("previous")
                    guard delta <= p else { return .failure(.init("position \(p) links to one before the log's start")) }
                    previous.append(delta == 0 ? StreamIndex.none : p - delta)
                }
                let commandCount = try r.u64("commandCount")
                // Each entry takes at least 10 bytes.
                guard commandCount <= UInt64(body.count - r.offset) / 10 else { return .failure(.init("command count \(commandCount) exceeds the file")) }
                // Straight into the table: a list first would double the memory an open needs.
                var commands = CommandIndex()
                commands.reserve(Int(commandCount))
                for _ in 0..<commandCount {
                    let fingerprint = try r.u64("commandFingerprint")
                    let first = try r.varint("commandFirst")
                    let count = try r.varint("commandCount")
                    guard fingerprint != 0, count > 0, count <= UInt64(CommandIndex.maxEvents), first <= CommandIndex.maxPosition, first + count <= end else {
                        return .failure(.init("command \(String(fingerprint, radix: 16)) has an impossible entry (first \(first), count \(count), end \(end))"))
                    }
                    commands.insertDone(fingerprint: fingerprint, first: first, count: UInt32(count))
                }
                guard r.offset == body.count else { return .failure(.init("\(body.count - r.offset) bytes are left over")) }
                do throws(IndexCheckpointError) {
                    let index = try StreamIndex(streams: streams, previous: previous)
                    return .success(Contents(end: end, chain: chain, streams: index, commands: commands))
                } catch {
                    return .failure(error)
                }
            } catch {
                return .failure(.init("it is malformed: \(error)"))
            }
        }
    }
}

/// Why a saved index cannot be used.
struct IndexCheckpointError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
