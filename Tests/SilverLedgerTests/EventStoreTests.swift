import Foundation
import Testing

@testable import SilverLedger

struct Noted: Event {
    static let eventType = "Noted"
    var text: String
}

struct Counted: Event {
    static let eventType = "Counted"
    var n: Int
}

func testTypes() -> EventTypes {
    var types = EventTypes()
    types.register(Noted.self)
    types.register(Counted.self)
    return types
}

func meta(_ command: String, day: String = "2024-07-01") -> EventMetadata {
    EventMetadata(businessDate: LedgerDate(day)!, recordedBy: "op-1", commandID: command)
}

/// A store on disk in a fresh directory, or in memory.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case disk, memory
    var testDescription: String { rawValue }

    func withStore<T>(_ body: (EventStore, String?) async throws -> T) async throws -> T {
        switch self {
        case .memory:
            let store = EventStore.inMemory(types: testTypes())
            return try await body(store, nil)
        case .disk:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var options = EventStoreOptions()
            options.durability = .none
            let store = try EventStore.open(at: dir, types: testTypes(), options: options)
            let result = try await body(store, dir)
            try? store.close()
            return result
        }
    }
}

func eventStoreError(_ body: () async throws -> Void) async -> EventStoreError? {
    do {
        try await body()
        Issue.record("expected an EventStoreError, nothing was thrown")
    } catch let error as EventStoreError {
        return error
    } catch {
        Issue.record("expected an EventStoreError, got \(error)")
    }
    return nil
}

