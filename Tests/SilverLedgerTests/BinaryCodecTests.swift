import Foundation
import SilverLedgerStorage
import Testing

@testable import SilverLedger

private enum Channel: String, Codable, Equatable { case inPerson, phone, video }
private enum Level: Int, Codable, Equatable { case province = 1, city = 2, county = 3 }
private enum Outcome: Codable, Equatable {
    case resolved(on: String, by: String)
    case referred(to: String)
    case open
}

private struct Inner: Codable, Equatable {
    var name: String
    var score: Int8
}

private struct Everything: Codable, Equatable {
    var string: String
    var chinese: String
    var empty: String
    var int: Int
    var int64: Int64
    var int32: Int32
    var int16: Int16
    var int8: Int8
    var uint: UInt
    var uint64: UInt64
    var uint32: UInt32
    var uint16: UInt16
    var uint8: UInt8
    var bool: Bool
    var double: Double
    var float: Float
    var bytes: [UInt8]
    var optionalSome: String?
    var optionalNone: Int?
    var nested: Inner
    var nestedOptional: Inner?
    var array: [Inner]
    var emptyArray: [String]
    var arrayOfOptionals: [Int?]
    var arrayOfArrays: [[String]]
    var dictionary: [String: Int]
    var intKeyed: [Int: [String]]
    var channel: Channel
    var level: Level
    var outcomes: [Outcome]
    var date: Date
}

private func sample() -> Everything {
    Everything(
        string: "cadre-000017", chinese: "光荣在党50年 走访慰问", empty: "",
        int: -123_456_789, int64: .min, int32: .max, int16: -300, int8: -128,
        uint: 42, uint64: .max, uint32: 4_000_000_000, uint16: 65535, uint8: 255,
        bool: true, double: -0.1, float: 3.25, bytes: [0, 1, 2, 255],
        optionalSome: "有", optionalNone: nil,
        nested: Inner(name: "支部书记", score: 99), nestedOptional: nil,
        array: [Inner(name: "a", score: 1), Inner(name: "b", score: -1)], emptyArray: [],
        arrayOfOptionals: [1, nil, 3], arrayOfArrays: [["x"], [], ["y", "z"]],
        dictionary: ["b": 2, "a": 1, "c": 3], intKeyed: [3: ["三"], -1: []],
        channel: .video, level: .county,
        outcomes: [.resolved(on: "2024-07-01", by: "staff-1"), .referred(to: "医院"), .open],
        date: Date(timeIntervalSince1970: 1_719_792_000.5))
}

@Suite("Binary codec")
struct BinaryCodecTests {
    @Test func theASCIICheckFindsAHighByteAtEveryPlace() {
        for length in 0..<40 {
            let ascii = [UInt8](repeating: 0x41, count: length)
            #expect(ascii.withUnsafeBytes { $0.isASCII }, "length \(length)")
            for at in 0..<length {
                for high: UInt8 in [0x80, 0xE5, 0xFF] {
                    var bytes = ascii
                    bytes[at] = high
                    #expect(!bytes.withUnsafeBytes { $0.isASCII }, "length \(length), byte \(at) = \(high)")
                }
            }
        }
        // A slice that starts off alignment and stops before a high byte.
        let bytes: [UInt8] = [0xFF] + Array(repeating: 0x61, count: 17) + [0xFF]
        #expect(bytes.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[1..<18]).isASCII })
    }

