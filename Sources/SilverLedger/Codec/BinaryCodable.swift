#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that reads and writes its binary form itself: the same bytes
/// ``BinaryEncoder`` gives its `Codable` conformance, without the dynamic
/// dispatch of `Codable`. The hot paths (appends, replays, rebuilds) use it
/// for events that have it; everything else goes through `Codable`.
///
/// Read and write the fields in declaration order, as synthesized `Codable`
/// does:
///
/// ```swift
/// extension VisitLogged: BinaryCodable {
///     public init(reading reader: inout BinaryReader) throws {
///         self.init(cadre: try reader.read(), kind: try reader.read(), visitedOn: try reader.read())
///     }
///     public func write(to writer: inout BinaryWriter) {
///         writer.write(cadre); writer.write(kind); writer.write(visitedOn)
///     }
/// }
/// ```
///
/// The `Codable` form stays the definition: test that both give the same
/// bytes for each type (SilverLedgerDomain's tests do this for every event).
/// When a fast read fails, the store decodes the bytes again with `Codable`
/// to report the field at fault.
public protocol BinaryCodable: Codable {
    /// Reads the value's fields in declaration order.
    init(reading reader: inout BinaryReader) throws
    /// Writes the value's fields in declaration order.
    func write(to writer: inout BinaryWriter)
    /// Whether the own form may run to many megabytes (a large part of a
    /// projection's state). A ``BinaryEncoder`` writing a value in pieces
    /// (a large snapshot) then writes it through `Codable`, between whose
    /// parts the pieces can go, rather than through ``write(to:)`` in one.
    /// Default false.
    static var ownFormMayBeLarge: Bool { get }
}

extension BinaryCodable {
    public static var ownFormMayBeLarge: Bool { false }
}

