/// Decodes values written by ``BinaryEncoder``.
///
/// Every read is bounds-checked: truncated or malformed input throws
/// `DecodingError.dataCorrupted` naming the field, never reads past the end.
public struct BinaryDecoder: Sendable {
    /// Whether a value whose type is ``BinaryCodable`` is read through its own
    /// binary form, not through `Decodable`: the same bytes (a type's two forms
    /// must agree), without a container and a dynamic call per field. For
    /// large values made of such types, such as a projection's snapshot.
    public var usesOwnBinaryForms: Bool

    /// Creates a decoder; with `usesOwnBinaryForms`, values of ``BinaryCodable``
    /// types are read through their own binary form.
    public init(usesOwnBinaryForms: Bool = false) {
        self.usesOwnBinaryForms = usesOwnBinaryForms
    }

    /// Decodes a `T` from all of `bytes` (left-over bytes are an error).
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes a `T` from all of `bytes` (left-over bytes are an error).
    public func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let source = BinarySource(bytes, ownForms: usesOwnBinaryForms)
        let value = try source.decodeValue(type, codingPath: .root)
        if source.offset != bytes.count {
            throw source.corrupted("\(bytes.count - source.offset) bytes left over after the value", .root)
        }
        return value
    }
}

/// The bytes being decoded and the read position; shared by nested containers.
final class BinarySource {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    /// Whether ``BinaryCodable`` values are read through their own form (``BinaryDecoder/usesOwnBinaryForms``).
    let ownForms: Bool

    init(_ bytes: UnsafeRawBufferPointer, ownForms: Bool = false) {
        self.bytes = bytes
        self.ownForms = ownForms
    }

    /// A `B` read through its own binary form from the read position, returned as `T` (the same type).
    private func readOwnForm<B: BinaryCodable, T>(_: B.Type, as _: T.Type) throws -> T {
        var reader = BinaryReader(bytes)
        reader.position = offset
        let value = try B(reading: &reader)
        offset = reader.position
        return value as! T
    }

