import SilverLedger

/// A meeting's id as a key of ``OrganisationalLifeState/awaitingStudy``: its
/// text, with a fingerprint of it computed once, when the key is made.
///
/// Meeting ids are long (`B00046-2024-Q2-general`, 20 to 40 bytes), and a
/// rebuild looks each one up when a study is delivered at home and when the
/// table moves entries: hashing the fingerprint instead of the text keeps
/// those lookups from rehashing the bytes each time. Two keys are equal when
/// their texts' bytes are; the fingerprint only orders the search. In JSON (and in
/// snapshots) a key is its text, and a table keyed by it is an object, as a
/// table keyed by `String` would be.
public struct MeetingID: Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    /// The id, as commands and events give it.
    public let rawValue: String
    fileprivate let fingerprint: UInt64

    public init(_ rawValue: String) {
        self.rawValue = rawValue
        fingerprint = Self.fingerprint(rawValue)
    }

    public init(stringLiteral value: String) { self.init(value) }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var codingKey: any CodingKey { Key(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) { self.init(codingKey.stringValue) }

    /// Equal when their bytes are (as ``Identifier``'s).
    public static func == (a: Self, b: Self) -> Bool { a.fingerprint == b.fingerprint && a.rawValue.hasSameUTF8(as: b.rawValue) }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
    /// The fingerprint mixed with the table's seed, as ``Identifier``'s: no SipHash.
    public func _rawHashValue(seed: Int) -> Int { CadreID.mix(fingerprint, seed: seed) }
    /// In the order of Swift's strings, then of their bytes (as ``Identifier``'s).
    public static func < (a: Self, b: Self) -> Bool { a.rawValue.precedesByBytes(b.rawValue) }
    public var description: String { rawValue }

    fileprivate init(rawValue: String, fingerprint: UInt64) {
        self.rawValue = rawValue
        self.fingerprint = fingerprint
    }

    private static func fingerprint(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { fingerprint(UnsafeRawBufferPointer($0)) }
    }

    /// The bytes eight at a time, each word mixed in with a multiply and a
    /// shift, the length with the first (the same in every process: nothing
    /// depends on it across processes, but a stable value keeps runs alike).
    static func fingerprint(_ utf8: UnsafeRawBufferPointer) -> UInt64 {
        @inline(__always) func mix(_ x: UInt64) -> UInt64 {
            let m = x &* 0x9E37_79B9_7F4A_7C15
            return m ^ (m >> 32)
        }
        let n = utf8.count
        var h = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
        guard let base = utf8.baseAddress else { return mix(h) }
        var i = 0
        while i + 8 <= n {
            h = mix(h ^ UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            for j in i..<n { tail |= UInt64(base.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * (j - i)) }
            h = mix(h ^ tail)
        }
        return mix(h ^ (h >> 29))
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// The meeting ids a rebuild read lately, kept by their fingerprints: a study
/// delivered at home names a meeting read shortly before it, and shares that
/// meeting's id instead of building the string again (an allocation fewer
/// when it is read, a free fewer when it is dropped, and equal keys that
/// compare as the same storage).
struct MeetingIDCache {
    private var slots = [MeetingID?](repeating: nil, count: 1024)

    /// The id whose text is `utf8` (checked as UTF-8 by the caller).
    mutating func id(checkedUTF8 utf8: UnsafeRawBufferPointer) -> MeetingID {
        let fingerprint = MeetingID.fingerprint(utf8)
        let slot = Int(truncatingIfNeeded: fingerprint) & (slots.count - 1)
        if let kept = slots[slot], kept.fingerprint == fingerprint, kept.rawValue.hasUTF8(utf8) { return kept }
        let id = MeetingID(rawValue: String(decoding: utf8, as: UTF8.self), fingerprint: fingerprint)
        slots[slot] = id
        return id
    }
}
