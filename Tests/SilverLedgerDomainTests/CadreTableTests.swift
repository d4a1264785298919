import Foundation
import SilverLedger
import SilverLedgerStorage
import Testing

@testable import SilverLedgerDomain

@Suite("The register's table of records (CadreTable)")
struct CadreTableTests {
    private func record(_ id: CadreID, registered: String = "2019-01-01") -> CadreRecord {
        CadreRecord(id: id, name: "甲", category: .lixiu, birthDate: date("1930-01-01"), formerLevel: .allCases[0],
                    formerUnit: "省发展和改革委员会", retiredOn: date("1990-01-01"), residence: "和平路1号", registeredOn: date(registered))
    }

    @Test func recordsAreFoundByIdAndKeptInTheOrderOfRegistration() {
        var table = CadreTable()
        #expect(table.isEmpty && table["C1"] == nil && table.index(of: "C1") == nil)
        for id: CadreID in ["C3", "C1", "C2"] { table[id] = record(id) }
        #expect(table.count == 3 && table.keys == ["C3", "C1", "C2"] && table.values.map(\.id) == ["C3", "C1", "C2"])
        #expect(table.index(of: "C1") == 1 && table["C1"]?.id == "C1")
        // Setting a registered id replaces its record in place.
        table["C1"] = record("C1", registered: "2020-05-05")
        #expect(table.count == 3 && table.index(of: "C1") == 1 && table["C1"]?.registeredOn == date("2020-05-05"))
        table.update("C2") { $0.diedOn = date("2024-01-01") }
        table.update("C9") { $0.diedOn = date("2024-01-01") }   // not registered: nothing
        #expect(table["C2"]?.diedOn == date("2024-01-01") && table["C9"] == nil && table.count == 3)
    }

    @Test func removingARecordMovesTheLastOneIntoItsPlace() {
        var table = CadreTable()
        for id: CadreID in ["C1", "C2", "C3", "C4"] { table[id] = record(id) }
        table["C2"] = nil
        #expect(table.keys == ["C1", "C4", "C3"] && table.values.map(\.id) == ["C1", "C4", "C3"])
        #expect(table.index(of: "C4") == 1 && table["C4"]?.id == "C4" && table["C2"] == nil)
        table["C3"] = nil   // the last one
        table["C7"] = nil   // absent: nothing
        #expect(table.keys == ["C1", "C4"] && table.index(of: "C4") == 1)
        table["C2"] = record("C2")
        #expect(table.keys == ["C1", "C4", "C2"] && table.index(of: "C2") == 2)
    }

    /// An id is its bytes, as a stream name is for the store: "K" and the
    /// Kelvin sign (equal as Swift strings) are two cadres, with two streams.
    @Test func idsThatDifferInTheirBytesAreDifferentCadres() {
        let latin = CadreID("K"), kelvin = CadreID("\u{212A}")
        #expect(latin.rawValue == kelvin.rawValue)   // Swift's canonical equality
        #expect(latin != kelvin)
        #expect(latin < kelvin && !(kelvin < latin))
        #expect(Set([latin, kelvin, CadreID("K")]).count == 2)
        var table = CadreTable()
        table[latin] = record(latin, registered: "2019-01-01")
        #expect(table[kelvin] == nil)
        table[kelvin] = record(kelvin, registered: "2020-01-01")
        #expect(table.count == 2)
        #expect(table[latin]?.registeredOn == date("2019-01-01"))
        #expect(table[kelvin]?.registeredOn == date("2020-01-01"))
        table[latin] = nil
        #expect(table.keys == [kelvin] && table[latin] == nil && table[kelvin]?.id == kelvin)
        #expect(Array(latin.stream.utf8) != Array(kelvin.stream.utf8))
        // Long ids (stored out of line): equal bytes in separate storage are one id.
        let long = CadreID("离退休干部-" + String(repeating: "长", count: 12))
        let same = CadreID(["离退休干部-", String(repeating: "长", count: 12)].joined())
        #expect(long.rawValue.utf8.count > 15 && long == same && !(long < same) && !(same < long))
        table[long] = record(long, registered: "2021-01-01")
        #expect(table[same]?.registeredOn == date("2021-01-01") && table.index(of: same) == table.index(of: long))
        #expect(CadreID(long.rawValue + "x") != long && table[CadreID(long.rawValue + "x")] == nil)
        // Dictionaries and sets hash an id's bytes with their own seed (no SipHash):
        // equal bytes hash alike under one seed, and many ids spread over a set.
        #expect(long._rawHashValue(seed: 7) == same._rawHashValue(seed: 7) && long.hashValue == same.hashValue)
        #expect(long._rawHashValue(seed: 7) != long._rawHashValue(seed: 8))
        let many = (0..<20_000).map { CadreID("C\($0)") }
        let set = Set(many)
        #expect(set.count == 20_000 && many.allSatisfy { set.contains(CadreID("C" + $0.rawValue.dropFirst())) } && !set.contains("C20000"))
        #expect(Set(many.map { $0._rawHashValue(seed: 0) & 0xFFFF }).count > 12_000)   // low bits spread (a table's bucket)
        #expect(MeetingID("m-1")._rawHashValue(seed: 3) == MeetingID("m-" + "1")._rawHashValue(seed: 3))
        // Meeting ids likewise.
        #expect(MeetingID("m-K") != MeetingID("m-\u{212A}") && MeetingID("m-K") == MeetingID("m-" + "K"))
        #expect(MeetingID("m-K") < MeetingID("m-\u{212A}") && !(MeetingID("m-\u{212A}") < MeetingID("m-K")))
    }

