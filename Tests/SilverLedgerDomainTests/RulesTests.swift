import Foundation
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

@Suite("The shared rules' helpers")
struct RulesTests {
    /// `isBlank` reads bytes while they are ASCII; it must agree with `Character.isWhitespace` everywhere.
    @Test func blankTextIsTheTextWhoseCharactersAreAllWhiteSpace() {
        var samples = ["", " ", "\t\r\n", "\r\n", " a", "a ", "C000017", "张三", "\u{3000}", " \u{3000} ", "\u{A0}x", " \u{301}", "\u{1C}", "\u{85}"]
        // Every scalar below U+3100 alone, after a space and before one.
        for value in 0..<0x3100 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            samples += [text, " " + text, text + " "]
        }
        for text in samples {
            #expect(Rules.isBlank(text) == text.allSatisfy(\.isWhitespace), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        for text in ["", " ", "\t\r\n", "\r\n", "\u{3000}", " \u{3000} ", "\u{85}", "\u{2028}"] { #expect(Rules.isBlank(text)) }
        for text in [" a", "a ", "C000017", "张三", "\u{A0}x", "\u{1C}", "\u{1F}", "\u{200B}"] { #expect(!Rules.isBlank(text)) }
    }

    /// The list of White_Space scalars the rules use is the property's, for every
    /// scalar; `trimmed` trims exactly when an end has the property, as before the list.
    @Test func theWhiteSpaceListIsUnicodesProperty() {
        var mismatches: [String] = []
        for value in 0...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if Rules.isWhiteSpace(scalar) != scalar.properties.isWhitespace { mismatches.append(String(value, radix: 16)) }
            if value < 0x3100 || Rules.isWhiteSpace(scalar) {
                for text in [String(scalar), " " + String(scalar), String(scalar) + "x", "x" + String(scalar), "张" + String(scalar)] {
                    let ends = [text.unicodeScalars.first!, text.unicodeScalars.last!]
                    let trimmed = ends.contains { $0.properties.isWhitespace } ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
                    if text.trimmed != trimmed { mismatches.append("trimmed \(text.unicodeScalars.map { String($0.value, radix: 16) })") }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    /// The first name given again, by position, in short lists (compared pairwise)
    /// and long ones (a set), against the definition; and read from two lists at once.
    @Test func theFirstRepeatIsTheEarliestNameGivenBefore() {
        var random = SplitMix64(seed: 5)
        for trial in 0..<2_000 {
            let count = Int(random.next() % 70)
            let pool = 1 + Int(random.next() % 200)
            let names = (0..<count).map { _ in CadreID("C\(random.next() % UInt64(pool))") }
            let expected = names.indices.first { k in names[..<k].contains(names[k]) }
            #expect(Rules.firstRepeat(in: names) == expected, "trial \(trial): \(names)")
            let split = count == 0 ? 0 : Int(random.next() % UInt64(count + 1))
            let first = Array(names[..<split]), second = Array(names[split...])
            #expect(Rules.firstRepeat(count: count) { $0 < split ? first[$0] : second[$0 - split] } == expected)
            // The same over plain strings (the generic comparison, not the ids' fingerprints).
            #expect(Rules.firstRepeat(in: names.map(\.rawValue)) == expected)
        }
        // Ids are equal by their bytes: "K" and the Kelvin sign are two names, "K" twice is a repeat.
        #expect(Rules.firstRepeat(in: [CadreID("K"), CadreID("\u{212A}")]) == nil)
        #expect(Rules.firstRepeat(in: [CadreID("\u{212A}"), CadreID("K"), CadreID("x"), CadreID("K")]) == 3)
    }
}
