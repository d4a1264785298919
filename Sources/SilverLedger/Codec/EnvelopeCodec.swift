#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one event in a log record (docs/EVENTS.md, "Binary envelope"):
///
/// ```
/// u8      envelope version (1)
/// string  stream id            (string = varint length, UTF-8)
/// varint  stream version
/// string  event type
/// varint  schema version
/// zigzag  business date (days since 1970-01-01)
/// string  recorded by
/// string  command id
/// u8      flags: bit 0 correlation id follows, bit 1 causation id follows
/// string? correlation id, causation id
/// bytes   payload in the binary codec, to the end of the record
/// ```
///
/// The position and the recorded-at time are the log record's own.
enum EnvelopeCodec {
    static let version: UInt8 = 1

    /// Writes the envelope's fields (everything before the payload) into `head`, replacing its contents.
    static func encodeHead(streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
                           metadata: EventMetadata, into head: inout [UInt8]) {
        head.removeAll(keepingCapacity: true)
        head.append(version)
        head.appendString(streamID)
        head.appendVarint(streamVersion)
        head.appendString(eventType)
        head.appendVarint(UInt64(schemaVersion))
        head.appendZigzag(Int64(metadata.businessDate.daysSinceEpoch))
        head.appendString(metadata.recordedBy)
        head.appendString(metadata.commandID)
        head.append((metadata.correlationID == nil ? 0 : 1) | (metadata.causationID == nil ? 0 : 2))
        if let c = metadata.correlationID { head.appendString(c) }
        if let c = metadata.causationID { head.appendString(c) }
    }

