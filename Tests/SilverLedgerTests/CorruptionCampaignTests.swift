import Foundation
import Testing

@testable import SilverLedger
import SilverLedgerStorage

/// The corruption campaign: bytes flipped, zeroed or cut off at random places
/// of every kind of file of a closed store (segments, segment indexes, the
/// saved stream and command indexes, a projection snapshot, HEAD, LOCK, the
/// manifest). Whatever the damage, the store either refuses to open or to
/// read, with an error naming the damaged file, or gives back exactly the
/// events and the projection it held: damage to a file that can be rebuilt is
/// rebuilt, never taken for data. No case may crash. CI runs 300 cases;
/// `SILVERLEDGER_CORRUPTION_CASES` sets more (the soak runs 1,000 or more).
@Suite("Corruption campaign: random damage to every kind of file is reported or repaired, never accepted")
struct CorruptionCampaignTests {
    enum Damage: CaseIterable, CustomStringConvertible {
        case flipByte, zeroBytes, truncate
        var description: String {
            switch self {
            case .flipByte: "a byte flipped"
            case .zeroBytes: "bytes zeroed"
            case .truncate: "cut short"
            }
        }
    }

    /// The files of a store worth damaging, by path relative to it.
    private func files(_ dir: String) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: dir))
        var names: [String] = []
        for case let name as String in enumerator {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// Everything the store holds, read back: every event (payloads decoded) and the projection rebuilt.
    private func contents(_ store: EventStore) throws -> (events: [RecordedEvent], sum: SumOfCounted, counts: CountByType) {
        var events: [RecordedEvent] = []
        try store.forEachEvent { event in
            _ = try event.decoded(with: store.types)
            events.append(event)
        }
        return (events, try store.project(SumOfCounted.self).projection, try store.project(CountByType.self).projection)
    }

    @Test(arguments: [false, true])
    func randomDamageIsReportedWithItsFileOrRepairedNeverAccepted(encrypted: Bool) async throws {
        let cases = ProcessInfo.processInfo.environment["SILVERLEDGER_CORRUPTION_CASES"].flatMap(Int.init) ?? 300
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-corruption-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pristine = root + "/pristine", work = root + "/work"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)

        // A store with events of two types in several streams, a snapshot, and its indexes saved at close.
        var options = EventStoreOptions()
        options.durability = .none
        options.segmentSize = 8 << 10   // several segments, each with its index
        if encrypted { options.encryptionKey = try EncryptionKey(bytes: Array(repeating: 5, count: 32)) }
        var writing = options
        writing.sealKey = try SealKey(bytes: Array(repeating: 3, count: 32))   // and SEALS, another file to damage
        let store = try EventStore.open(at: pristine, types: testTypes(), options: writing)
        for i in 0..<400 {
            let events: [any Event] = i % 3 == 0 ? [Noted(text: "走访记录 \(i)"), Counted(n: i)] : [Counted(n: i)]
            try await store.append(events, to: "cadre-\(i % 17)", metadata: meta("c-\(i)"))
        }
        try store.saveSnapshot(try store.project(SumOfCounted.self))
        for i in 400..<450 { try await store.append([Counted(n: i)], to: "cadre-\(i % 17)", metadata: meta("c-\(i)")) }
        let expected = try contents(store)
        try store.close()
        let names = try files(pristine)
        for kind in [".seg", ".idx", "store.index", ".snap", "HEAD", "LOCK", "STORE", "SEALS"] {
            #expect(names.contains { $0.hasSuffix(kind) }, "no \(kind) file to damage: \(names)")
        }
        #expect(names.filter { $0.hasSuffix(".seg") }.count >= 4, "several segments: \(names)")

        var rng = SplitMix64(seed: 2026)
        var outcomes: [String: Int] = [:]
        for n in 0..<cases {
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.copyItem(atPath: pristine, toPath: work)
            // One file in two cases, else two or three at once.
            var damagedFiles: [String] = []
            var what = "case \(n):"
            for _ in 0..<(rng.next() % 2 == 0 ? 1 : 2 + Int(rng.next() % 2)) {
                let name = names[Int(rng.next() % UInt64(names.count))]
                let path = work + "/" + name
                var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                let damage = Damage.allCases[Int(rng.next() % 3)]
                let at = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                switch damage {
                case .flipByte where !bytes.isEmpty: bytes[at] ^= UInt8(1 << (rng.next() % 8))
                case .zeroBytes where !bytes.isEmpty:
                    let end = min(bytes.count, at + 1 + Int(rng.next() % 64))
                    for i in at..<end { bytes[i] = 0 }
                default: bytes.removeLast(bytes.count - at)
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                damagedFiles.append(name)
                what += " \(name) \(damage) at byte \(at);"
            }
            if damagedFiles.count > 1 { outcomes["(several files)", default: 0] += 1 }

            do {
                let damaged = try EventStore.open(at: work, types: testTypes(), options: options)
                defer { try? damaged.close() }
                do {
                    let got = try contents(damaged)
                    // Opened and read without an error: then it must all be there, unchanged.
                    if got.events != expected.events {
                        let first = (0..<min(got.events.count, expected.events.count)).first { got.events[$0] != expected.events[$0] } ?? min(got.events.count, expected.events.count)
                        Issue.record("\(what): the events differ and nothing said so: \(got.events.count) events read, \(expected.events.count) written, first difference at \(first)")
                    }
                    let projectionsAgree = got.sum == expected.sum && got.counts == expected.counts
                    #expect(projectionsAgree, "\(what): the projections differ (sum \(got.sum.sum), expected \(expected.sum.sum))")
                    outcomes["read back whole", default: 0] += 1
                } catch {
                    #expect(damagedFiles.contains { Self.names(error, file: $0) }, "\(what): reading failed without naming a damaged file: \(error)")
                    outcomes["refused when read", default: 0] += 1
                }
            } catch {
                #expect(damagedFiles.contains { Self.names(error, file: $0) }, "\(what): open failed without naming a damaged file: \(error)")
                outcomes["refused at open", default: 0] += 1
            }
        }
        #expect(outcomes.filter { $0.key != "(several files)" }.values.reduce(0, +) == cases)
        #expect((outcomes["(several files)"] ?? 0) > cases / 4)
        // The campaign did meet both outcomes.
        #expect((outcomes["refused at open"] ?? 0) + (outcomes["refused when read"] ?? 0) > 0)
        #expect((outcomes["read back whole"] ?? 0) > 0)
        print("corruption campaign\(encrypted ? " (encrypted store)" : ""): \(cases) cases, \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }

    /// Whether an error says which file is damaged (by its name), or, for a
    /// payload that no longer decodes, at which position.
    private static func names(_ error: any Error, file: String) -> Bool {
        let text = "\(error)"
        let base = String(file.split(separator: "/").last ?? Substring(file))
        if text.contains(base) { return true }
        if let e = error as? EventStoreError, e.code == .corruptedEvent, text.contains("position") { return true }
        return false
    }
}
