import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

@Suite("Strings found by their fingerprints (FingerprintTable)")
struct FingerprintTableTests {
    /// 20,000 random insertions, additions and look-ups against a dictionary,
    /// once with the real fingerprints and once with fingerprints squeezed into
    /// 4 values, so that most strings share one with others and are chained.
    @Test(arguments: [false, true])
    func itAnswersAsADictionaryOfTheSameStringsWould(squeezed: Bool) {
        var random = SplitMix64(seed: squeezed ? 11 : 12)
        func fingerprint(_ key: String) -> UInt64 {
            let real = EventStore.fingerprint(ofCommand: key)
            return squeezed ? real % 4 : real
        }
        let keys = (0..<300).map { "cmd-\($0)" }
        var table = FingerprintTable<UInt64>(capacity: 16)
        var model: [String: UInt64] = [:]
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let value = random.next() % 100
            switch random.next() % 3 {
            case 0:
                let had = table.insert(key, fingerprint: fingerprint(key), value)
                #expect(had == model[key], "step \(step): insert \(key)")
                if model[key] == nil { model[key] = value }
            case 1:
                table.add(key, fingerprint: fingerprint(key), value, +)
                model[key, default: 0] += value
            default:
                #expect(table[key, fingerprint: fingerprint(key)] == model[key], "step \(step): look-up \(key)")
            }
        }
        #expect(table.count == model.count)
        for key in keys { #expect(table[key, fingerprint: fingerprint(key)] == model[key]) }
    }

    /// Strings are told apart by their bytes, as the store tells command ids and
    /// streams apart: "K" and the Kelvin sign are equal as Swift strings, not here.
    @Test func stringsAreEqualWhenTheirBytesAre() {
        var table = FingerprintTable<Int>(capacity: 2)
        let kelvin = "\u{212A}"
        #expect(kelvin == "K")
        table.insert("K", fingerprint: 7, 1)
        #expect(table.insert(kelvin, fingerprint: 7, 2) == nil)   // same fingerprint given on purpose: chained
        #expect(table["K", fingerprint: 7] == 1 && table[kelvin, fingerprint: 7] == 2 && table.count == 2)
    }
}

@Suite("A string's quick fingerprint")
struct QuickFingerprintTests {
    /// Equal bytes give equal fingerprints whatever the string's storage; a
    /// change of any one byte, at any length up to 40 (whole words and tails), changes it.
    @Test func itDependsOnEveryByte() {
        for length in 0...40 {
            let base = String(repeating: "a", count: length)
            let bridged = String(decoding: Array(base.utf8), as: UTF8.self)
            #expect(base.quickFingerprint == bridged.quickFingerprint)
            var seen: Set<UInt64> = [base.quickFingerprint]
            for i in 0..<length {
                var bytes = Array(base.utf8)
                bytes[i] = UInt8(ascii: "b")
                #expect(seen.insert(String(decoding: bytes, as: UTF8.self).quickFingerprint).inserted, "length \(length), byte \(i)")
            }
        }
        // The length counts: a tail of zero bytes is not the same as none.
        #expect("ab".quickFingerprint != "ab\0".quickFingerprint)
        #expect("K".quickFingerprint != "\u{212A}".quickFingerprint && "K".hasSameUTF8(as: "K") && !"K".hasSameUTF8(as: "\u{212A}"))
    }
}