/// Reads the binary form from bytes, bounds-checked: bad input throws
/// `DecodingError.dataCorrupted` naming the byte, never reads past the end.
public struct BinaryReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    /// The next byte to read.
    @inlinable public var offset: Int { position }

    /// A reader at the start of `bytes`, which must outlive it.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.position = 0
    }

    /// Decodes a whole `T` from `bytes`: left-over bytes are an error.
    @inlinable public static func decode<T: BinaryCodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        var reader = BinaryReader(bytes)
        let value = try T(reading: &reader)
        guard reader.offset == bytes.count else { throw reader.corrupted("\(bytes.count - reader.offset) bytes left over after the value") }
        return value
    }

    /// Reads a value of a type that has a binary form.
    @inlinable public mutating func read<T: BinaryCodable>(_ type: T.Type = T.self) throws -> T {
        try T(reading: &self)
    }

    /// Reads one byte.
    @inlinable public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw corrupted("ends early") }
        defer { position += 1 }
        return bytes[offset]
    }

    /// Reads an LEB128 varint of at most 10 bytes that fits 64 bits.
    @inlinable @inline(__always) public mutating func varint() throws -> UInt64 {
        // Most varints (lengths, small numbers) are one byte: read in line.
        if position < bytes.count, bytes[position] < 0x80 {
            defer { position += 1 }
            return UInt64(bytes[position])
        }
        return try longVarint()
    }

    /// A varint of two bytes or more (an array's count, padded to five, say).
    @usableFromInline mutating func longVarint() throws -> UInt64 {
        if let (value, length) = bytes.varintInOneWord(at: position) {
            position += length
            return value
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 63 && b > 1 { throw corrupted("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    /// Reads a zigzag-encoded signed varint.
    @inlinable public mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// Reads a count of elements that must each take at least one byte.
    @inlinable @inline(__always) public mutating func count() throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) else { throw corrupted("count \(n) exceeds the bytes left") }
        return Int(n)
    }

    /// Reads a length-prefixed UTF-8 string.
    @inlinable public mutating func string() throws -> String {
        let n = try count()
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        position += n
        // ASCII needs no validation.
        if utf8.isASCII { return String(decoding: utf8, as: UTF8.self) }
        return try validated(utf8)
    }

    @usableFromInline func validated(_ utf8: UnsafeRawBufferPointer) throws -> String {
        // `String(decoding:)` is fast but repairs bad UTF-8 with U+FFFD; the
        // bytes come back unchanged exactly when they were valid.
        var s = String(decoding: utf8, as: UTF8.self)
        let same = s.withUTF8 { $0.count == utf8.count && memcmp($0.baseAddress!, utf8.baseAddress!, utf8.count) == 0 }
        guard same else { throw corrupted("string is not valid UTF-8") }
        return s
    }

    /// Reads a length-prefixed UTF-8 string's bytes, checked but not made into
    /// a `String` (a reader that only skips or matches the string allocates nothing).
    /// The bytes are those the reader reads from, valid while they are.
    @inlinable @inline(__always) public mutating func stringBytes() throws -> UnsafeRawBufferPointer {
        let n = try count()
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        // Short ASCII (ids, codes) in line; anything else through the full check.
        guard utf8.isShortASCII || utf8.isValidUTF8 else { throw corrupted("string is not valid UTF-8") }
        position += n
        return utf8
    }

    /// Reads a string-backed enum's raw value, matched in `table` without making a `String`.
    @inlinable public mutating func rawValue<T>(in table: RawValueTable<T>) throws -> T {
        let utf8 = try stringBytes()
        guard let value = table.match(utf8) else {
            throw corrupted("\"\(String(decoding: utf8, as: UTF8.self))\" is not a \(T.self)")
        }
        return value
    }

    /// Reads a signed integer that must fit `T`.
    @inlinable public mutating func integer<T: FixedWidthInteger & SignedInteger>(_: T.Type = T.self) throws -> T {
        let v = try zigzag()
        guard let t = T(exactly: v) else { throw corrupted("\(v) does not fit \(T.self)") }
        return t
    }

    /// Reads an unsigned integer that must fit `T`.
    @inlinable public mutating func unsigned<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) throws -> T {
        let v = try varint()
        guard let t = T(exactly: v) else { throw corrupted("\(v) does not fit \(T.self)") }
        return t
    }

    /// The error for bad input at the current byte.
    public func corrupted(_ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: [], debugDescription: "binary payload: \(message) (at byte \(offset))"))
    }
}

/// Writes the binary form.
public struct BinaryWriter {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// A writer appending to `bytes`.
    public init(bytes: [UInt8] = []) { self.bytes = bytes }

    /// The bytes of `value`.
    @inlinable public static func encode<T: BinaryCodable>(_ value: T) -> [UInt8] {
        var writer = BinaryWriter()
        value.write(to: &writer)
        return writer.bytes
    }

    /// Writes a value of a type that has a binary form.
    @inlinable public mutating func write<T: BinaryCodable>(_ value: T) { value.write(to: &self) }

    /// Writes an LEB128 varint.
    @inlinable public mutating func varint(_ value: UInt64) { bytes.appendVarint(value) }

    /// Writes a zigzag-encoded signed varint.
    @inlinable public mutating func zigzag(_ value: Int64) { bytes.appendZigzag(value) }

    /// Writes a length-prefixed UTF-8 string.
    @inlinable public mutating func string(_ value: String) { bytes.appendString(value) }

    /// Writes a count as a varint padded to 5 bytes, as the `Codable` form writes an array's.
    @inlinable public mutating func paddedCount(_ count: Int) { bytes.appendPaddedCount(count) }
}

extension String: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.string() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.string(self) }
}

extension Int: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.integer() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.zigzag(Int64(self)) }
}

extension Int32: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.integer() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.zigzag(Int64(self)) }
}

extension Int64: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.zigzag() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.zigzag(self) }
}

extension UInt16: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.unsigned() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.varint(UInt64(self)) }
}

extension UInt32: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.unsigned() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.varint(UInt64(self)) }
}

extension UInt64: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self = try reader.varint() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.varint(self) }
}

