import Testing

@testable import SilverLedger
@_spi(Internals) import SilverLedgerStorage

@Suite("Pending table: the commands being written, by fingerprint")
struct PendingTableTests {
    /// The pending table against a dictionary through random holds, replacements
    /// and removals. Fingerprints that share their low bits fill runs of
    /// neighbouring slots, so removals move slots back, around the table's end too.
    @Test func pendingTableAgreesWithADictionary() {
        var random: UInt64 = 0x5EED_C0DE
        func next() -> UInt64 {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return random >> 11
        }
        // 40 fingerprints in 5 groups of 8 sharing their low 6 bits, 59 to 63: the last
        // slots of the table, whether of 16 or of 64 slots, so that runs wrap around its end.
        let fingerprints: [UInt64] = (0..<40).map { UInt64($0 / 8 + 59) | UInt64($0 + 1) << 20 }
        let appends = (0..<3).map { _ in PendingAppend() }
        var table = PendingTable()
        var model: [UInt64: (id: String, append: Int)] = [:]
        for step in 0..<20_000 {
            let k = Int(next() % UInt64(fingerprints.count))
            let fp = fingerprints[k]
            // Mostly the fingerprint's own id; sometimes another, as a colliding command.
            let id = next() % 8 == 0 ? "other-\(k)" : "command-\(k)"
            switch next() % 3 {
            case 0:
                let a = Int(next() % 3)
                let held = table.set(fp, id: id, appends[a])
                let free = model[fp] == nil || model[fp]!.id == id
                #expect(held == free, "step \(step)")
                if free { model[fp] = (id, a) }
            case 1:
                let removed = table.remove(fp, id: id)
                #expect(removed == (model[fp]?.id == id), "step \(step)")
                if removed { model[fp] = nil }
            default:
                let found = table.find(fp)
                #expect(found?.id == model[fp]?.id, "step \(step)")
                if let found, let expected = model[fp] { #expect(found.append === appends[expected.append]) }
            }
            #expect(table.count == model.count)
            if step % 250 == 0 {
                for fp in fingerprints {
                    #expect(table.find(fp)?.id == model[fp]?.id, "step \(step), fingerprint \(String(fp, radix: 16))")
                }
            }
        }
    }
}
