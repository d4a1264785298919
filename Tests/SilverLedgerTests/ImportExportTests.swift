import Foundation
import Testing

@testable import SilverLedger

/// A type only some stores know.
private struct Awarded: Event, Equatable {
    static let eventType = "MedalAwarded"
    var cadre: String
    var medal: String
    var on: LedgerDate
}

private func typesWithAwards() -> EventTypes {
    var types = testTypes()
    types.register(Awarded.self)
    return types
}

private func directory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-import-\(UUID().uuidString)").path
}

private func openStore(_ dir: String, types: EventTypes = typesWithAwards()) throws -> EventStore {
    var options = EventStoreOptions()
    options.durability = .none
    return try EventStore.open(at: dir, types: types, options: options)
}

/// Events of every shape: one and two streams per command, optional ids, Chinese text.
private func fill(_ store: EventStore) async throws {
    for i in 0..<12 {
        var metadata = EventMetadata(businessDate: LedgerDate("2024-07-0\(1 + i % 9)")!, recordedBy: "干部处-\(i % 2)", commandID: "cmd-\(i)")
        if i % 3 == 0 { metadata.correlationID = "visit-campaign" }
        if i % 4 == 0 { metadata.causationID = "cmd-\(max(0, i - 1))" }
        switch i % 3 {
        case 0: try await store.append([Noted(text: "慰问 \(i)"), Counted(n: i)], to: "cadre-\(i % 4)", metadata: metadata)
        case 1: try await store.append([Awarded(cadre: "cadre-\(i % 4)", medal: "光荣在党50年", on: LedgerDate("2024-07-01")!)], to: "cadre-\(i % 4)", metadata: metadata)
        default:
            try await store.append([StreamWrite(stream: "branch-\(i % 2)", events: [Counted(n: -i)]),
                                    StreamWrite(stream: "cadre-\(i % 4)", events: [Noted(text: "line\nbreak \"quoted\"")])], metadata: metadata)
        }
    }
}

private func export(_ store: EventStore, from position: UInt64 = 0) throws -> String {
    var lines: [String] = []
    try store.exportJSONLines(from: position) { lines.append($0) }
    return lines.map { $0 + "\n" }.joined()
}

@Suite("Export and import in the JSON form")
struct ImportExportTests {
    @Test(arguments: Backend.allCases)
    func anExportImportedIntoAnEmptyStoreExportsAgainByteForByte(_ backend: Backend) async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try openStore(dir)
        try await fill(source)
        let text = try export(source)
        #expect(text.split(separator: "\n").count == 20)