extension Bool: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws {
        switch try reader.byte() {
        case 0: self = false
        case 1: self = true
        case let b: throw reader.corrupted("boolean byte is \(b)")
        }
    }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.bytes.append(self ? 1 : 0) }
}

extension Double: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws {
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(try reader.byte()) << (8 * UInt64(i)) }
        self = Double(bitPattern: bits)
    }
    @inlinable public func write(to writer: inout BinaryWriter) {
        withUnsafeBytes(of: bitPattern.littleEndian) { writer.bytes.append(contentsOf: $0) }
    }
}

extension LedgerDate: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { self.init(daysSinceEpoch: try reader.integer()) }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.zigzag(Int64(daysSinceEpoch)) }
}

/// A presence byte (0 or 1), then the value if present.
extension Optional: BinaryCodable where Wrapped: BinaryCodable {
    public static var ownFormMayBeLarge: Bool { Wrapped.ownFormMayBeLarge }
    @inlinable public init(reading reader: inout BinaryReader) throws {
        switch try reader.byte() {
        case 0: self = .none
        case 1: self = .some(try Wrapped(reading: &reader))
        case let b: throw reader.corrupted("optional presence byte is \(b), not 0 or 1")
        }
    }
    @inlinable public func write(to writer: inout BinaryWriter) {
        if let value = self {
            writer.bytes.append(1)
            value.write(to: &writer)
        } else {
            writer.bytes.append(0)
        }
    }
}

/// A count (written padded to 5 bytes, read in any length), then the elements.
extension Array: BinaryCodable where Element: BinaryCodable {
    /// A collection may be long: written in pieces, it goes element by element.
    public static var ownFormMayBeLarge: Bool { true }
    @inlinable public init(reading reader: inout BinaryReader) throws {
        let n = try reader.count()
        self.init()
        reserveCapacity(n)
        for _ in 0..<n { append(try Element(reading: &reader)) }
    }
    @inlinable public func write(to writer: inout BinaryWriter) {
        writer.paddedCount(count)
        for element in self { element.write(to: &writer) }
    }
}

/// As an array: a count (written padded to 5 bytes, read in any length),
/// then the elements in the set's order of iteration (as `Codable` writes a
/// set); a repeated element is kept once (as `Codable` reads a set).
extension Set: BinaryCodable where Element: BinaryCodable {
    /// A collection may be long: written in pieces, it goes element by element.
    public static var ownFormMayBeLarge: Bool { true }
    @inlinable public init(reading reader: inout BinaryReader) throws {
        let n = try reader.count()
        self.init(minimumCapacity: n)
        for _ in 0..<n { insert(try Element(reading: &reader)) }
    }
    @inlinable public func write(to writer: inout BinaryWriter) {
        writer.paddedCount(count)
        for element in self { element.write(to: &writer) }
    }
}

/// As `Codable` writes a dictionary in this codec: a count (a varint), then
/// each key and its value, sorted by the key's bytes, so that one dictionary
/// always gives the same bytes; a key read twice is an error.
extension Dictionary: BinaryCodable where Key: BinaryCodable, Value: BinaryCodable {
    /// A collection may be long: written in pieces, it goes element by element.
    public static var ownFormMayBeLarge: Bool { true }
    @inlinable public init(reading reader: inout BinaryReader) throws {
        let n = try reader.count()
        self.init(minimumCapacity: n)
        for _ in 0..<n {
            let key = try Key(reading: &reader)
            let value = try Value(reading: &reader)
            guard updateValue(value, forKey: key) == nil else { throw reader.corrupted("dictionary key appears twice") }
        }
    }
    @inlinable public func write(to writer: inout BinaryWriter) {
        // Every key's bytes in one buffer, the entries' places sorted by them.
        var keys = BinaryWriter()
        let (ends, places) = binaryKeyEnds { key in
            key.write(to: &keys)
            return keys.bytes.count
        }
        writer.varint(UInt64(count))
        for i in binaryKeyOrder(keys.bytes, ends: ends) {
            writer.bytes.append(contentsOf: keys.bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]])
            values[places[i]].write(to: &writer)
        }
    }
}

