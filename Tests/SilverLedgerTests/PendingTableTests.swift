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
            switch next() % 400 == 0 ? 3 : next() % 3 {
            case 3:
                // Emptied at once (a lone append made durable): nothing is found, the room is kept for what comes next.
                table.removeAll()
                model.removeAll()
                #expect(fingerprints.allSatisfy { table.find($0) == nil }, "step \(step)")
            case 0 where model[fp]?.id != id && next() % 2 == 0:
                // An id known not to be held: one probe, refused if another id holds the fingerprint.
                let a = Int(next() % 3)
                let held = table.insertAbsent(fp, id: id, appends[a])
                #expect(held == (model[fp] == nil), "step \(step)")
                if held { model[fp] = (id, a) }
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

    /// Two appends pending at once; the first made durable: its commands are
    /// written (found by id, at their positions), the other's still pending.
    /// Then the second, alone in the table, is emptied at once.
    @Test func commandsOfOneAppendAreMarkedWrittenWhileAnotherIsPending() throws {
        var index = CommandIndex()
        let (a, b) = (PendingAppend(), PendingAppend())
        func part(_ id: String, _ first: UInt64, _ count: Int) -> CommandsTicket.Part {
            .init(commandID: id, fingerprint: CommandIndex.fingerprint(id), positions: first..<(first + UInt64(count)), versions: .many([:]))
        }
        let partsA = (0..<40).map { part("a\($0)", UInt64($0 * 2), 2) }
        let partsB = (0..<25).map { part("b\($0)", UInt64(80 + $0), 1) }
        for p in partsA { index.setPending(p.commandID, fingerprint: p.fingerprint, a) }
        for p in partsB { index.setPending(p.commandID, fingerprint: p.fingerprint, b) }
        func entry(_ id: String) throws -> String {
            switch try index.entry(id, isCommand: { _ in true }) {
            case .done(let first, let count)?: "done \(first) \(count)"
            case .pending(let p)?: p === a ? "pending a" : p === b ? "pending b" : "pending ?"
            case nil: "none"
            }
        }
        index.setDone(partsA)
        #expect(try entry("a0") == "done 0 2" && entry("a39") == "done 78 2")
        #expect(try entry("b0") == "pending b" && entry("b24") == "pending b")
        #expect(index.count == 65 && index.doneCount == 40)
        index.setDone(partsB)
        #expect(try entry("b0") == "done 80 1" && entry("b24") == "done 104 1" && entry("a17") == "done 34 2")
        #expect(try entry("c0") == "none")
        #expect(index.count == 65 && index.doneCount == 65)
    }
}