    /// Many ids, added and removed at random, against a dictionary: the table
    /// grows, and removals move other ids back along their runs.
    @Test func theTableOfIdsAgreesWithADictionaryThroughRandomChanges() {
        var random = SplitMix64(seed: 13)
        var table = CadreTable()
        var model: [String: String] = [:]   // id -> registration date
        for step in 0..<20_000 {
            let id = CadreID("C\(random.next() % 3_000)")
            if random.next() % 3 == 0 {
                table[id] = nil
                model[id.rawValue] = nil
            } else {
                let day = "20\(10 + random.next() % 10)-01-0\(1 + random.next() % 9)"
                table[id] = record(id, registered: day)
                model[id.rawValue] = day
            }
            if step % 1_000 == 999 || step < 50 {
                #expect(table.count == model.count, "step \(step)")
                #expect(Set(table.keys.map(\.rawValue)) == Set(model.keys), "step \(step)")
                for (i, key) in table.keys.enumerated() {
                    #expect(table.index(of: key) == i && table.values[i].id == key, "step \(step): \(key)")
                }
                for k in 0..<3_000 {
                    let id = CadreID("C\(k)")
                    #expect(table[id]?.registeredOn == model[id.rawValue].map(date), "step \(step): \(id)")
                }
            }
        }
    }

    @Test func tablesAreEqualByTheirRecordsInAnyOrder() {
        var a = CadreTable(), b = CadreTable()
        for id: CadreID in ["C1", "C2"] { a[id] = record(id) }
        for id: CadreID in ["C2", "C1"] { b[id] = record(id) }
        #expect(a == b)
        b["C2"] = record("C2", registered: "2019-01-02")
        #expect(a != b)
        b["C2"] = nil
        #expect(a != b)
    }

    @Test func itEncodesAsADictionaryOfRecordsByIdWouldAndDecodesEither() throws {
        var table = CadreTable()
        for id: CadreID in ["C2", "C1"] { table[id] = record(id) }
        let dictionary: [CadreID: CadreRecord] = ["C1": record("C1"), "C2": record("C2")]
        let encoded = try JSONEncoder().encode(table)
        // A dictionary keyed by an id encodes as [id, record, id, record, …]: the same shape, in the table's order.
        let items = try #require(try JSONSerialization.jsonObject(with: encoded) as? [Any])
        #expect(items.count == 4 && items[0] as? String == "C2" && items[2] as? String == "C1")
        #expect(try JSONDecoder().decode([CadreID: CadreRecord].self, from: encoded) == dictionary)
        #expect(try JSONDecoder().decode(CadreTable.self, from: try JSONEncoder().encode(dictionary)) == table)
        #expect(try JSONDecoder().decode(CadreTable.self, from: encoded).keys == ["C2", "C1"])
    }

