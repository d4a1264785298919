/// Encodes `Encodable` values in SilverLedger's compact binary form, the
/// hot-path payload codec: fields in declaration order, no keys, integers as
/// LEB128 varints (signed ones zigzag-encoded), strings as a varint length and
/// UTF-8, an optional as a presence byte and its value, arrays and
/// dictionaries with a leading count. docs/EVENTS.md gives the rules.
///
/// The form is positional, so a type must decode with the same shape it was
/// encoded with: change an event's fields under a new schema version and
/// register an upcaster from the old one (see ``EventTypes``).
public struct BinaryEncoder: Sendable {
    /// Whether a value whose type is ``BinaryCodable`` is written through its
    /// own ``BinaryCodable/write(to:)`` instead of `Codable` (the same bytes,
    /// faster; snapshots are written so).
    public var usesOwnBinaryForms: Bool

    /// Creates an encoder; with `usesOwnBinaryForms`, values of ``BinaryCodable``
    /// types are written through their own form.
    public init(usesOwnBinaryForms: Bool = false) {
        self.usesOwnBinaryForms = usesOwnBinaryForms
    }

    /// The bytes of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return bytes
    }

    /// Appends the bytes of `value` to `bytes`.
    public func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        let sink = BinarySink(bytes, ownForms: usesOwnBinaryForms)
        bytes = []
        defer { bytes = sink.bytes }
        try sink.encodeValue(value, codingPath: .root)
    }
}

// MARK: Large values, in pieces

/// What a first pass over a value tells the pass that writes it in pieces
/// (``BinaryEncoder/encode(_:as:pieceSize:_:)``): the encoding's length, and
/// the element count of each unkeyed container in the order they are opened
/// (the count comes before the elements, and a container learns it only at its end).
struct BinaryMeasure: Sendable, Equatable {
    var length: Int
    var containerCounts: [Int]
}

extension BinaryEncoder {
    /// The bytes of `value`, or nil if they come to more than `limit`: the
    /// length is checked after each whole value (so a little more than `limit`
    /// may be encoded before it gives up).
    func encode<T: Encodable>(_ value: T, upTo limit: Int) throws -> [UInt8]? {
        let sink = BinarySink([], ownForms: usesOwnBinaryForms, counts: .patched, checkAt: limit == .max ? .max : limit + 1)
        do {
            try sink.encodeValue(value, codingPath: .root)
        } catch is BinarySink.TooLong {
            return nil
        }
        return sink.passedLimit ? nil : sink.bytes
    }

    /// Passes over `value` as ``encode(_:as:pieceSize:_:)`` will, keeping no
    /// more than about `pieceSize` of its bytes at a time.
    func measure<T: Encodable>(_ value: T, pieceSize: Int) throws -> BinaryMeasure {
        let sink = BinarySink([], ownForms: usesOwnBinaryForms, counts: .recorded, checkAt: pieceSize)
        try sink.encodeValue(value, codingPath: .root)
        return BinaryMeasure(length: sink.passed + sink.bytes.count, containerCounts: sink.containerCounts)
    }

    /// Encodes `value`, as `measure` found it, handing its bytes to `write` in
    /// order, in pieces of about `pieceSize` bytes (more when one value is
    /// longer): the whole encoding is never held. The bytes are those of
    /// ``encode(_:)``. Throws `EncodingError.invalidValue` if `value` does not
    /// encode as measured (it changed, or encodes differently each time).
    func encode<T: Encodable>(_ value: T, as measure: BinaryMeasure, pieceSize: Int,
                              _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(write) { write in
            let sink = BinarySink([], ownForms: usesOwnBinaryForms, counts: .replayed, checkAt: pieceSize)
            sink.containerCounts = measure.containerCounts
            sink.pieces = write
            defer { sink.pieces = nil }   // `write` must not outlive this call
            try sink.encodeValue(value, codingPath: .root)
            let length = sink.passed + sink.bytes.count
            guard !sink.diverged, length == measure.length, sink.nextContainer == measure.containerCounts.count else {
                throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: [], debugDescription:
                    "the value did not encode as measured: \(length) bytes and \(sink.nextContainer) lists, measured \(measure.length) bytes and \(measure.containerCounts.count) lists"))
            }
            if !sink.bytes.isEmpty { try sink.bytes.withUnsafeBytes { try write($0) } }
        }
    }
}