    @Test func theShortASCIICheckFindsAHighByteAtEveryPlaceAndLeavesLongerBytesToTheFullCheck() {
        for length in 0...16 {
            let ascii = [UInt8](repeating: 0x41, count: length)
            #expect(ascii.withUnsafeBytes { $0.isShortASCII }, "length \(length)")
            for at in 0..<length {
                var bytes = ascii
                bytes[at] = 0xC3
                #expect(!bytes.withUnsafeBytes { $0.isShortASCII }, "length \(length), byte \(at)")
            }
        }
        for length in [17, 40] {
            #expect(![UInt8](repeating: 0x41, count: length).withUnsafeBytes { $0.isShortASCII }, "length \(length): not short")
        }
        // A string of a lone lead byte, at every length up to 16: the reader refuses it.
        for length in 1...16 {
            var bytes = [UInt8](repeating: 0x61, count: length)
            bytes[length - 1] = 0xE5
            #expect(throws: DecodingError.self, "length \(length)") {
                try ([UInt8(length)] + bytes).withUnsafeBytes { raw in
                    var reader = BinaryReader(raw)
                    _ = try reader.stringBytes()
                }
            }
        }
    }

    @Test func varintsOfEveryLengthReadAtEveryDistanceFromTheEnd() throws {
        // Values of 1 to 10 bytes, each followed by 0 to 9 bytes: the eight-byte
        // read and the byte-at-a-time read must agree, and stop where the varint ends.
        var values: [UInt64] = [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), 1 << 49, (1 << 56) - 1, 1 << 56, 1 << 63, .max]
        var random = SplitMix64(seed: 11)
        for _ in 0..<200 { values.append(random.next() >> (random.next() % 64)) }
        for value in values {
            var encoded: [UInt8] = []
            encoded.appendVarint(value)
            for trailing in 0..<10 {
                let bytes = encoded + [UInt8](repeating: 0xAA, count: trailing)
                let (read, end) = try bytes.withUnsafeBytes { raw throws -> (UInt64, Int) in
                    var reader = BinaryReader(raw)
                    return (try reader.varint(), reader.offset)
                }
                #expect(read == value && end == encoded.count, "\(value) with \(trailing) bytes after it")
            }
            // Padded to five bytes, as counts are written.
            if value < 1 << 35 {
                var padded: [UInt8] = []
                padded.appendPaddedCount(Int(value))
                let (read, end) = try (padded + [1, 2, 3]).withUnsafeBytes { raw throws -> (UInt64, Int) in
                    var reader = BinaryReader(raw)
                    return (try reader.varint(), reader.offset)
                }
                #expect(read == value && end == 5, "\(value) padded")
            }
        }
        // Cut short, or too long for 64 bits, with and without eight bytes to read at once.
        for bad: [UInt8] in [[0x80], [0xFF, 0xFF], [UInt8](repeating: 0xFF, count: 8), [UInt8](repeating: 0xFF, count: 9) + [0x02],
                             [UInt8](repeating: 0xFF, count: 10) + [0x01]] {
            #expect(throws: DecodingError.self, "\(bad)") {
                try bad.withUnsafeBytes { raw in
                    var reader = BinaryReader(raw)
                    _ = try reader.varint()
                }
            }
        }
    }

    @Test func everyKindOfFieldRoundTrips() throws {
        let value = sample()
        let bytes = try BinaryEncoder().encode(value)
        let decoded = try BinaryDecoder().decode(Everything.self, from: bytes)
        #expect(decoded == value)
    }

    @Test func theFormIsCompact() throws {
        // A small event: 3 short strings and 2 small integers take little more than their text.
        struct Visit: Codable { var cadre: String; var kind: String; var channel: Channel; var visitors: Int; var day: Int }
        let bytes = try BinaryEncoder().encode(Visit(cadre: "cadre-17", kind: "节日慰问", channel: .phone, visitors: 2, day: 19_900))
        // 1+8, 1+12, 1+5, 1, 3 (zigzag 19900 = 39800 → 3 bytes)
        #expect(bytes.count == 9 + 13 + 6 + 1 + 3)
    }

    @Test func integersUseZigzagVarints() throws {
        #expect(try BinaryEncoder().encode(0) == [0])
        #expect(try BinaryEncoder().encode(-1) == [1])
        #expect(try BinaryEncoder().encode(1) == [2])
        #expect(try BinaryEncoder().encode(-64) == [127])
        #expect(try BinaryEncoder().encode(64) == [0x80, 0x01])
        #expect(try BinaryEncoder().encode(UInt64(300)) == [0xAC, 0x02])
        #expect(try BinaryEncoder().encode("é") == [2, 0xC3, 0xA9])
        #expect(try BinaryEncoder().encode(Optional<Int>.none) == [0])
        #expect(try BinaryEncoder().encode(Optional(5)) == [1, 10])
        #expect(try BinaryEncoder().encode([1, 2]) == [0x82, 0x80, 0x80, 0x80, 0x00, 2, 4])
        // The fast path for [String] writes what the unkeyed container writes.
        #expect(try BinaryEncoder().encode(["a", "bc"]) == [0x82, 0x80, 0x80, 0x80, 0x00, 1, 0x61, 2, 0x62, 0x63])
        #expect(try BinaryEncoder().encode(["a", "bc"]) == BinaryEncoder().encode(UnkeyedStrings(values: ["a", "bc"])))
        #expect(try BinaryDecoder().decode([String].self, from: BinaryEncoder().encode(UnkeyedStrings(values: ["x", "一二"]))) == ["x", "一二"])
    }

    @Test func optionalsInGenericPositionsKeepTheirPresenceByte() throws {
        // An optional dictionary, optional optionals and optional values in a
        // dictionary: the optional's own byte first, whatever is inside it.
        let dictionary: [String: Int]? = ["a": 1]
        #expect(try BinaryEncoder().encode(dictionary) == [1, 1, 1, 0x61, 2])
        #expect(try BinaryDecoder().decode([String: Int]?.self, from: [1, 1, 1, 0x61, 2]) == ["a": 1])
        #expect(try BinaryDecoder().decode([String: Int]?.self, from: [0]) == nil)
        let nested: Int?? = .some(nil)
        #expect(try BinaryEncoder().encode(nested) == [1, 0])
        #expect(try BinaryDecoder().decode(Int??.self, from: [1, 0]) == .some(nil))
        let values: [String: Int?] = ["k": nil, "l": 3]
        let bytes = try BinaryEncoder().encode(values)
        #expect(bytes == [2, 1, 0x6B, 0, 1, 0x6C, 1, 6])
        #expect(try BinaryDecoder().decode([String: Int?].self, from: bytes) == values)
    }

    @Test func dictionariesEncodeTheSameWhateverTheirOrder() throws {
        var a: [String: Int] = [:]
        var b: [String: Int] = [:]
        for i in 0..<50 { a["k\(i)"] = i }
        for i in (0..<50).reversed() { b["k\(i)"] = i }
        #expect(try BinaryEncoder().encode(a) == BinaryEncoder().encode(b))
        #expect(try BinaryDecoder().decode([String: Int].self, from: BinaryEncoder().encode(a)) == a)
    }

    /// The entries come in the order of their keys' bytes, a key before the
    /// longer keys it begins: as a count, then each key's and value's own bytes.
    @Test func dictionaryEntriesAreOrderedByTheirKeysBytes() throws {
        func expected<K: Codable, V: Codable>(_ d: [K: V]) throws -> [UInt8] {
            var entries = try d.map { (key: try BinaryEncoder().encode($0.key), value: try BinaryEncoder().encode($0.value)) }
            entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
            var bytes: [UInt8] = []
            bytes.appendVarint(UInt64(entries.count))
            for entry in entries { bytes += entry.key + entry.value }
            return bytes
        }
        var random = SystemRandomNumberGenerator()
        // Integer keys of one to ten bytes (zigzag varints), so that some begin others.
        let ints = Dictionary((0..<300).map { i in (Int.random(in: -(1 << (i % 63))...(1 << (i % 63)), using: &random), "值\(i)") },
                              uniquingKeysWith: { a, _ in a })
        #expect(try BinaryEncoder().encode(ints) == expected(ints))
        let strings = Dictionary(uniqueKeysWithValues: ["", "a", "ab", "abc", "b", "\u{0}", "\u{0}\u{0}", "走访", "走访慰问"].enumerated().map { ($1, $0) })
        #expect(try BinaryEncoder().encode(strings) == expected(strings))
        let lists: [[UInt8]: [Int]] = [[]: [1], [0]: [], [0, 0]: [2, 3], [1]: [4], [255]: [], [0, 255]: [5]]
        #expect(try BinaryEncoder().encode(lists) == expected(lists))
        // Keys whose bytes may begin one another's: the shorter first.
        let raw: [RawBytesKey: Int] = [RawBytesKey(bytes: [1, 2]): 0, RawBytesKey(bytes: [1]): 1, RawBytesKey(bytes: []): 2,
                                       RawBytesKey(bytes: [1, 2, 0]): 3, RawBytesKey(bytes: [0, 9]): 4, RawBytesKey(bytes: [2]): 5]
        let rawBytes = try BinaryEncoder().encode(raw)
        #expect(try rawBytes == expected(raw))
        #expect(rawBytes == [6, 4, 0, 9, 8, 1, 2, 1, 2, 0, 1, 2, 0, 6, 2, 10])
        // The own form of a dictionary of `BinaryCodable` keys and values writes the same.
        #expect(try BinaryWriter.encode(raw) == expected(raw))
        #expect(try BinaryWriter.encode(ints) == BinaryEncoder().encode(ints))
        #expect(try BinaryWriter.encode(strings) == BinaryEncoder().encode(strings))
        let empty: [String: Inner] = [:]
        #expect(try BinaryEncoder().encode(empty) == [0])
        #expect(try BinaryDecoder().decode([Int: String].self, from: BinaryEncoder().encode(ints)) == ints)
    }

    /// Cutting the bytes anywhere gives an error, never a crash or a wrong value.
    @Test func truncatedInputIsAnErrorAtEveryLength() throws {
        let bytes = try BinaryEncoder().encode(sample())
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Everything.self, from: Array(bytes.prefix(length))) }
        }
    }

    @Test func leftOverBytesAreAnError() throws {
        let bytes = try BinaryEncoder().encode(Inner(name: "x", score: 1)) + [0]
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Inner.self, from: bytes) }
    }

    @Test func malformedInputIsAnErrorNamingTheField() throws {
        // Invalid UTF-8 in the name.
        var error = #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Inner.self, from: [2, 0xFF, 0xFE, 2]) }
        guard case .dataCorrupted(let context)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(context.codingPath.map(\.stringValue) == ["name"])
        #expect(context.debugDescription.contains("UTF-8"))
        // A score that does not fit Int8.
        error = #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Inner.self, from: [1, 0x61, 0x80, 0x04]) }
        if case .dataCorrupted(let context)? = error {
            #expect(context.codingPath.map(\.stringValue) == ["score"])
            #expect(context.debugDescription.contains("does not fit Int8"))
        }
        // A presence byte that is neither 0 nor 1.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int?.self, from: [7, 2]) }
        // A count larger than the bytes left.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([Int].self, from: [0xFF, 0xFF, 0x03, 1]) }
        // A varint longer than ten bytes.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(UInt64.self, from: [UInt8](repeating: 0xFF, count: 11) + [1]) }
        // A duplicated dictionary key.
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode([String: Int].self, from: [2, 1, 0x61, 2, 1, 0x61, 4]) }
        // An enum case name that is not a case.
        let wrongCase = try BinaryEncoder().encode(Outcome.referred(to: "x")).map { $0 == UInt8(ascii: "r") ? UInt8(ascii: "R") : $0 }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Outcome.self, from: wrongCase) }
    }

    /// Random bytes never crash the decoder.
    @Test func randomInputNeverCrashes() throws {
        var state: UInt64 = 0x5EED
        var decodedSome = 0
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(state >> 58)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            if (try? BinaryDecoder().decode(Inner.self, from: bytes)) != nil { decodedSome += 1 }
            _ = try? BinaryDecoder().decode(Everything.self, from: bytes)
            _ = try? BinaryDecoder().decode([Outcome].self, from: bytes)
        }
        #expect(decodedSome > 0, "some random inputs are valid Inner values")
    }
}

