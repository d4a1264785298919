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
}
