import Testing

@testable import SilverLedger

@Suite("Stream index: positions per stream, linked through the log")
struct StreamIndexTests {
    @Test func positionsAreFoundPerStreamFromAnyVersion() {
        var index = StreamIndex()
        // a b a c a b
        for stream in ["a", "b", "a", "c", "a", "b"] { _ = index.append(stream) }
        #expect(index.positions(of: "a", from: 0, below: .max) == [0, 2, 4])
        #expect(index.positions(of: "a", from: 1, below: .max) == [2, 4])
        #expect(index.positions(of: "a", from: 3, below: .max) == [])
        #expect(index.positions(of: "b", from: 0, below: 5) == [1])
        #expect(index.positions(of: "z", from: 0, below: .max) == [])
        #expect(index.version(of: "a") == 2)
        #expect(index.version(of: "c") == 0)
        #expect(index.version(of: "z") == nil)
        #expect(index.end == 6)
    }

    @Test func anAppendOfSeveralStreamsLinksThemAndCanBeTakenBack() {
        var index = StreamIndex()
        _ = index.append("a")          // 0
        _ = index.append("b")          // 1
        // One append: a gets 2..<4, new stream n gets 4..<5, b gets 5..<6.
        let (slotA, countA) = index.find("a")
        let (slotN, countN) = index.find("n")
        let (slotB, countB) = index.find("b")
        #expect(countA == 1 && countN == 0 && countB == 1)
        index.extend(to: 6)
        index.link("a", slot: slotA, positions: 2..<4)
        index.link("b", slot: slotB, positions: 5..<6)
        index.link("n", slot: slotN, positions: 4..<5)
        #expect(index.positions(of: "a", from: 0, below: .max) == [0, 2, 3])
        #expect(index.positions(of: "b", from: 0, below: .max) == [1, 5])
        #expect(index.positions(of: "n", from: 0, below: .max) == [4])
        // Taken back: as before the append.
        index.unlink("a", count: 2)
        index.unlink("n", count: 1)
        index.unlink("b", count: 1)
        index.truncate(to: 2)
        #expect(index.end == 2)
        #expect(index.positions(of: "a", from: 0, below: .max) == [0])
        #expect(index.positions(of: "b", from: 0, below: .max) == [1])
        #expect(index.version(of: "n") == nil)
        #expect(index.append("a") == 1)
        #expect(index.positions(of: "a", from: 0, below: .max) == [0, 2])
    }

    /// The map against a dictionary through random insertions, updates and
    /// removals: a small pool of keys keeps a 16-slot table full enough to wrap
    /// around and to move slots back on removal; a larger one makes it grow.
    @Test(arguments: [12, 300])
    func mapAgreesWithADictionary(keys poolSize: Int) {
        var random: UInt64 = 0x5EED_0000 &+ UInt64(poolSize)
        func next() -> UInt64 {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return random >> 11
        }
        let pool = (0..<poolSize).map { StreamKey("stream-\($0)") }
        var map = StreamMap()
        var model: [StreamKey: StreamMap.Entry] = [:]
        for step in 0..<20_000 {
            let key = pool[Int(next() % UInt64(poolSize))]
            switch next() % 4 {
            case 0:
                map[key] = nil
                model[key] = nil
            case 1:
                let entry = StreamMap.Entry(count: 1 + next() % 100, last: next() % 1_000)
                #expect(map.updateValue(entry, forKey: key) == model.updateValue(entry, forKey: key))
            default:
                #expect(map[key] == model[key], "step \(step)")
                if let slot = map.slot(of: key) {
                    map[slot: slot].count += 1
                    model[key]!.count += 1
                }
            }
            #expect(map.count == model.count)
            if step % 500 == 0 || step == 19_999 {
                var seen: [StreamKey: StreamMap.Entry] = [:]
                for (k, e) in map { #expect(seen.updateValue(e, forKey: k) == nil, "\(k) is in the map twice") }
                #expect(seen == model, "step \(step)")
                for k in pool { #expect(map[k] == model[k]) }
            }
        }
    }
}