/// A string-backed enum is its raw value; an unknown raw value is an error.
extension BinaryCodable where Self: RawRepresentable, RawValue == String {
    @inlinable public init(reading reader: inout BinaryReader) throws {
        let raw = try reader.string()
        guard let value = Self(rawValue: raw) else { throw reader.corrupted("\"\(raw)\" is not a \(Self.self)") }
        self = value
    }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.string(rawValue) }
}

/// The raw values of a string-backed enum as bytes, to read the enum from
/// its binary form without making a `String` of each value read (keep one in
/// a `static let`).
public struct RawValueTable<T: RawRepresentable & CaseIterable>: Sendable where T.RawValue == String, T: Sendable {
    /// Each case's raw value: its length, its first eight bytes as a word
    /// (zero-padded), and the bytes after those.
    @usableFromInline let cases: [(count: Int, head: UInt64, tail: [UInt8], value: T)]

    /// The table of every case of `T`.
    public init(_: T.Type = T.self) {
        cases = T.allCases.map { value in
            let utf8 = Array(value.rawValue.utf8)
            return (utf8.count, utf8.withUnsafeBytes { Self.head($0) }, Array(utf8.dropFirst(8)), value)
        }
    }

    /// Up to the first eight bytes of `utf8`, little-endian, zero-padded.
    @inlinable @inline(__always) static func head(_ utf8: UnsafeRawBufferPointer) -> UInt64 {
        if utf8.count >= 8 { return UInt64(littleEndian: utf8.loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for i in 0..<utf8.count { word |= UInt64(utf8[i]) << UInt64(8 * i) }
        return word
    }

    /// The case whose raw value is `utf8`, if any: a length and a word
    /// compared per case, the rest only for the one that matches them.
    @inlinable public func match(_ utf8: UnsafeRawBufferPointer) -> T? {
        let head = Self.head(utf8)
        for c in cases where c.count == utf8.count && c.head == head {
            if c.count <= 8 || c.tail.withUnsafeBytes({ $0.elementsEqual(UnsafeRawBufferPointer(rebasing: utf8[8...])) }) { return c.value }
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// The varint at `offset` read from one eight-byte load, with its length;
    /// nil when fewer than eight bytes are left there or the varint is longer
    /// (read those a byte at a time, with their checks).
    @inlinable func varintInOneWord(at offset: Int) -> (value: UInt64, length: Int)? {
        guard count - offset >= 8 else { return nil }
        let word = UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        // The varint ends at the first byte below 0x80.
        let ends = ~word & 0x8080_8080_8080_8080
        guard ends != 0 else { return nil }
        let length = (ends.trailingZeroBitCount + 1) / 8
        // The varint's bytes only, then their seven-bit groups side by side.
        let x = length == 8 ? word : word & ((1 << UInt64(8 * length)) - 1)
        var value = x & 0x7F
        value |= (x >> 1) & (0x7F << 7)
        value |= (x >> 2) & (0x7F << 14)
        value |= (x >> 3) & (0x7F << 21)
        value |= (x >> 4) & (0x7F << 28)
        value |= (x >> 5) & (0x7F << 35)
        value |= (x >> 6) & (0x7F << 42)
        value |= (x >> 7) & (0x7F << 49)
        return (value, length)
    }

    /// Whether these are at most 16 bytes, each below 0x80 (false says nothing
    /// of longer ones): two loads at most, no loop.
    @inlinable @inline(__always) var isShortASCII: Bool {
        guard let base = baseAddress else { return true }
        let n = count
        guard n <= 16 else { return false }
        if n >= 8 {
            // Two words that overlap when n < 16.
            let high = base.loadUnaligned(as: UInt64.self) | base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            return high & 0x8080_8080_8080_8080 == 0
        }
        var high: UInt8 = 0
        for i in 0..<n { high |= base.load(fromByteOffset: i, as: UInt8.self) }
        return high & 0x80 == 0
    }

    /// Whether every byte is below 0x80: eight bytes at a time, then the rest.
    @inlinable var isASCII: Bool {
        guard let base = baseAddress else { return true }
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= count {
            high |= base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            high |= UInt64(base.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Whether the bytes are well-formed UTF-8 (no overlong forms, no
    /// surrogates, nothing above U+10FFFF), checked without making a `String`.
    @inlinable var isValidUTF8: Bool {
        if isASCII { return true }
        let n = count
        var i = 0
        @inline(__always) func continuation(_ j: Int) -> Bool { self[j] & 0xC0 == 0x80 }
        while i < n {
            let b0 = self[i]
            if b0 < 0x80 {
                i += 1
            } else if b0 < 0xC2 {
                return false   // a continuation byte first, or an overlong 2-byte form
            } else if b0 < 0xE0 {
                guard i + 1 < n, continuation(i + 1) else { return false }
                i += 2
            } else if b0 < 0xF0 {
                guard i + 2 < n, continuation(i + 2) else { return false }
                let b1 = self[i + 1]
                switch b0 {
                case 0xE0: guard b1 >= 0xA0 && b1 <= 0xBF else { return false }   // overlong
                case 0xED: guard b1 >= 0x80 && b1 <= 0x9F else { return false }   // surrogates
                default: guard continuation(i + 1) else { return false }
                }
                i += 3
            } else if b0 < 0xF5 {
                guard i + 3 < n, continuation(i + 2), continuation(i + 3) else { return false }
                let b1 = self[i + 1]
                switch b0 {
                case 0xF0: guard b1 >= 0x90 && b1 <= 0xBF else { return false }   // overlong
                case 0xF4: guard b1 >= 0x80 && b1 <= 0x8F else { return false }   // above U+10FFFF
                default: guard continuation(i + 1) else { return false }
                }
                i += 4
            } else {
                return false
            }
        }
        return true
    }
}

extension Dictionary {
    /// Each key written by `write`, which returns where its bytes end in
    /// the caller's buffer, and each entry's place, in the dictionary's order.
    /// The keys are read alone: an entry read by its place would copy its value too.
    @usableFromInline func binaryKeyEnds(_ write: (Key) throws -> Int) rethrows -> (ends: [Int], places: [Index]) {
        var ends: [Int] = []
        ends.reserveCapacity(count)
        var places: [Index] = []
        places.reserveCapacity(count)
        let all = keys
        for place in all.indices {
            ends.append(try write(all[place]))
            places.append(place)
        }
        return (ends, places)
    }
}

/// The order in which a dictionary's entries are written, given its keys'
/// bytes one after the other (key `i` ends at `ends[i]`): by their bytes, a
/// key before the longer keys it begins (as `lexicographicallyPrecedes`).
/// The entries' places are sorted, not the entries: moving an entry would
/// copy its value, with its reference counts.
@usableFromInline func binaryKeyOrder(_ keys: [UInt8], ends: [Int]) -> [Int] {
    keys.withUnsafeBytes { k in
        func key(_ i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: k[(i == 0 ? 0 : ends[i - 1])..<ends[i]])
        }
        // Each key's first eight bytes as a big-endian word (zero-padded)
        // decide most comparisons without reading the keys again.
        var order: [(head: UInt64, place: Int)] = ends.indices.map { i in
            let bytes = key(i)
            var head: UInt64 = 0
            for j in 0..<8 { head = head << 8 | UInt64(j < bytes.count ? bytes[j] : 0) }
            return (head, i)
        }
        order.sort { a, b in
            if a.head != b.head { return a.head < b.head }
            let x = key(a.place), y = key(b.place)
            let n = Swift.min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return c != 0 ? c < 0 : x.count < y.count
        }
        return order.map(\.place)
    }
}