/// Where encoded bytes accumulate; shared by the nested containers of one encode.
final class BinarySink {
    var bytes: [UInt8]
    /// Whether ``BinaryCodable`` values are written through their own form (``BinaryEncoder/usesOwnBinaryForms``).
    let ownForms: Bool
    /// How unkeyed containers write their counts (``UnkeyedBinaryEncoding``).
    let counts: Counts
    /// After a whole value, once `bytes` holds this many, ``checkpoint()``
    /// gives up (`.patched`), drops them (`.recorded`) or hands them to
    /// `pieces` (`.replayed`).
    private let checkAt: Int
    /// Bytes dropped or handed over before `bytes`.
    private(set) var passed = 0
    /// `.recorded`: the count of each unkeyed container opened so far, in order;
    /// `.replayed`: the counts recorded, written as each container opens.
    var containerCounts: [Int] = []
    /// `.replayed`: the next container's index in `containerCounts`.
    var nextContainer = 0
    /// `.replayed`: where the bytes go.
    var pieces: ((UnsafeRawBufferPointer) throws -> Void)?
    /// `.patched`: set when the encoding went past `checkAt`.
    private(set) var passedLimit = false
    /// `.replayed`: set when a container opened or counted more than recorded.
    var diverged = false

    /// How unkeyed containers write their counts.
    enum Counts {
        /// A placeholder patched as elements are added: every byte is kept.
        case patched
        /// A placeholder; the count recorded in `containerCounts`: no byte need be kept.
        case recorded
        /// The count recorded by an earlier pass, written at once: the bytes can go as they come.
        case replayed
    }

    /// Thrown by ``checkpoint()`` when a `.patched` encoding passes its limit.
    struct TooLong: Error {}

    init(_ bytes: [UInt8], ownForms: Bool = false, counts: Counts = .patched, checkAt: Int = .max) {
        self.bytes = bytes
        self.ownForms = ownForms
        self.counts = counts
        self.checkAt = checkAt
        // Pieces of about `checkAt` bytes: one buffer, reused.
        if counts != .patched { self.bytes.reserveCapacity(checkAt + checkAt / 8) }
    }

    /// Called after a whole value once `bytes` holds `checkAt` bytes.
    private func checkpoint() throws {
        switch counts {
        case .patched:
            passedLimit = true
            throw TooLong()
        case .recorded:
            break
        case .replayed:
            try bytes.withUnsafeBytes { try pieces?($0) }
        }
        passed += bytes.count
        bytes.removeAll(keepingCapacity: true)
    }

    @inline(__always) func varint(_ value: UInt64) { bytes.appendVarint(value) }

    @inline(__always) func zigzag(_ value: Int64) { bytes.appendZigzag(value) }

    @inline(__always) func string(_ value: String) { bytes.appendString(value) }