    func corrupted(_ message: String, _ codingPath: CodingPath) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath.keys, debugDescription: "binary payload: \(message) (at byte \(offset))"))
    }

    @inline(__always) func byte(_ codingPath: CodingPath) throws -> UInt8 {
        guard offset < bytes.count else { throw corrupted("ends early", codingPath) }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always) func varint(_ codingPath: CodingPath) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(codingPath)
            if shift == 63 && b > 1 { throw corrupted("varint overflows 64 bits", codingPath) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw corrupted("varint longer than 10 bytes", codingPath) }
        }
    }

    @inline(__always) func zigzag(_ codingPath: CodingPath) throws -> Int64 {
        let v = try varint(codingPath)
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// A count of elements that must each take at least one byte.
    func count(_ codingPath: CodingPath) throws -> Int {
        let n = try varint(codingPath)
        guard n <= UInt64(bytes.count - offset) else { throw corrupted("count \(n) exceeds the bytes left", codingPath) }
        return Int(n)
    }

    func raw(_ n: Int, _ codingPath: CodingPath) throws -> UnsafeRawBufferPointer {
        guard n <= bytes.count - offset else { throw corrupted("ends early", codingPath) }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    func string(_ codingPath: CodingPath) throws -> String {
        let n = try count(codingPath)
        let utf8 = try raw(n, codingPath)
        // ASCII needs no validation (and `String(validating:)` is unspecialized: slow for short strings).
        if utf8.isASCII { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw corrupted("string is not valid UTF-8", codingPath)
        }
        return s
    }

    func integer<T: FixedWidthInteger & SignedInteger>(_: T.Type, _ codingPath: CodingPath) throws -> T {
        let v = try zigzag(codingPath)
        guard let t = T(exactly: v) else { throw corrupted("\(v) does not fit \(T.self)", codingPath) }
        return t
    }

    func unsigned<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ codingPath: CodingPath) throws -> T {
        let v = try varint(codingPath)
        guard let t = T(exactly: v) else { throw corrupted("\(v) does not fit \(T.self)", codingPath) }
        return t
    }

    func bool(_ codingPath: CodingPath) throws -> Bool {
        switch try byte(codingPath) {
        case 0: return false
        case 1: return true
        case let b: throw corrupted("boolean byte is \(b)", codingPath)
        }
    }

    func double(_ codingPath: CodingPath) throws -> Double {
        Double(bitPattern: UInt64(littleEndian: try raw(8, codingPath).loadUnaligned(as: UInt64.self)))
    }

    func float(_ codingPath: CodingPath) throws -> Float {
        Float(bitPattern: UInt32(littleEndian: try raw(4, codingPath).loadUnaligned(as: UInt32.self)))
    }

    func decodeValue<T: Decodable>(_ type: T.Type, codingPath: CodingPath) throws -> T {
        // Exact type tests by metatype identity first: cheaper than the casts below.
        if T.self == String.self { return unsafeBitCast(try string(codingPath), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try integer(Int.self, codingPath), to: T.self) }
        if T.self == LedgerDate.self { return unsafeBitCast(LedgerDate(daysSinceEpoch: try integer(Int32.self, codingPath)), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try bool(codingPath), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try zigzag(codingPath), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try varint(codingPath), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try double(codingPath), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try integer(Int32.self, codingPath), to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try integer(Int16.self, codingPath), to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try integer(Int8.self, codingPath), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try unsigned(UInt32.self, codingPath), to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try unsigned(UInt16.self, codingPath), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try byte(codingPath), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try unsigned(UInt.self, codingPath), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try float(codingPath), to: T.self) }
        if T.self == [UInt8].self { return unsafeBitCast(Array(try raw(try count(codingPath), codingPath)), to: T.self) }
        if T.self == [String].self {
            let n = try count(codingPath)
            var strings: [String] = []
            strings.reserveCapacity(n)
            for _ in 0..<n { strings.append(try string(codingPath)) }
            return unsafeBitCast(strings, to: T.self)
        }
        if ownForms, let own = T.self as? any BinaryCodable.Type {
            return try readOwnForm(own, as: T.self)
        }
        if let special = T.self as? any BinarySpecial.Type {
            return try special.decodeSpecial(from: self, codingPath: codingPath) as! T
        }
        return try T(from: BinaryDecoding(source: self, path: codingPath))
    }
}

struct BinaryDecoding: Decoder {
    let source: BinarySource
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedBinaryDecoding<Key>(source: source, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try UnkeyedBinaryDecoding(source: source, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleBinaryDecoding(source: source, codingPath: codingPath)
    }
}

/// Fields are read in the order they are asked for, which for synthesized
/// `Codable` is declaration order, the order they were written in.
struct KeyedBinaryDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let source: BinarySource
    let codingPath: [any CodingKey]

    /// The form carries keys only in front of nested containers (an enum's
    /// case): `allKeys` is the key written next, if one is, without consuming it.
    var allKeys: [Key] {
        let saved = source.offset
        defer { source.offset = saved }
        guard let name = try? source.string(CodingPath(codingPath)), let key = Key(stringValue: name) else { return [] }
        return [key]
    }
    func contains(_ key: Key) -> Bool { true }