/// Strings written through a plain unkeyed container, the way `Array` encodes itself.
private struct UnkeyedStrings: Encodable {
    var values: [String]
    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for value in values { try container.encode(value) }
    }
}

/// A key written as its bytes alone, no length: one key's bytes may begin another's.
private struct RawBytesKey: Codable, Hashable {
    var bytes: [UInt8]
    private struct Key: CodingKey {
        var stringValue: String { "b" }
        var intValue: Int? { nil }
        init() {}
        init?(stringValue: String) {}
        init?(intValue: Int) { nil }
    }
    init(bytes: [UInt8]) { self.bytes = bytes }
    init(from decoder: any Decoder) throws { bytes = [] }   // only written here
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for b in bytes { try container.encode(b, forKey: Key()) }
    }
}

/// Counts which form each value of a test was written through.
private final class Forms: @unchecked Sendable {
    var own = 0
    var codable = 0
}

/// A number whose two forms give the same bytes, counting which one wrote it.
private struct Part: BinaryCodable {
    var n: Int
    var forms: Forms?
    init(n: Int, forms: Forms) { self.n = n; self.forms = forms }
    init(from decoder: any Decoder) throws { n = try decoder.singleValueContainer().decode(Int.self) }
    func encode(to encoder: any Encoder) throws {
        forms?.codable += 1
        var container = encoder.singleValueContainer()
        try container.encode(n)
    }
    init(reading reader: inout BinaryReader) throws { n = try reader.integer() }
    func write(to writer: inout BinaryWriter) {
        forms?.own += 1
        writer.zigzag(Int64(n))
    }
}

