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
    /// Creates an encoder.
    public init() {}

    /// The bytes of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return bytes
    }

    /// Appends the bytes of `value` to `bytes`.
    public func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        let sink = BinarySink(bytes)
        bytes = []
        defer { bytes = sink.bytes }
        try sink.encodeValue(value, codingPath: [])
    }
}

/// Where encoded bytes accumulate; shared by the nested containers of one encode.
final class BinarySink {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    @inline(__always) func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inline(__always) func string(_ value: String) {
        var s = value
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Encodes any value, with fast paths for the common leaf types and the
    /// special forms of optionals, byte arrays and dictionaries.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
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
        if let v = value as? any BinaryOptional {
            if let wrapped = v.wrappedEncodable {
                bytes.append(1)
                try encodeValue(wrapped, codingPath: codingPath)
            } else {
                bytes.append(0)
            }
            return
        }
        switch value {
        case let v as Int32: zigzag(Int64(v))
        case let v as Int16: zigzag(Int64(v))
        case let v as Int8: zigzag(Int64(v))
        case let v as UInt32: varint(UInt64(v))
        case let v as UInt16: varint(UInt64(v))
        case let v as UInt8: bytes.append(v)
        case let v as UInt: varint(UInt64(v))
        case let v as Float: withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case let v as any BinaryDictionary:
            try v.encodeEntries(into: self, codingPath: codingPath)
        default:
            try value.encode(to: BinaryEncoding(sink: self, codingPath: codingPath))
        }
    }
}

/// Optionals are written as a presence byte and the value.
protocol BinaryOptional {
    var wrappedEncodable: (any Encodable)? { get }
    static func decodeBinary(from source: BinarySource, codingPath: [any CodingKey]) throws -> Self
}

extension Optional: BinaryOptional where Wrapped: Codable {
    var wrappedEncodable: (any Encodable)? { self.map { $0 as any Encodable } }

    static func decodeBinary(from source: BinarySource, codingPath: [any CodingKey]) throws -> Self {
        switch try source.byte(codingPath) {
        case 0: return .none
        case 1: return .some(try source.decodeValue(Wrapped.self, codingPath: codingPath))
        case let b: throw source.corrupted("optional presence byte is \(b), not 0 or 1", codingPath)
        }
    }
}

/// Dictionaries are written as a count and the key/value pairs, sorted by the
/// key's encoding so that the same dictionary always gives the same bytes.
protocol BinaryDictionary {
    func encodeEntries(into sink: BinarySink, codingPath: [any CodingKey]) throws
    static func decodeBinary(from source: BinarySource, codingPath: [any CodingKey]) throws -> Self
}

extension Dictionary: BinaryDictionary where Key: Codable, Value: Codable {
    func encodeEntries(into sink: BinarySink, codingPath: [any CodingKey]) throws {
        var entries: [(key: [UInt8], value: Value)] = []
        entries.reserveCapacity(count)
        for (key, value) in self {
            let keySink = BinarySink([])
            try keySink.encodeValue(key, codingPath: codingPath)
            entries.append((keySink.bytes, value))
        }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
        sink.varint(UInt64(entries.count))
        for entry in entries {
            sink.bytes.append(contentsOf: entry.key)
            try sink.encodeValue(entry.value, codingPath: codingPath)
        }
    }

    static func decodeBinary(from source: BinarySource, codingPath: [any CodingKey]) throws -> Self {
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
    let codingPath: [any CodingKey]
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
        try sink.encodeValue(value, codingPath: codingPath + [key])
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
            try sink.encodeValue(value, codingPath: codingPath + [key])
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
    mutating func superEncoder() -> any Encoder { BinaryEncoding(sink: sink, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        sink.string(key.stringValue)
        return BinaryEncoding(sink: sink, codingPath: codingPath + [key])
    }
}

/// An unkeyed container writes a count first; the count is patched in when the
/// next value is written after it, so it is kept as a fixed-width placeholder.
final class UnkeyedBinaryEncoding: UnkeyedEncodingContainer {
    let sink: BinarySink
    let codingPath: [any CodingKey]
    private(set) var count = 0
    private let countOffset: Int

    init(sink: BinarySink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
        countOffset = sink.bytes.count
        // A 5-byte varint placeholder (counts below 2^35), patched as elements are added.
        sink.bytes.append(contentsOf: [0x80, 0x80, 0x80, 0x80, 0x00])
    }

    private func added() {
        count += 1
        var v = UInt64(count)
        for i in 0..<5 {
            sink.bytes[countOffset + i] = UInt8(truncatingIfNeeded: v & 0x7F) | (i < 4 ? 0x80 : 0)
            v >>= 7
        }
    }

    func encodeNil() throws {
        sink.bytes.append(0)
        added()
    }
    func encode<T: Encodable>(_ value: T) throws {
        try sink.encodeValue(value, codingPath: codingPath)
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
        return BinaryEncoding(sink: sink, codingPath: codingPath)
    }
}

struct SingleBinaryEncoding: SingleValueEncodingContainer {
    let sink: BinarySink
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { sink.bytes.append(0) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.encodeValue(value, codingPath: codingPath) }
    mutating func encode(_ value: String) throws { sink.string(value) }
    mutating func encode(_ value: Int) throws { sink.zigzag(Int64(value)) }
    mutating func encode(_ value: Bool) throws { sink.bytes.append(value ? 1 : 0) }
}