    @Test func aDamagedEncodingIsRefusedNamingTheCadre() throws {
        let one = String(decoding: try JSONEncoder().encode(record("C1")), as: UTF8.self)
        do {
            _ = try JSONDecoder().decode(CadreTable.self, from: Data(#"["C1",\#(one),"C1",\#(one)]"#.utf8))
            Issue.record("a cadre twice was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "cadre C1 appears twice")
        }
        do {
            _ = try JSONDecoder().decode(CadreTable.self, from: Data(#"["C1",\#(one),"C2"]"#.utf8))
            Issue.record("an id without a record was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "cadre C2 has no record")
        }
    }

    /// The answers read from the table of places (``CadreTable/living(_:on:)``,
    /// ``CadreTable/isLivingMember(_:of:on:)``) against the records themselves,
    /// after every change of 4,000 random ones: registrations, replacements,
    /// removals, deaths, branch stints opened and closed in place, and visits.
    @Test func theFieldsKeptBesideEachPlaceFollowEveryChangeOfTheRecord() {
        var random = SplitMix64(seed: 7)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let ids: [CadreID] = (0..<12).map { CadreID("C\($0)") }
        let branches: [BranchID] = ["B1", "B2", "B3"]
        let base = date("2019-01-01").daysSinceEpoch
        func day(_ n: Int) -> LedgerDate { LedgerDate(daysSinceEpoch: base + Int32(n)) }
        var table = CadreTable()
        var fastAnswers = 0, slowAnswers = 0, listsAllMembers = 0, listsPartlyLiving = 0
        for step in 0..<4_000 {
            let id = ids[pick(ids.count)]
            switch pick(7) {
            case 0: table[id] = record(id, registered: "\(day(pick(400)))")
            case 1: table[id] = nil
            case 2: table.update(id) { $0.diedOn = pick(3) == 0 ? nil : day(pick(800)) }
            case 3: table.update(id) { $0.branchStints.append(.init(branch: branches[pick(3)], from: day(pick(800)))) }
            case 4: table.update(id) { r in if !r.branchStints.isEmpty { r.branchStints[r.branchStints.count - 1].until = day(pick(800)) } }
            case 5: table.updateDetails(id) { $0.lastVisitedOn = day(pick(800)) }   // leaves the fields kept beside the place
            default:
                // Through the subscript: a changed copy of the record set back.
                if var r = table[id] { r.registeredOn = day(pick(400)); r.branchStints.removeAll(); table[id] = r }
            }
            for probe in ids {
                let record = table[probe]
                // Half the probes ask about the branch and a day of the latest stint.
                let latestStint = pick(2) == 0 ? record?.branchStints.last : nil
                let on = latestStint.map { day(Int($0.from.daysSinceEpoch - base) + pick(30)) } ?? day(pick(900))
                let branch = latestStint?.branch ?? branches[pick(3)]
                let alive = record.map { $0.registeredOn <= on && $0.isAlive(on: on) } ?? false
                let fast = table.living(probe, on: on)
                #expect((fast != nil) == alive, "step \(step): \(probe) living on \(on)")
                if let fast { #expect(fast == table.index(of: probe)) }
                // Fast "yes" only when the record's latest stint covers the date in that branch;
                // a "no" sends the rules to the record, so it is never wrong, only slower.
                let latest = record?.branchStints.last
                let member = alive && latest.map { $0.covers(on) && $0.branch == branch } == true
                #expect(table.isLivingMember(probe, of: branch, on: on) == member, "step \(step): \(probe) in \(branch) on \(on)")
                if member { fastAnswers += 1 } else if alive { slowAnswers += 1 }
            }
            // The checks of a list together (a meeting's members, a session's
            // attendees) give the first of the list the single checks refuse.
            // Half the lists are members of the branch on the day of some record's latest stint, with perhaps one other cadre.
            let anchor = pick(2) == 0 ? table[ids[pick(ids.count)]]?.branchStints.last : nil
            let on = anchor.map { day(Int($0.from.daysSinceEpoch - base) + pick(30)) } ?? day(pick(900))
            let branch = anchor?.branch ?? branches[pick(3)]
            var list = anchor == nil ? (0..<pick(9)).map { _ in ids[pick(ids.count)] }
                                     : Array(ids.filter { table.isLivingMember($0, of: branch, on: on) }.prefix(1 + pick(6)))
            if anchor != nil && pick(2) == 0 { list.insert(ids[pick(ids.count)], at: pick(list.count + 1)) }
            let firstNotMember = list.firstIndex { !table.isLivingMember($0, of: branch, on: on) }
            let firstNotLiving = list.firstIndex { table.living($0, on: on) == nil }
            #expect(table.firstNotLivingMember(list.count, { list[$0] }, of: branch, on: on) == firstNotMember, "step \(step): \(list) in \(branch) on \(on)")
            #expect(table.firstNotLiving(list.count, { list[$0] }, on: on) == firstNotLiving, "step \(step): \(list) living on \(on)")
            if firstNotMember == nil && !list.isEmpty { listsAllMembers += 1 }
            if firstNotLiving.map({ $0 > 0 }) == true { listsPartlyLiving += 1 }
        }
        // Both kinds of answer were exercised.
        #expect(fastAnswers > 1_000 && slowAnswers > 1_000, "\(fastAnswers) fast, \(slowAnswers) not")
        #expect(listsAllMembers > 20 && listsPartlyLiving > 100, "\(listsAllMembers) lists all members, \(listsPartlyLiving) partly living")
    }
}