/// Many parts, whose own form may be large: written in pieces, through `Codable`.
private struct Large: BinaryCodable {
    static var ownFormMayBeLarge: Bool { true }
    var parts: [Part]
    var forms: Forms?
    init(parts: [Part], forms: Forms) { self.parts = parts; self.forms = forms }
    private enum CodingKeys: CodingKey { case parts }
    init(from decoder: any Decoder) throws { parts = try decoder.container(keyedBy: CodingKeys.self).decode([Part].self, forKey: .parts) }
    func encode(to encoder: any Encoder) throws {
        forms?.codable += 1
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parts, forKey: .parts)
    }
    init(reading reader: inout BinaryReader) throws { parts = try reader.read() }
    func write(to writer: inout BinaryWriter) {
        forms?.own += 1
        writer.write(parts)
    }
}

extension RawBytesKey: BinaryCodable {
    init(reading reader: inout BinaryReader) throws { bytes = [] }   // only written here
    func write(to writer: inout BinaryWriter) { writer.bytes.append(contentsOf: bytes) }
}

/// Many values in a list, written element by element through an unkeyed
/// container of its own, as `CadreTable` writes itself.
private struct Register: Encodable {
    var entries: [Everything]
    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for (i, entry) in entries.enumerated() {
            try container.encode("C\(i)")
            try container.encode(entry)
        }
    }
}

