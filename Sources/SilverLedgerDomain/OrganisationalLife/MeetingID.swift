/// A meeting's id as a key of ``OrganisationalLifeState/awaitingStudy``: its
/// text, with a fingerprint of it computed once, when the key is made.
///
/// Meeting ids are long (`B00046-2024-Q2-general`, 20 to 40 bytes), and a
/// rebuild looks each one up when a study is delivered at home and when the
/// table moves entries: hashing the fingerprint instead of the text keeps
/// those lookups from rehashing the bytes each time. Two keys are equal when
/// their texts are; the fingerprint only orders the search. In JSON (and in
/// snapshots) a key is its text, and a table keyed by it is an object, as a
/// table keyed by `String` would be.
public struct MeetingID: Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    /// The id, as commands and events give it.
    public let rawValue: String
    private let fingerprint: UInt64

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

    public static func == (a: Self, b: Self) -> Bool { a.fingerprint == b.fingerprint && a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }

    /// FNV-1a over the UTF-8 bytes (the same in every process: nothing
    /// depends on it across processes, but a stable value keeps runs alike).
    private static func fingerprint(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