    /// Encodes any value, with fast paths for the common leaf types and the
    /// special forms of optionals, byte arrays and dictionaries.
    func encodeValue<T: Encodable>(_ value: T, codingPath: CodingPath) throws {
        // Exact type tests by metatype identity are far cheaper than dynamic casts
        // (`as?` also unwraps optionals, which must keep their presence byte).
        if T.self == String.self { return string(unsafeBitCast(value, to: String.self)) }
        if T.self == Int.self { return zigzag(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == LedgerDate.self { return zigzag(Int64(unsafeBitCast(value, to: LedgerDate.self).daysSinceEpoch)) }
        if T.self == Bool.self { return bytes.append(unsafeBitCast(value, to: Bool.self) ? 1 : 0) }
        if T.self == Int64.self { return zigzag(unsafeBitCast(value, to: Int64.self)) }
        if T.self == UInt64.self { return varint(unsafeBitCast(value, to: UInt64.self)) }
        if T.self == Double.self {
            return withUnsafeBytes(of: unsafeBitCast(value, to: Double.self).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        if T.self == [UInt8].self {
            let v = unsafeBitCast(value, to: [UInt8].self)
            varint(UInt64(v.count))
            return bytes.append(contentsOf: v)
        }
        if T.self == Int32.self { return zigzag(Int64(unsafeBitCast(value, to: Int32.self))) }
        if T.self == Int16.self { return zigzag(Int64(unsafeBitCast(value, to: Int16.self))) }
        if T.self == Int8.self { return zigzag(Int64(unsafeBitCast(value, to: Int8.self))) }
        if T.self == UInt32.self { return varint(UInt64(unsafeBitCast(value, to: UInt32.self))) }
        if T.self == UInt16.self { return varint(UInt64(unsafeBitCast(value, to: UInt16.self))) }
        if T.self == UInt8.self { return bytes.append(unsafeBitCast(value, to: UInt8.self)) }
        if T.self == UInt.self { return varint(UInt64(unsafeBitCast(value, to: UInt.self))) }
        if T.self == Float.self {
            return withUnsafeBytes(of: unsafeBitCast(value, to: Float.self).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        if T.self == [String].self {
            // The bytes an unkeyed container writes: a 5-byte count, then the elements.
            let v = unsafeBitCast(value, to: [String].self)
            paddedCount(v.count)
            for element in v { string(element) }
            return
        }
        // One conformance test for the forms with their own layout (optionals,
        // dictionaries), on the metatype: a value cast would look inside an optional.
        if ownForms, let own = T.self as? any BinaryCodable.Type, counts == .patched || !own.ownFormMayBeLarge {
            func write<B: BinaryCodable>(_: B.Type) {
                // B is T. The writer takes the bytes over and gives them back: not copied.
                var writer = BinaryWriter()
                swap(&writer.bytes, &bytes)
                unsafeBitCast(value, to: B.self).write(to: &writer)
                swap(&writer.bytes, &bytes)
            }
            write(own)
        } else if let special = T.self as? any BinarySpecial.Type {
            func encode<S: BinarySpecial>(_: S.Type) throws {
                // S is T: the test above matched T's own metatype.
                try unsafeBitCast(value, to: S.self).encodeSpecial(into: self, codingPath: codingPath)
            }
            try encode(special)
        } else {
            try value.encode(to: BinaryEncoding(sink: self, path: codingPath))
        }
        // Between whole values only: inside one, a `.patched` count may still be pending.
        if bytes.count >= checkAt { try checkpoint() }
    }

    /// A count as a varint padded to 5 bytes, as an unkeyed container writes it.
    func paddedCount(_ count: Int) { bytes.appendPaddedCount(count) }
}

/// Values with a layout of their own rather than their `Codable` one:
/// optionals (a presence byte and the value) and dictionaries (sorted entries).
protocol BinarySpecial {
    func encodeSpecial(into sink: BinarySink, codingPath: CodingPath) throws
    static func decodeSpecial(from source: BinarySource, codingPath: CodingPath) throws -> Self
}

/// Optionals are written as a presence byte and the value.
extension Optional: BinarySpecial where Wrapped: Codable {
    func encodeSpecial(into sink: BinarySink, codingPath: CodingPath) throws {
        if let wrapped = self {
            sink.bytes.append(1)
            try sink.encodeValue(wrapped, codingPath: codingPath)
        } else {
            sink.bytes.append(0)
        }
    }

    static func decodeSpecial(from source: BinarySource, codingPath: CodingPath) throws -> Self {
        switch try source.byte(codingPath) {
        case 0: return .none
        case 1: return .some(try source.decodeValue(Wrapped.self, codingPath: codingPath))
        case let b: throw source.corrupted("optional presence byte is \(b), not 0 or 1", codingPath)
        }
    }
}

/// Dictionaries are written as a count and the key/value pairs, sorted by the
/// key's encoding so that the same dictionary always gives the same bytes.
extension Dictionary: BinarySpecial where Key: Codable, Value: Codable {
    func encodeSpecial(into sink: BinarySink, codingPath: CodingPath) throws {
        // Every key's bytes in one buffer, and the entries' places sorted by
        // them (``binaryKeyOrder(_:ends:)``): sorting the entries themselves
        // moved each value, a copy with its reference counts (most of a large
        // state's save went to that).
        let keys = BinarySink([], ownForms: sink.ownForms)
        let (ends, places) = try binaryKeyEnds { key in
            try keys.encodeValue(key, codingPath: codingPath)
            return keys.bytes.count
        }
        let order = binaryKeyOrder(keys.bytes, ends: ends)
        sink.varint(UInt64(order.count))
        for i in order {
            sink.bytes.append(contentsOf: keys.bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]])
            try sink.encodeValue(values[places[i]], codingPath: codingPath)
        }
    }

    static func decodeSpecial(from source: BinarySource, codingPath: CodingPath) throws -> Self {
        let count = try source.count(codingPath)
        var result: Self = [:]
        result.reserveCapacity(count)
        for _ in 0..<count {
            let key = try source.decodeValue(Key.self, codingPath: codingPath)
            let value = try source.decodeValue(Value.self, codingPath: codingPath)
            if result.updateValue(value, forKey: key) != nil {
                throw source.corrupted("dictionary key appears twice", codingPath)
            }
        }
        return result
    }
}

/// The `Encoder` handed to types that encode themselves.
struct BinaryEncoding: Encoder {
    let sink: BinarySink
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedBinaryEncoding<Key>(sink: sink, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedBinaryEncoding(sink: sink, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleBinaryEncoding(sink: sink, codingPath: codingPath)
    }
}

struct KeyedBinaryEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: BinarySink
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { sink.bytes.append(0) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try sink.encodeValue(value, codingPath: CodingPath(codingPath, key))
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try encodeIfPresent(value, forKey: key, generic: ())
    }
    // The standard library's default `encodeIfPresent` for these types writes nothing for nil;
    // here every optional is a presence byte and the value, as `decodeIfPresent` expects.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value as Bool?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value as String?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value as Double?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeIfPresent(value as Float?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value as Int?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeIfPresent(value as Int8?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeIfPresent(value as Int16?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeIfPresent(value as Int32?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value as Int64?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeIfPresent(value as UInt?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeIfPresent(value as UInt8?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeIfPresent(value as UInt16?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeIfPresent(value as UInt32?, forKey: key, generic: ()) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeIfPresent(value as UInt64?, forKey: key, generic: ()) }
    private mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key, generic: Void) throws {
        if let value {
            sink.bytes.append(1)
            try sink.encodeValue(value, codingPath: CodingPath(codingPath, key))
        } else {
            sink.bytes.append(0)
        }
    }

    mutating func encode(_ value: String, forKey key: Key) throws { sink.string(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { sink.zigzag(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { sink.zigzag(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { sink.varint(value) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { sink.bytes.append(value ? 1 : 0) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { sink.bytes.append(contentsOf: $0) }
    }

    // A nested container is introduced by its key's name: that is how an enum
    // with associated values records its case (the decoder reads it back as `allKeys`).
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        sink.string(key.stringValue)
        return KeyedEncodingContainer(KeyedBinaryEncoding<NestedKey>(sink: sink, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        sink.string(key.stringValue)
        return UnkeyedBinaryEncoding(sink: sink, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder { BinaryEncoding(sink: sink, path: CodingPath(codingPath)) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        sink.string(key.stringValue)
        return BinaryEncoding(sink: sink, path: CodingPath(codingPath, key))
    }
}

/// An unkeyed container writes a count first, as a 5-byte varint (counts
/// below 2^35). It learns the count only as elements are added, so the count
/// is a placeholder patched after each one; or, in a measured encoding in
/// pieces (``BinarySink/Counts``), recorded by the first pass and written
/// at once by the second.
final class UnkeyedBinaryEncoding: UnkeyedEncodingContainer {
    let sink: BinarySink
    let codingPath: [any CodingKey]
    private(set) var count = 0
    /// `.patched`: the placeholder's offset in the sink's bytes; otherwise the
    /// container's index in its `containerCounts`.
    private let countOffset: Int

    init(sink: BinarySink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
        switch sink.counts {
        case .patched:
            countOffset = sink.bytes.count
            sink.bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x80, 0x00])
        case .recorded:
            countOffset = sink.containerCounts.count
            sink.containerCounts.append(0)
            sink.bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x80, 0x00])
        case .replayed:
            countOffset = sink.nextContainer
            sink.nextContainer += 1
            if countOffset < sink.containerCounts.count {
                sink.paddedCount(sink.containerCounts[countOffset])
            } else {
                sink.diverged = true   // more containers than measured
                sink.bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x80, 0x00])
            }
        }
    }

    private func added() {
        count += 1
        switch sink.counts {
        case .patched:
            var v = UInt64(count)
            for i in 0..<5 {
                sink.bytes[countOffset + i] = UInt8(truncatingIfNeeded: v & 0x7F) | (i < 4 ? 0x80 : 0)
                v >>= 7
            }
        case .recorded:
            sink.containerCounts[countOffset] = count
        case .replayed:
            if countOffset >= sink.containerCounts.count || count > sink.containerCounts[countOffset] { sink.diverged = true }
        }
    }

    func encodeNil() throws {
        sink.bytes.append(0)
        added()
    }
    func encode<T: Encodable>(_ value: T) throws {
        try sink.encodeValue(value, codingPath: CodingPath(codingPath))
        added()
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        added()
        return KeyedEncodingContainer(KeyedBinaryEncoding<NestedKey>(sink: sink, codingPath: codingPath))
    }
    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        added()
        return UnkeyedBinaryEncoding(sink: sink, codingPath: codingPath)
    }
    func superEncoder() -> any Encoder {
        added()
        return BinaryEncoding(sink: sink, path: CodingPath(codingPath))
    }
}

struct SingleBinaryEncoding: SingleValueEncodingContainer {
    let sink: BinarySink
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { sink.bytes.append(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.encodeValue(value, codingPath: CodingPath(codingPath)) }
    mutating func encode(_ value: String) throws { sink.string(value) }
    mutating func encode(_ value: Int) throws { sink.zigzag(Int64(value)) }
    mutating func encode(_ value: Bool) throws { sink.bytes.append(value ? 1 : 0) }
}