/// A list that gives one more element each time it is encoded.
private final class Growing: Encodable, @unchecked Sendable {
    private var calls = 0
    func encode(to encoder: any Encoder) throws {
        calls += 1
        var container = encoder.unkeyedContainer()
        for i in 0..<(100 + calls) { try container.encode(i) }
    }
}

@Suite("Binary codec: a large value measured, then encoded in pieces")
struct BinaryPiecesTests {
    private let register: Register = {
        Register(entries: (0..<150).map { i in
            var e = sample()
            e.int = i
            e.array = (0..<(i % 7)).map { Inner(name: "成员\($0)", score: Int8($0)) }
            e.arrayOfArrays = [(0..<(i % 3)).map(String.init), []]
            e.dictionary = Dictionary(uniqueKeysWithValues: (0..<(i % 5)).map { ("k\($0)", $0 * i) })
            return e
        })
    }()

    @Test func thePiecesAreTheWholeEncodingAtEverySize() throws {
        let whole = try BinaryEncoder().encode(register)
        #expect(whole.count > 20_000)
        for size in [1, 7, 64, 1_000, whole.count - 1, whole.count, 2 * whole.count] {
            let measure = try BinaryEncoder().measure(register, pieceSize: size)
            #expect(measure.length == whole.count)
            var pieces: [[UInt8]] = []
            try BinaryEncoder().encode(register, as: measure, pieceSize: size) { pieces.append(Array($0)) }
            let joined = pieces.flatMap { $0 }
            let same = joined == whole   // not compared inside #expect, which would print both whole
            #expect(same, "pieces of \(size): \(joined.count) bytes against \(whole.count)")
            #expect(pieces.dropLast().allSatisfy { $0.count >= size }, "pieces of \(size): \(pieces.map(\.count))")
            if size <= 1_000 {
                // Handed over after each whole value: never much more than one entry's bytes past `size`.
                #expect(pieces.count > whole.count / (size + 1_000), "pieces of \(size): \(pieces.count)")
                #expect(pieces.map(\.count).max()! < size + 1_000, "pieces of \(size)")
            } else {
                #expect(pieces.count <= 2)
            }
        }
        // The lists' counts come from the measure: one per list opened, the
        // register's first, then four in each entry (`array`, `arrayOfOptionals`,
        // `arrayOfArrays` and `outcomes`; lists of bytes and of strings have forms of their own).
        let measure = try BinaryEncoder().measure(register, pieceSize: 64)
        #expect(measure.containerCounts.first == 300)
        #expect(measure.containerCounts.count == 1 + 150 * 4)
        #expect(measure.containerCounts[1...4] == [0, 3, 2, 3])
    }

