import CCRC32C
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import SilverLedgerStorage

/// Bit-at-a-time CRC32C: the slowest and plainest definition, as an oracle.
private func referenceCRC32C(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
    var c = ~crc
    for byte in bytes {
        c ^= UInt32(byte)
        for _ in 0..<8 {
            c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1
        }
    }
    return ~c
}

/// The portable table implementation, whatever the CPU.
private func portableCRC32C(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    silverledger_crc32c_extend_portable(crc, bytes.baseAddress, bytes.count)
}

@Suite("CRC32C")
struct CRC32CTests {
    /// A named input and its expected CRC32C.
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var crc: UInt32
        var testDescription: String { name }
    }

    /// RFC 3720 appendix B.4, the usual "123456789" check value, and empty input.
    static let vectors: [Vector] = [
        Vector(name: "32 bytes of 0x00", bytes: [UInt8](repeating: 0x00, count: 32), crc: 0x8A91_36AA),
        Vector(name: "32 bytes of 0xFF", bytes: [UInt8](repeating: 0xFF, count: 32), crc: 0x62A8_AB43),
        Vector(name: "32 ascending bytes", bytes: (0..<32).map { UInt8($0) }, crc: 0x46DD_794E),
        Vector(name: "32 descending bytes", bytes: (0..<32).reversed().map { UInt8($0) }, crc: 0x113F_DB5C),
        Vector(name: "123456789", bytes: Array("123456789".utf8), crc: 0xE306_9283),
        Vector(name: "empty", bytes: [], crc: 0),
    ]

    @Test("known vectors", arguments: vectors)
    func knownVector(_ vector: Vector) {
        #expect(CRC32C.checksum(vector.bytes) == vector.crc)
        vector.bytes.withUnsafeBytes { raw in
            #expect(CRC32C.checksum(raw) == vector.crc)
            #expect(portableCRC32C(0, raw) == vector.crc)
        }
        #expect(referenceCRC32C(0, vector.bytes) == vector.crc)
    }

    @Test("empty input leaves the running value unchanged")
    func emptyInput() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(CRC32C.checksum(empty) == 0)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.extend(0xDEAD_BEEF, empty) == 0xDEAD_BEEF)
        #expect(CRC32C.extend(0xDEAD_BEEF, []) == 0xDEAD_BEEF)
        #expect(silverledger_crc32c_extend(0x1234_5678, nil, 0) == 0x1234_5678)
        #expect(silverledger_crc32c_extend_portable(0x1234_5678, nil, 0) == 0x1234_5678)
    }

    @Test("agrees with a bit-at-a-time reference")
    func matchesReference() {
        var rng = TestRNG(seed: 1)
        let data = rng.bytes(30_000)
        for length in Array(0...300) + [767, 768, 769, 1000, 4096, 24_576, 24_577, 25_000, 30_000] {
            let slice = data[..<length]
            let seed = UInt32(truncatingIfNeeded: rng.next())
            let expected = referenceCRC32C(seed, slice)
            slice.withUnsafeBytes { raw in
                #expect(CRC32C.extend(seed, raw) == expected, "length \(length)")
                #expect(portableCRC32C(seed, raw) == expected, "length \(length)")
            }
        }
    }

    @Test("incremental equals one-shot for random splits")
    func incrementalEqualsOneShot() {
        var rng = TestRNG(seed: 2)
        let data = rng.bytes(200_000)
        let whole = CRC32C.checksum(data)
        #expect(whole == data.withUnsafeBytes { portableCRC32C(0, $0) })
        for trial in 0..<200 {
            // Mix small pieces with pieces long enough for the interleaved paths.
            let maxPiece = [1, 9, 100, 1_000, 30_000, 100_000][trial % 6]
            var crc: UInt32 = 0
            var start = 0
            var pieces = 0
            data.withUnsafeBytes { raw in
                while start < raw.count {
                    let end = min(raw.count, start + rng.int(in: 0...maxPiece))
                    crc = CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end
                    pieces += 1
                }
            }
            #expect(crc == whole, "trial \(trial), \(pieces) pieces of at most \(maxPiece) bytes")
        }
        // The [UInt8] overloads compose the same way.
        let cut = 12_345
        #expect(CRC32C.extend(CRC32C.checksum(Array(data[..<cut])), Array(data[cut...])) == whole)
    }

    @Test("the selected path equals the portable path at every length and alignment")
    func selectedPathEqualsPortable() {
        var rng = TestRNG(seed: 3)
        let largeLengths = [
            4_095, 4_096, 8_191, 8_192, 24_575, 24_576, 24_577, 24_576 + 767, 24_576 + 768,
            49_152 + 769, 65_537, (1 << 20) + 3,
        ]
        let data = rng.bytes(largeLengths.max()! + 8)
        data.withUnsafeBytes { raw in
            for offset in 0..<8 {
                for length in Array(0...1_100) + largeLengths {
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
                    for seed: UInt32 in [0, 0xFFFF_FFFF, 0x5A5A_1234] {
                        let selected = CRC32C.extend(seed, bytes)
                        let portable = portableCRC32C(seed, bytes)
                        if selected != portable {
                            // One #expect per mismatch only, to keep the report short.
                            #expect(selected == portable, "offset \(offset), length \(length), seed \(seed)")
                        }
                    }
                }
            }
        }
    }

    @Test("uses the CRC32 instruction when the CPU has SSE4.2")
    func hardwareAcceleration() {
        #if arch(x86_64)
        guard let flags = Self.cpuFlags() else {
            // /proc/cpuinfo is not readable (not Linux, or a sandbox): nothing to compare with.
            return
        }
        // The choice is made from CPUID, which /proc/cpuinfo reports.
        #expect(CRC32C.isHardwareAccelerated == flags.contains("sse4_2"))
        #else
        // Only x86_64 has an accelerated path so far.
        #expect(!CRC32C.isHardwareAccelerated)
        #endif
    }

    /// The flags of the first processor in /proc/cpuinfo, or nil if unreadable.
    private static func cpuFlags() -> Set<Substring>? {
        #if os(Linux)
        let fd = open("/proc/cpuinfo", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            contents += chunk[..<count]
        }
        let text = String(decoding: contents, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " "))
        }
        return nil
        #else
        return nil
        #endif
    }
}
