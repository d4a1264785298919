import Foundation
import Testing

import SilverLedger

// The examples of docs/EVENTS.md, run as written (with a temporary directory).

private struct VisitLoggedV1: Codable, Sendable { var cadre: String; var kind: String }

private struct VisitLogged: Event {
    static let eventType = "VisitLogged"
    static let schemaVersion = 2
    var cadre: String
    var kind: String
    var visitedOn: LedgerDate
}

private struct MemberAdded: Event {
    static let eventType = "MemberAdded"
    var cadre: String
}

private struct AddMember { var cadre: String }
private struct RuleBroken: Error { var rule: String; init(_ rule: String) { self.rule = rule } }
private struct Branch { var members: Set<String> = [] }

private func evolve(_ state: inout Branch, _ event: RecordedEvent, _ types: EventTypes) throws {
    if let e = try event.decoded(as: MemberAdded.self, with: types) { state.members.insert(e.cadre) }
}

private func decide(_ command: AddMember, _ state: Branch) throws -> [any Event] {
    guard !state.members.contains(command.cadre) else { throw RuleBroken("already a member") }
    return [MemberAdded(cadre: command.cadre)]
}

@Suite("docs/EVENTS.md examples")
struct DocumentationExampleTests {
    @Test func theFirstExampleAndUpcasting() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-doc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var types = EventTypes()
        types.register(VisitLogged.self)
        types.register(VisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
            VisitLogged(cadre: old.cadre, kind: old.kind, visitedOn: LedgerDate("1970-01-01")!)
        }
        let store = try EventStore.open(at: dir, types: types)
        let metadata = EventMetadata(businessDate: LedgerDate("2024-02-09")!, recordedBy: "op-3", commandID: "cmd-7f3a")
        try await store.append([VisitLogged(cadre: "cadre-17", kind: "节日慰问", visitedOn: LedgerDate("2024-02-09")!)],
                               to: "cadre-17", expectedVersion: .any, metadata: metadata)
        var lines: [String] = []
        for event in try store.readStream("cadre-17") {
            let visit = try event.decoded(as: VisitLogged.self, with: store.types)
            lines.append("\(event.streamVersion) \(event.metadata.businessDate) \(visit?.kind ?? "?")")
        }
        #expect(lines == ["0 2024-02-09 节日慰问"])
        try store.close()
    }

    @Test func theDecideEvolveExample() async throws {
        var types = EventTypes()
        types.register(MemberAdded.self)
        let store = EventStore.inMemory(types: types)
        func handle(_ command: AddMember, id: String) async throws {
            let metadata = EventMetadata(businessDate: LedgerDate("2024-03-01")!, recordedBy: "op", commandID: id)
            var state = Branch()
            let events = try store.readStream("branch-12")
            for event in events { try evolve(&state, event, store.types) }
            try await store.append(try decide(command, state), to: "branch-12",
                                   expectedVersion: events.last.map { .exact($0.streamVersion) } ?? .noStream,
                                   metadata: metadata)
        }
        try await handle(AddMember(cadre: "cadre-1"), id: "c1")
        try await handle(AddMember(cadre: "cadre-2"), id: "c2")
        await #expect(throws: RuleBroken.self) { try await handle(AddMember(cadre: "cadre-1"), id: "c3") }
        #expect(store.version(of: "branch-12") == 1)
    }
    @Test func theJSONFormExampleLinesReadAndWriteBackByteForByte() throws {
        var types = EventTypes()
        types.register(VisitLogged.self)
        types.register(VisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
            VisitLogged(cadre: old.cadre, kind: old.kind, visitedOn: LedgerDate("1970-01-01")!)
        }
        let expected = [
            #"{"position":0,"stream":"cadre-17","version":0,"type":"VisitLogged","schemaVersion":2,"recordedAt":"2024-02-09T08:00:00.000000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","payload":{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}}"#,
            #"{"position":1,"stream":"cadre-17","version":1,"type":"VisitLogged","schemaVersion":1,"recordedAt":"2024-02-09T08:00:00.250000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3b","correlationID":"round-3","causationID":"cmd-7f3a","payload":{"cadre":"cadre-17","kind":"生日慰问"}}"#,
            #"{"position":2,"stream":"branch-12","version":0,"type":"BranchRenamed","schemaVersion":1,"recordedAt":"2024-02-10T01:30:00.000001Z","businessDate":"2024-02-10","recordedBy":"op-1","commandID":"cmd-80c1","payloadBase64":"DOesrOS4gOaUr+mDqA=="}"#,
        ]
        // The lines of the page's ```jsonl block are these.
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/EVENTS.md")
        let page = try String(contentsOf: docs, encoding: .utf8)
        let block = try #require(page.components(separatedBy: "```jsonl\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(block.split(separator: "\n").map(String.init) == expected)

        let events = try EventJSON.decodeLines(block, types: types)
        #expect(events.count == 3)
        #expect(try events.map { try EventJSON.encode($0, types: types) } == expected)
        #expect(events.map(\.position) == [0, 1, 2])
        #expect(events.map(\.recordedAt) == [1_707_465_600_000_000, 1_707_465_600_250_000, 1_707_528_600_000_001])
        #expect(events[1].metadata.correlationID == "round-3")
        #expect(events[1].metadata.causationID == "cmd-7f3a")
        #expect(events[0].metadata.correlationID == nil)
        #expect(try events[0].decoded(as: VisitLogged.self, with: types)?.kind == "节日慰问")
        #expect(try events[1].payload == BinaryEncoder().encode(VisitLoggedV1(cadre: "cadre-17", kind: "生日慰问")))
        #expect(try events[1].decoded(as: VisitLogged.self, with: types)?.visitedOn == LedgerDate("1970-01-01"))
        #expect(try events[2].decoded(with: types) == nil)
        #expect(try events[2].payload == BinaryEncoder().encode("第一支部"))
    }
}
