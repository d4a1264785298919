import Foundation
import SilverLedger
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
}