    /// The whole record: the envelope's fields and the payload.
    static func encode(streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
                       metadata: EventMetadata, payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        encodeHead(streamID: streamID, streamVersion: streamVersion, eventType: eventType, schemaVersion: schemaVersion,
                   metadata: metadata, into: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Decodes one record; throws ``EnvelopeError`` naming the field if the bytes are malformed.
    static func decode(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws(EnvelopeError) -> RecordedEvent {
        var decoder = EnvelopeDecoder()
        return try decoder.decode(record, position: position, recordedAt: recordedAt)
    }
}

/// A malformed envelope: which field, and what is wrong with it.
struct EnvelopeError: Error, CustomStringConvertible {
    var field: StaticString
    var problem: String
    var offset: Int

    var description: String { "envelope field \(field) at byte \(offset): \(problem)" }
}

/// Decodes envelopes one after another, checking every field and reusing
/// the event type names that repeat instead of building them again.
struct EnvelopeDecoder {
    /// The event type names seen.
    private var types = TypeNames()
    /// The slot of the last event's type name (see ``TypeNames``).
    var typeSlot: Int { types.slot }

    init() {}

    /// Decodes one record as the store reports it: a malformed envelope is an
    /// ``EventStoreError/Code/corruptedEvent`` naming the position.
    mutating func event(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws(EventStoreError) -> RecordedEvent {
        do throws(EnvelopeError) {
            return try decode(record, position: position, recordedAt: recordedAt)
        } catch {
            throw EventStoreError(.corruptedEvent, "the event at position \(position) could not be decoded: \(error)")
        }
    }

    /// Decodes one record. The event keeps `record` (no copy): its payload and
    /// its strings are read from it when asked for; they are checked here.
    mutating func decode(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws(EnvelopeError) -> RecordedEvent {
        do {
            // The event is made out here: made in the closure, it would be copied out of it.
            var eventType = ""
            var payloadOffset = 0
            let head = try record.withUnsafeBytes { b throws(EnvelopeError) -> EnvelopeCodec.Head in
                var r = EnvelopeReader(bytes: b)
                let head = try EnvelopeCodec.Head(&r)
                eventType = try types.name(UnsafeRawBufferPointer(rebasing: b[head.eventType]), "eventType", at: head.eventType.upperBound)
                payloadOffset = r.offset
                return head
            }
            return RecordedEvent(position: position, streamVersion: head.streamVersion, eventType: eventType,
                                 schemaVersion: head.schemaVersion, recordedAt: recordedAt, businessDate: head.businessDate,
                                 record: record, payloadOffset: payloadOffset)
        } catch let error as EnvelopeError {
            throw error
        } catch {
            preconditionFailure("the envelope is read with typed throws")
        }
    }
}

extension EnvelopeCodec {
    /// Where the fields of an envelope are (byte ranges of the record) and the values of its numbers.
    struct Head {
        var stream: Range<Int>
        var streamVersion: UInt64
        var eventType: Range<Int>
        var schemaVersion: Int
        var businessDate: LedgerDate
        var recordedBy: Range<Int>
        var commandID: Range<Int>
        var correlationID: Range<Int>?
        var causationID: Range<Int>?

        /// Reads and checks the envelope's fields, leaving `r` at the payload:
        /// version, lengths, ranges, and every string's UTF-8.
        init(_ r: inout EnvelopeReader) throws(EnvelopeError) {
            let v = try r.byte("envelopeVersion")
            guard v == EnvelopeCodec.version else {
                throw EnvelopeError(field: "envelopeVersion", problem: "version \(v), this build reads \(EnvelopeCodec.version)", offset: 0)
            }
            stream = try r.text("streamID")
            streamVersion = try r.varint("streamVersion")
            eventType = try r.text("eventType")
            let schema = try r.varint("schemaVersion")
            guard schema <= UInt64(Int32.max) else {
                throw EnvelopeError(field: "schemaVersion", problem: "\(schema) is out of range", offset: r.offset)
            }
            schemaVersion = Int(schema)
            let zigzag = try r.varint("businessDate")
            let day = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
            guard let days = Int32(exactly: day) else {
                throw EnvelopeError(field: "businessDate", problem: "day \(day) is out of range", offset: r.offset)
            }
            businessDate = LedgerDate(daysSinceEpoch: days)
            recordedBy = try r.text("recordedBy")
            commandID = try r.text("commandID")
            let flags = try r.byte("flags")
            guard flags & ~3 == 0 else { throw EnvelopeError(field: "flags", problem: "unknown flags \(flags)", offset: r.offset - 1) }
            correlationID = flags & 1 != 0 ? try r.text("correlationID") : nil
            causationID = flags & 2 != 0 ? try r.text("causationID") : nil
        }

        /// The head of an envelope checked before (by ``EnvelopeDecoder``): `b` is the record up to its payload.
        init(validated b: UnsafeRawBufferPointer) {
            var r = EnvelopeReader(bytes: b)
            do { try self.init(&r) } catch { preconditionFailure("an envelope checked when it was read no longer reads: \(error)") }
        }

        /// The string at `range` of `b` (checked UTF-8).
        func string(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: b[range]), as: UTF8.self)
        }

        func string(_ b: UnsafeRawBufferPointer, _ field: KeyPath<Head, Range<Int>>) -> String {
            string(b, self[keyPath: field])
        }
    }
}

/// The event type names seen, each built once and shared by every event of
/// its type; an event's type is also known by its slot here, which stays the
/// same for the name while it is held (``EventTypes/PayloadDecoder`` keys on it).
struct TypeNames {
    /// How many names are held; a store with more types reuses slots in turn.
    static let capacity = 64
    private var names: [String] = []
    /// Each name's UTF-8, compared without touching the string (whose
    /// reference count another thread may be changing: events handed over
    /// hold their names).
    private var bytes: [[UInt8]] = []
    private var next = 0
    /// The slot of the name returned last.
    private(set) var slot = 0

    mutating func name(_ utf8: UnsafeRawBufferPointer, _ field: StaticString, at end: Int) throws(EnvelopeError) -> String {
        if slot < names.count, Self.same(bytes[slot], utf8) { return names[slot] }
        for i in bytes.indices where Self.same(bytes[i], utf8) {
            slot = i
            return names[i]
        }
        let s = try EnvelopeReader.makeString(utf8, field, at: end - utf8.count)
        if names.count < Self.capacity {
            slot = names.count
            names.append(s)
            bytes.append(Array(utf8))
        } else {
            slot = next
            names[next] = s
            bytes[next] = Array(utf8)
            next = (next + 1) % Self.capacity
        }
        return s
    }

    @inline(__always) private static func same(_ name: [UInt8], _ utf8: UnsafeRawBufferPointer) -> Bool {
        name.count == utf8.count && name.withUnsafeBytes { utf8.count == 0 || memcmp($0.baseAddress!, utf8.baseAddress!, utf8.count) == 0 }
    }
}

extension String {
    /// Whether the string's UTF-8 is exactly `utf8`, byte for byte.
    @inline(__always) package func hasUTF8(_ utf8: UnsafeRawBufferPointer) -> Bool {
        var string = self
        return string.withUTF8 { stored in
            stored.count == utf8.count && (utf8.count == 0 || memcmp(stored.baseAddress!, utf8.baseAddress!, utf8.count) == 0)
        }
    }
}

/// Bounds-checked reads of envelope fields (and of the other files the core writes).
struct EnvelopeReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func raw(_ n: Int, _ field: StaticString) throws(EnvelopeError) -> UnsafeRawBufferPointer {
        guard n <= bytes.count - offset else { throw EnvelopeError(field: field, problem: "the data ends early", offset: offset) }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    mutating func u64(_ field: StaticString) throws(EnvelopeError) -> UInt64 {
        UInt64(littleEndian: try raw(8, field).loadUnaligned(as: UInt64.self))
    }

    @inline(__always) mutating func byte(_ field: StaticString) throws(EnvelopeError) -> UInt8 {
        guard offset < bytes.count else { throw EnvelopeError(field: field, problem: "the record ends early", offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always) mutating func varint(_ field: StaticString) throws(EnvelopeError) -> UInt64 {
        // One byte (lengths, versions), read in line.
        if offset < bytes.count, bytes[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(bytes[offset])
        }
        return try longVarint(field)
    }

    mutating func longVarint(_ field: StaticString) throws(EnvelopeError) -> UInt64 {
        if let (value, length) = bytes.varintInOneWord(at: offset) {
            offset += length
            return value
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(field)
            if shift == 63 && b > 1 { throw EnvelopeError(field: field, problem: "varint overflows 64 bits", offset: offset) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always) mutating func bytes(_ field: StaticString) throws(EnvelopeError) -> UnsafeRawBufferPointer {
        let n = try varint(field)
        guard n <= UInt64(bytes.count - offset) else {
            throw EnvelopeError(field: field, problem: "length \(n) runs past the end of the record (\(bytes.count - offset) bytes left)", offset: offset)
        }
        defer { offset += Int(n) }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(n))])
    }

    /// A string field's byte range, its UTF-8 checked (without building the string).
    @inline(__always) mutating func text(_ field: StaticString) throws(EnvelopeError) -> Range<Int> {
        // Most are short ASCII with a one-byte length (ids, names): in line.
        if offset < bytes.count, let base = bytes.baseAddress {
            let n = Int(bytes[offset])
            if n < 0x80 && n < bytes.count - offset {
                let start = offset + 1
                if UnsafeRawBufferPointer(start: base + start, count: n).isShortASCII {
                    offset = start + n
                    return start..<offset
                }
            }
        }
        let utf8 = try bytes(field)
        let start = offset - utf8.count
        try Self.checkUTF8(utf8, field, at: start)
        return start..<offset
    }

    /// Throws unless `utf8` is valid UTF-8 (ASCII is checked without building anything).
    @inline(__always) static func checkUTF8(_ utf8: UnsafeRawBufferPointer, _ field: StaticString, at offset: Int) throws(EnvelopeError) {
        if utf8.isASCII { return }
        guard String(validating: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self) != nil else {
            throw EnvelopeError(field: field, problem: "not valid UTF-8", offset: offset)
        }
    }

    @inline(__always) mutating func string(_ field: StaticString) throws(EnvelopeError) -> String {
        let utf8 = try bytes(field)
        return try Self.makeString(utf8, field, at: offset - utf8.count)
    }

    static func makeString(_ utf8: UnsafeRawBufferPointer, _ field: StaticString, at offset: Int) throws(EnvelopeError) -> String {
        // ASCII needs no validation (and `String(validating:)` is unspecialized: slow for short strings).
        if utf8.isASCII { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw EnvelopeError(field: field, problem: "not valid UTF-8", offset: offset)
        }
        return s
    }
}

extension Array where Element == UInt8 {
    @inlinable mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    @inlinable mutating func appendZigzag(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable mutating func appendString(_ value: String) {
        var s = value
        s.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count))
            append(contentsOf: utf8)
        }
    }

    /// A count as a varint padded to 5 bytes, as an unkeyed container writes it
    /// (it cannot know the count before the elements).
    @inlinable mutating func appendPaddedCount(_ count: Int) {
        var v = UInt64(count)
        for i in 0..<5 {
            append(UInt8(truncatingIfNeeded: v & 0x7F) | (i < 4 ? 0x80 : 0))
            v >>= 7
        }
    }
}