        let target: EventStore
        let targetDir = directory()
        defer { try? FileManager.default.removeItem(atPath: targetDir) }
        switch backend {
        case .memory: target = EventStore.inMemory(types: typesWithAwards())
        case .disk: target = try openStore(targetDir)
        }
        let report = try await target.importJSONLines(text)
        #expect(report.positions == 0..<20)
        #expect(report.commands == 12)
        #expect(try export(target) == text)
        // Everything is kept: envelopes, times and payload bytes.
        var original: [RecordedEvent] = [], imported: [RecordedEvent] = []
        try source.forEachEvent { original.append($0) }
        try target.forEachEvent { imported.append($0) }
        #expect(imported == original)
        for stream in ["cadre-0", "cadre-1", "cadre-2", "cadre-3", "branch-0", "branch-1"] {
            #expect(try target.readStream(stream) == source.readStream(stream))
            #expect(target.version(of: stream) == source.version(of: stream))
        }
        // The imported commands are known: sending one again writes nothing.
        let repeated = try await target.append([Counted(n: 1)], to: "cadre-0", metadata: meta("cmd-5"))
        #expect(repeated.positions == 8..<10)
        #expect(target.nextPosition == 20)
        // Projections as of a time see the imported times.
        let at = original[7].recordedAt
        #expect(try target.project(CountByType.self, asOf: .recordedAt(at)).position == source.project(CountByType.self, asOf: .recordedAt(at)).position)
        try source.close()
        try target.close()
    }

    @Test func anImportContinuesAStoreAndAppendsCarryOnAfterIt() async throws {
        let a = directory(), b = directory()
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        let source = try openStore(a)
        try await fill(source)
        let lines = try export(source).split(separator: "\n").map(String.init)
        let target = try openStore(b)
        // Split between two commands (cmd-5 is at positions 8 and 9).
        try await target.importJSONLines(lines[0..<10].joined(separator: "\n"))
        let report = try await target.importJSONLines(lines[10...].joined(separator: "\n"))
        #expect(report.positions == 10..<20)
        // Split inside a command: its second half is refused.
        let halves = EventStore.inMemory(types: typesWithAwards())
        try await halves.importJSONLines(lines[0..<9].joined(separator: "\n"))
        let split = await eventStoreError { try await halves.importJSONLines(lines[9...].joined(separator: "\n")) }
        #expect(split?.message == "line 1: command cmd-5 is already in the store; nothing was imported")
        #expect(try export(target) == export(source))
        // A normal append after an import gets the next position and version.
        let next = try await target.append([Counted(n: 7)], to: "cadre-0", expectedVersion: .exact(source.version(of: "cadre-0")!), metadata: meta("after"))
        #expect(next.positions == 20..<21)
        try source.close()
        try target.close()
        // And all of it survives reopening.
        let reopened = try openStore(b)
        #expect(reopened.nextPosition == 21)
        #expect(reopened.version(of: "cadre-0") == source.version(of: "cadre-0")! + 1)
        try reopened.close()
    }

    @Test func unknownTypesRoundTripThroughTheirRawBytes() async throws {
        let dir = directory(), other = directory()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: other)
        }
        do {
            let store = try openStore(dir)
            try await fill(store)
            try store.close()
        }
        // A build that does not know MedalAwarded still exports it, as payloadBase64.
        let store = try openStore(dir, types: testTypes())
        let text = try export(store)
        #expect(text.contains("\"payloadBase64\""))
        let target = try openStore(other, types: testTypes())
        try await target.importJSONLines(text)
        #expect(try export(target) == text)
        try store.close()
        try target.close()
        // Where the type is known, its events read back as the Swift value.
        let knowing = try openStore(other)
        let award = try knowing.readStream("cadre-1").first { $0.eventType == "MedalAwarded" }
        #expect(try award?.decoded(as: Awarded.self, with: knowing.types)?.medal == "光荣在党50年")
        try knowing.close()
    }

    @Test func aBrokenRuleNamesItsLineAndNothingIsImported() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try openStore(dir)
        try await fill(source)
        let lines = try export(source).split(separator: "\n").map(String.init)
        try source.close()

        func rejected(_ text: String, _ expected: String) async {
            let target = EventStore.inMemory(types: typesWithAwards())
            let error = await eventStoreError { try await target.importJSONLines(text) }
            #expect(error?.code == .invalidAppend)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
            #expect(target.nextPosition == 0)
        }
        // Not starting at the store's next position.
        await rejected(lines[1...].joined(separator: "\n"), "line 1: position 1, but the store's next position is 0; nothing was imported")
        // A gap in the positions.
        await rejected((lines[0..<3] + lines[4...]).joined(separator: "\n"), "line 4: position 4, but the store's next position is 3")
        // A version that skips one.
        let skipped = lines[0].replacingOccurrences(of: "\"version\":0", with: "\"version\":1")
        await rejected(([skipped] + lines[1...]).joined(separator: "\n"), "line 1: stream cadre-0 version 1, but the stream's next version is 0")
        // Times going back.
        let late = lines[2].replacingOccurrences(of: "\"recordedAt\":\"20", with: "\"recordedAt\":\"19")
        await rejected((lines[0..<2] + [late] + lines[3...]).joined(separator: "\n"), "line 3: recordedAt")
        // A malformed line: named by the JSON reader, nothing imported.
        await rejected(lines[0] + "\n{\"position\":1}", "line 2: missing key")

        // A command already in the store.
        let store = EventStore.inMemory(types: typesWithAwards())
        try await store.append([Counted(n: 1)], to: "other", metadata: meta("cmd-0"))
        let shifted = lines[0].replacingOccurrences(of: "\"position\":0", with: "\"position\":1")
        let error = await eventStoreError { try await store.importJSONLines(shifted) }
        #expect(error?.message == "line 1: command cmd-0 is already in the store; nothing was imported")
        #expect(store.nextPosition == 1)
    }

    @Test func anExportFileImportsFromAFile() async throws {
        let dir = directory(), other = directory()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-export-\(UUID().uuidString).jsonl").path
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: other)
            try? FileManager.default.removeItem(atPath: file)
        }
        let source = try openStore(dir)
        try await fill(source)
        try source.exportJSONLines(toFile: file)
        let target = try openStore(other)
        let report = try await target.importJSONLines(fromFile: file)
        #expect(report.positions == 0..<20)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == export(target))
        let missing = await eventStoreError { try await target.importJSONLines(fromFile: file + ".missing") }
        #expect(missing?.message.hasPrefix("cannot read \(file).missing") == true)
        try source.close()
        try target.close()
    }
}