    /// With own forms, a value of a ``BinaryCodable`` type is written through
    /// its `write(to:)`; written in pieces, one whose own form may be large
    /// goes through `Codable`, its parts through their own forms.
    @Test func ownFormsAreUsedWhenAskedForAndLargeOnesSplitInPieces() throws {
        let largeForms = Forms(), partForms = Forms()
        let large = Large(parts: (0..<500).map { Part(n: $0 * 1_000, forms: partForms) }, forms: largeForms)
        let codable = try BinaryEncoder().encode(large)
        #expect(largeForms.codable == 1 && largeForms.own == 0 && partForms.codable == 500 && partForms.own == 0)

        let own = BinaryEncoder(usesOwnBinaryForms: true)
        #expect(try own.encode(large) == codable)
        #expect(largeForms.codable == 1 && largeForms.own == 1 && partForms.codable == 500 && partForms.own == 500)
        #expect(try own.encode(large, upTo: 1 << 20) == codable)
        #expect(largeForms.own == 2 && partForms.own == 1_000)

        let measure = try own.measure(large, pieceSize: 64)
        var pieces: [[UInt8]] = []
        try own.encode(large, as: measure, pieceSize: 64) { pieces.append(Array($0)) }
        let same = pieces.flatMap { $0 } == codable
        #expect(same)
        #expect(pieces.count > 10, "\(pieces.count) pieces")
        // Both passes through `Codable` for the large value, its parts through their own forms.
        #expect(largeForms.codable == 3 && largeForms.own == 2)
        #expect(partForms.codable == 500 && partForms.own == 2_000)
    }

    @Test func anEncodingBoundedByALimitGivesUpPastIt() throws {
        let whole = try BinaryEncoder().encode(register)
        #expect(try BinaryEncoder().encode(register, upTo: whole.count) == whole)
        #expect(try BinaryEncoder().encode(register, upTo: whole.count + 1) == whole)
        #expect(try BinaryEncoder().encode(register, upTo: whole.count / 2) == nil)
        #expect(try BinaryEncoder().encode(register, upTo: 0) == nil)
        #expect(try BinaryEncoder().encode(Inner(name: "a", score: 1), upTo: 1_000) == BinaryEncoder().encode(Inner(name: "a", score: 1)))
    }

    @Test func aValueThatDoesNotEncodeAsMeasuredIsRefused() throws {
        let growing = Growing()
        let measure = try BinaryEncoder().measure(growing, pieceSize: 16)
        var handed = 0
        do {
            try BinaryEncoder().encode(growing, as: measure, pieceSize: 16) { handed += $0.count }
            Issue.record("a value encoded with more elements than measured was accepted")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.debugDescription.contains("did not encode as measured"), "\(context.debugDescription)")
            #expect(context.debugDescription.contains("measured \(measure.length) bytes"), "\(context.debugDescription)")
        }
        // Measured from another value: the lists' counts do not match.
        let other = try BinaryEncoder().measure(Register(entries: []), pieceSize: 16)
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(register, as: other, pieceSize: 16) { _ in } }
        let bigger = try BinaryEncoder().measure(register, pieceSize: 16)
        #expect(throws: EncodingError.self) { try BinaryEncoder().encode(Register(entries: []), as: bigger, pieceSize: 16) { _ in } }
    }

    @Test func aWriteThatFailsStopsTheEncoding() throws {
        struct Full: Error {}
        let measure = try BinaryEncoder().measure(register, pieceSize: 100)
        var pieces = 0
        #expect(throws: Full.self) {
            try BinaryEncoder().encode(register, as: measure, pieceSize: 100) { _ in
                pieces += 1
                if pieces == 3 { throw Full() }
            }
        }
        #expect(pieces == 3)
    }
}