@Suite("Event store: streams, expected versions, idempotent commands")
struct EventStoreTests {
    @Test(arguments: Backend.allCases)
    func appendsReadBackWithVersionsAndMetadata(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let r1 = try await store.append([Noted(text: "一"), Noted(text: "二")], to: "cadre-1", metadata: meta("c1"))
            let r2 = try await store.append([Counted(n: 7)], to: "branch-1", metadata: meta("c2", day: "2024-06-30"))
            let r3 = try await store.append([Noted(text: "三")], to: "cadre-1", expectedVersion: .exact(1), metadata: meta("c3"))
            #expect(r1.positions == 0..<2)
            #expect(r1.streamVersions == ["cadre-1": 1])
            #expect(r2.positions == 2..<3)
            #expect(r3.positions == 3..<4)
            #expect(r3.streamVersions == ["cadre-1": 2])
            #expect(store.version(of: "cadre-1") == 2)
            #expect(store.version(of: "branch-1") == 0)
            #expect(store.version(of: "nobody") == nil)

            let events = try store.readStream("cadre-1")
            #expect(events.map(\.streamVersion) == [0, 1, 2])
            #expect(events.map(\.position) == [0, 1, 3])
            #expect(try events.map { try $0.decoded(as: Noted.self, with: store.types)?.text } == ["一", "二", "三"])
            #expect(events.map(\.metadata.commandID) == ["c1", "c1", "c3"])
            #expect(events.allSatisfy { $0.metadata.recordedBy == "op-1" && $0.eventType == "Noted" && $0.schemaVersion == 1 })
            #expect(try store.readStream("cadre-1", from: 2).map(\.position) == [3])
            #expect(try store.readStream("branch-1").first?.metadata.businessDate == LedgerDate("2024-06-30"))
            #expect(try store.readStream("nobody").isEmpty)
            var all: [UInt64] = []
            try store.forEachEvent { all.append($0.position) }
            #expect(all == [0, 1, 2, 3])
            #expect(events[0].recordedAt <= events[2].recordedAt)
        }
    }

    @Test(arguments: Backend.allCases)
    func aWrongExpectedVersionNamesTheStreamAndWritesNothing(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "a")], to: "s", expectedVersion: .noStream, metadata: meta("c1"))
            var error = await eventStoreError { try await store.append([Noted(text: "b")], to: "s", expectedVersion: .noStream, metadata: meta("c2")) }
            #expect(error?.code == .wrongExpectedVersion)
            #expect(error?.stream == "s")
            #expect(error?.expected == ExpectedVersion.noStream)
            #expect(error?.actual == 0)
            #expect(error?.message.contains("stream s") == true)
            error = await eventStoreError { try await store.append([Noted(text: "b")], to: "s", expectedVersion: .exact(3), metadata: meta("c3")) }
            #expect(error?.expected == .exact(3))
            #expect(error?.actual == 0)
            error = await eventStoreError { try await store.append([Noted(text: "b")], to: "t", expectedVersion: .exact(0), metadata: meta("c4")) }
            #expect(error?.actual == nil)
            #expect(store.nextPosition == 1)
            #expect(try store.readStream("s").count == 1)
            // The rejected commands' ids stay free.
            let ok = try await store.append([Noted(text: "b")], to: "s", expectedVersion: .exact(0), metadata: meta("c2"))
            #expect(ok.positions == 1..<2)
        }
    }

    @Test(arguments: Backend.allCases)
    func aMultiStreamAppendIsAllOrNothing(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "x")], to: "a", metadata: meta("c0"))
            let error = await eventStoreError {
                try await store.append([
                    StreamWrite(stream: "b", expectedVersion: .noStream, events: [Counted(n: 1)]),
                    StreamWrite(stream: "a", expectedVersion: .noStream, events: [Counted(n: 2)]),
                ], metadata: meta("c1"))
            }
            #expect(error?.code == .wrongExpectedVersion)
            #expect(error?.stream == "a")
            #expect(store.version(of: "b") == nil)
            #expect(store.nextPosition == 1)
            let result = try await store.append([
                StreamWrite(stream: "b", expectedVersion: .noStream, events: [Counted(n: 1), Counted(n: 2)]),
                StreamWrite(stream: "a", expectedVersion: .exact(0), events: [Counted(n: 3)]),
            ], metadata: meta("c2"))
            #expect(result.positions == 1..<4)
            #expect(result.streamVersions == ["a": 1, "b": 1])
            let twice = await eventStoreError {
                try await store.append([StreamWrite(stream: "a", events: [Counted(n: 1)]), StreamWrite(stream: "a", events: [Counted(n: 2)])], metadata: meta("c3"))
            }
            #expect(twice?.code == .invalidAppend)
        }
    }

    @Test(arguments: Backend.allCases)
    func theSameCommandTwiceIsRecordedOnce(_ backend: Backend) async throws {
        try await backend.withStore { store, dir in
            let first = try await store.append([Noted(text: "once")], to: "s", metadata: meta("cmd-1"))
            let again = try await store.append([Noted(text: "once")], to: "s", metadata: meta("cmd-1"))
            #expect(again == first)
            #expect(store.nextPosition == 1)
            guard let dir else { return }
            // Also after reopening: the command index is rebuilt from the log.
            try store.close()
            var options = EventStoreOptions()
            options.durability = .none
            let reopened = try EventStore.open(at: dir, types: testTypes(), options: options)
            let third = try await reopened.append([Noted(text: "once")], to: "s", metadata: meta("cmd-1"))
            #expect(third == first)
            #expect(reopened.nextPosition == 1)
            #expect(reopened.version(of: "s") == 0)
            let next = try await reopened.append([Noted(text: "twice")], to: "s", expectedVersion: .exact(0), metadata: meta("cmd-2"))
            #expect(next.positions == 1..<2)
            try reopened.close()
        }
    }

    /// Many tasks race to append to one stream with expected versions: exactly one
    /// wins each version, nothing is lost or duplicated.
    @Test(arguments: Backend.allCases)
    func concurrentWritersGetEachVersionOnce(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        do {
                            try await store.append([Counted(n: i)], to: "s", expectedVersion: .noStream, metadata: meta("first-\(i)"))
                            return true
                        } catch let error as EventStoreError where error.code == .wrongExpectedVersion {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        var written = 0
                        var attempt = 0
                        while written < 5 {
                            attempt += 1
                            let version = store.version(of: "s")!
                            do {
                                try await store.append([Counted(n: task * 100 + written)], to: "s", expectedVersion: .exact(version),
                                                       metadata: meta("t\(task)-\(written)-\(attempt)"))
                                written += 1
                            } catch let error as EventStoreError where error.code == .wrongExpectedVersion {
                                continue
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try store.readStream("s")
            #expect(events.count == 81)
            #expect(events.map(\.streamVersion) == Array(0..<81))
            let values = try events.dropFirst().map { try $0.decoded(as: Counted.self, with: store.types)?.n ?? -1 }
            #expect(Set(values).count == 80)
            for task in 0..<16 {
                #expect(values.filter { $0 / 100 == task }.sorted() == (0..<5).map { task * 100 + $0 })
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func rejectedAppendsWriteNothing(_ backend: Backend) async throws {
        struct Unregistered: Event { static let eventType = "Unregistered"; var x: Int }
        try await backend.withStore { store, _ in
            var error = await eventStoreError { try await store.append([Unregistered(x: 1)], to: "s", metadata: meta("c1")) }
            #expect(error?.code == .unregisteredEventType)
            #expect(error?.message.contains("Unregistered") == true)
            error = await eventStoreError { try await store.append([], to: "s", metadata: meta("c2")) }
            #expect(error?.code == .invalidAppend)
            #expect(store.nextPosition == 0)
            try store.close()
            error = await eventStoreError { try await store.append([Noted(text: "late")], to: "s", metadata: meta("c3")) }
            #expect(error?.code == .closed)
        }
    }

    /// An event whose encoding fails, or whose type is not registered, is
    /// refused with its stream and type named, whichever path encodes it: a
    /// single append, one command of a list, a long list's second half (two
    /// cores) or a long append's second half; nothing is written.
    @Test func anEventThatCannotBeEncodedIsNamedWithItsStream() async throws {
        struct Unencodable: Event {
            static let eventType = "Unencodable"
            var x: Int
            struct Refused: Error {}
            func encode(to encoder: any Encoder) throws { throw Refused() }
        }
        struct Unregistered: Event { static let eventType = "Unregistered"; var x: Int }
        var types = testTypes()
        types.register(Unencodable.self)
        let store = EventStore.inMemory(types: types)
        try await store.append([Counted(n: 0)], to: "before", metadata: meta("c0"))
        func expectRefused(_ error: EventStoreError?, _ code: EventStoreError.Code, stream: String, type: String) {
            #expect(error?.code == code)
            #expect(error?.stream == stream)
            #expect(error?.message.contains("stream \(stream)") == true, "\(error?.message ?? "no error")")
            #expect(error?.message.contains(type) == true, "\(error?.message ?? "no error")")
        }
        for (bad, code) in [(Unencodable(x: 1) as any Event, EventStoreError.Code.invalidAppend), (Unregistered(x: 1), .unregisteredEventType)] {
            let type = Swift.type(of: bad).eventType
            // A single append, the bad event after a good one in the same write.
            expectRefused(await eventStoreError { try await store.append([Counted(n: 1), bad], to: "single", metadata: meta("s-\(type)")) },
                          code, stream: "single", type: type)
            // One command of a short list.
            let short = [CommandWrites([StreamWrite(stream: "a", events: [Counted(n: 1)])], metadata: meta("a-\(type)")),
                         CommandWrites([StreamWrite(stream: "b", events: [Counted(n: 2)]), StreamWrite(stream: "list-\(type)", events: [bad])],
                                       metadata: meta("b-\(type)"))]
            expectRefused(await eventStoreError { _ = try await store.append(commands: short) }, code, stream: "list-\(type)", type: type)
            // The second half of a list of 1,000 commands (prepared on two cores where there are two).
            let long = (0..<1_000).map { i in
                CommandWrites([StreamWrite(stream: i == 900 ? "half-\(type)" : "c-\(i)", events: [i == 900 ? bad : Counted(n: i)])],
                              metadata: meta("l-\(type)-\(i)"))
            }
            expectRefused(await eventStoreError { _ = try await store.append(commands: long) }, code, stream: "half-\(type)", type: type)
            // The second half of one append of 600 events (encoded on two cores).
            var events: [any Event] = (0..<600).map { Counted(n: $0) }
            events[550] = bad
            expectRefused(await eventStoreError { try await store.append(events, to: "big-\(type)", metadata: meta("big-\(type)")) },
                          code, stream: "big-\(type)", type: type)
        }
        #expect(store.nextPosition == 1)
        #expect(["single", "a", "b", "c-0", "big-Unencodable"].allSatisfy { store.version(of: $0) == nil })
        #expect(!store.knowsCommand("l-Unencodable-0") && !store.knowsCommand("a-Unregistered"))
    }

    @Test func eventsOfTypesThisBuildDoesNotKnowAreKeptRaw() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try EventStore.open(at: dir, types: testTypes())
        try await writer.append([Counted(n: 5), Noted(text: "n")], to: "s", metadata: meta("c1"))
        try writer.close()
        var fewer = EventTypes()
        fewer.register(Noted.self)
        let reader = try EventStore.open(at: dir, types: fewer)
        let events = try reader.readStream("s")
        #expect(events.map(\.eventType) == ["Counted", "Noted"])
        #expect(try events[0].decoded(with: reader.types) == nil)
        #expect(try BinaryDecoder().decode(Counted.self, from: events[0].payload).n == 5)
        #expect(try events[1].decoded(as: Noted.self, with: reader.types)?.text == "n")
        try reader.close()
    }

    /// Large appends encode their payloads on two threads: the halves must join in order.
    @Test(arguments: Backend.allCases)
    func aLargeAppendKeepsEveryEventInOrder(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let writes = (0..<7).map { s in
                StreamWrite(stream: "s-\(s)", events: (0..<150).map { i -> any Event in
                    i % 2 == 0 ? Counted(n: s * 1000 + i) : Noted(text: "第\(s)-\(i)")
                })
            }
            let result = try await store.append(writes, metadata: meta("big"))
            #expect(result.positions == 0..<1050)
            #expect(result.streamVersions == Dictionary(uniqueKeysWithValues: (0..<7).map { ("s-\($0)", UInt64(149)) }))
            for s in 0..<7 {
                let events = try store.readStream("s-\(s)")
                #expect(events.map(\.position) == Array(UInt64(s * 150)..<UInt64(s * 150 + 150)))
                for (i, event) in events.enumerated() {
                    if i % 2 == 0 {
                        #expect(try event.decoded(as: Counted.self, with: store.types)?.n == s * 1000 + i)
                    } else {
                        #expect(try event.decoded(as: Noted.self, with: store.types)?.text == "第\(s)-\(i)")
                    }
                }
            }
            // An unregistered event in the second half: the append is refused whole.
            struct Unregistered: Event { static let eventType = "Unregistered"; var x: Int }
            var events: [any Event] = (0..<600).map { Counted(n: $0) }
            events[550] = Unregistered(x: 1)
            let error = await eventStoreError { try await store.append(events, to: "late", metadata: meta("big-2")) }
            #expect(error?.code == .unregisteredEventType)
            #expect(store.nextPosition == 1050)
            #expect(store.version(of: "late") == nil)
        }
    }
}
