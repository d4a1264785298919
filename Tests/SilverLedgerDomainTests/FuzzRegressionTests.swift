import Foundation
@testable import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

/// The fuzz targets' seeds and every input a fuzzer found crashing
/// (Tests/FuzzCorpus/<target>/), run through the same entry points as
/// scripts/fuzz.sh runs under libFuzzer: each must pass without a trap.
@Suite("Fuzz corpus: seeds and the crashing inputs found, kept as regressions")
struct FuzzRegressionTests {
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus").path

    private func inputs(_ target: String) throws -> [[UInt8]] {
        let directory = Self.corpus + "/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return try names.map { Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
    }

    @Test func batches() throws {
        let all = try inputs("batches")
        #expect(all.count >= 9)
        for input in all { input.withUnsafeBytes { StorageFuzz.batches($0) } }
    }

    @Test func codec() throws {
        let all = try inputs("codec")
        #expect(all.count >= 70)
        #expect(all.contains { $0.first == 0 } && all.contains { $0.first != 0 }, "records and payloads")
        for input in all {
            input.withUnsafeBytes { data in
                if data.first == 0 {
                    CoreFuzz.envelope(UnsafeRawBufferPointer(rebasing: data.dropFirst()))
                } else {
                    DomainFuzz.payload(data)
                }
            }
        }
    }

    @Test func commands() throws {
        let all = try inputs("commands")
        #expect(all.count >= 42)
        for input in all { input.withUnsafeBytes { DomainFuzz.commandJSON($0) } }
        // Every seed parses: the corpus is the documented commands, not noise.
        for input in all { #expect(throws: Never.self) { try CommandJSONLine.parse(String(decoding: input, as: UTF8.self), lineNumber: 1) } }
    }

    @Test func aNaNInAPayloadIsReadAlikeByBothReaders() throws {
        // Found by fuzz-codec: VolunteerServiceRecorded with NaN hours. Both readers
        // read the same bits; the harness had compared the values, and NaN ≠ NaN.
        let input = try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/codec/crash-nan-hours"))
        let bytes = Array(input.dropFirst())
        let fast = try bytes.withUnsafeBytes { try BinaryReader.decode(VolunteerServiceRecorded.self, from: $0) }
        let slow = try BinaryDecoder().decode(VolunteerServiceRecorded.self, from: bytes)
        #expect(fast.hours.isNaN && slow.hours.isNaN)
        #expect(BinaryWriter.encode(fast) == BinaryWriter.encode(slow))
    }
}
