/// The kinds of things the domain names by id; each kind's events live in
/// streams `<prefix>-<id>`.
public protocol IdentifiedKind: Sendable {
    /// The stream name's prefix, e.g. `cadre`.
    static var streamPrefix: String { get }
}

/// An id of a cadre, branch or other kind of thing, stored as its plain string.
public struct Identifier<Kind: IdentifiedKind>: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Equal when their UTF-8 bytes are, as the store compares stream names
    /// (so that one id is one stream): "K" and the Kelvin sign "\u{212A}",
    /// equal as Swift strings, are two ids.
    public static func == (a: Self, b: Self) -> Bool { a.rawValue.hasSameUTF8(as: b.rawValue) }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue.quickFingerprint) }

    /// The hash a `Dictionary` or `Set` of ids files an id under: its bytes'
    /// fingerprint mixed with the table's seed, without SipHash (the rules and
    /// a rebuild look ids up in such tables for every event). Consistent with
    /// `==`: equal bytes, equal fingerprints.
    public func _rawHashValue(seed: Int) -> Int { Self.mix(rawValue.quickFingerprint, seed: seed) }

    /// A fingerprint and a table's seed mixed into a hash whose low bits (a
    /// table's bucket) depend on every bit of both.
    @inline(__always)
    static func mix(_ fingerprint: UInt64, seed: Int) -> Int {
        var x = fingerprint ^ UInt64(UInt(bitPattern: seed))
        x = (x ^ (x >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: x ^ (x >> 32))
    }

    /// In the order of Swift's strings; ids equal as strings but not in bytes
    /// in the order of their bytes.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue.precedesByBytes(b.rawValue) }
    public var description: String { rawValue }

    /// The stream holding this thing's events.
    public var stream: String { Kind.streamPrefix + "-" + rawValue }
}

/// 离退休干部: a retired cadre.
public enum CadreKind: IdentifiedKind { public static let streamPrefix = "cadre" }
/// 离退休干部党支部: a branch of retired cadres.
public enum BranchKind: IdentifiedKind { public static let streamPrefix = "branch" }

/// A cadre's id in the register, e.g. `C000017`.
public typealias CadreID = Identifier<CadreKind>
/// A branch's id, e.g. `B0012`.
public typealias BranchID = Identifier<BranchKind>