    /// Consumes the key name written in front of a nested container, checking it.
    private func expectKey(_ key: Key) throws {
        let name = try source.string(CodingPath(codingPath, key))
        guard name == key.stringValue else {
            throw source.corrupted("expected the key \"\(key.stringValue)\", found \"\(name)\"", CodingPath(codingPath, key))
        }
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        // Only reached through a custom `init(from:)`; pairs with `encodeNil(forKey:)`
        // or the presence byte of `encodeIfPresent`.
        let b = source.bytes.count > source.offset ? source.bytes[source.offset] : 1
        if b == 0 { source.offset += 1; return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try source.decodeValue(type, codingPath: CodingPath(codingPath, key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decodeIfPresent(type, forKey: key, generic: ())
    }

    // As for encoding: every optional is a presence byte, whatever its type.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try decodeIfPresent(type, forKey: key, generic: ()) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decodeIfPresent(type, forKey: key, generic: ()) }

    private func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key, generic: Void) throws -> T? {
        switch try source.byte(CodingPath(codingPath, key)) {
        case 0: return nil
        case 1: return try source.decodeValue(type, codingPath: CodingPath(codingPath, key))
        case let b: throw source.corrupted("optional presence byte is \(b), not 0 or 1", CodingPath(codingPath, key))
        }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try source.string(CodingPath(codingPath, key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try source.integer(Int.self, CodingPath(codingPath, key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try source.zigzag(CodingPath(codingPath, key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try source.varint(CodingPath(codingPath, key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try source.bool(CodingPath(codingPath, key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try source.double(CodingPath(codingPath, key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try expectKey(key)
        return KeyedDecodingContainer(KeyedBinaryDecoding<NestedKey>(source: source, codingPath: codingPath + [key]))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try expectKey(key)
        return try UnkeyedBinaryDecoding(source: source, codingPath: codingPath + [key])
    }
    func superDecoder() throws -> any Decoder { BinaryDecoding(source: source, path: CodingPath(codingPath)) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        try expectKey(key)
        return BinaryDecoding(source: source, path: CodingPath(codingPath, key))
    }
}

final class UnkeyedBinaryDecoding: UnkeyedDecodingContainer {
    let source: BinarySource
    let codingPath: [any CodingKey]
    let count: Int?
    private(set) var currentIndex = 0
    var isAtEnd: Bool { currentIndex >= count! }

    init(source: BinarySource, codingPath: [any CodingKey]) throws {
        self.source = source
        self.codingPath = codingPath
        count = try source.count(CodingPath(codingPath))
    }

    private func next() throws {
        guard !isAtEnd else { throw source.corrupted("array has only \(count!) elements", CodingPath(codingPath)) }
        currentIndex += 1
    }

    func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if source.offset < source.bytes.count && source.bytes[source.offset] == 0 {
            source.offset += 1
            currentIndex += 1
            return true
        }
        return false
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next()
        return try source.decodeValue(type, codingPath: CodingPath(codingPath))
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next()
        return KeyedDecodingContainer(KeyedBinaryDecoding<NestedKey>(source: source, codingPath: codingPath))
    }
    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next()
        return try UnkeyedBinaryDecoding(source: source, codingPath: codingPath)
    }
    func superDecoder() throws -> any Decoder {
        try next()
        return BinaryDecoding(source: source, path: CodingPath(codingPath))
    }
}

struct SingleBinaryDecoding: SingleValueDecodingContainer {
    let source: BinarySource
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if source.offset < source.bytes.count && source.bytes[source.offset] == 0 {
            source.offset += 1
            return true
        }
        return false
    }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try source.decodeValue(type, codingPath: CodingPath(codingPath)) }
    func decode(_ type: String.Type) throws -> String { try source.string(CodingPath(codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try source.integer(Int.self, CodingPath(codingPath)) }
    func decode(_ type: Bool.Type) throws -> Bool { try source.bool(CodingPath(codingPath)) }
}

/// Where a value is in the structure being decoded or encoded; built into an
/// array of keys only when an error needs it, so that reading a field costs
/// no allocation.
struct CodingPath {
    let parent: [any CodingKey]
    let key: (any CodingKey)?

    init(_ parent: [any CodingKey], _ key: (any CodingKey)? = nil) {
        self.parent = parent
        self.key = key
    }

    static var root: CodingPath { CodingPath([]) }

    var keys: [any CodingKey] {
        guard let key else { return parent }
        return parent + [key]
    }
}
