import Foundation
import Testing

@testable import SilverLedger

/// A `Counted` written by its own binary form, to check the fast paths against `Codable`.
struct FastCounted: Event, BinaryCodable, Equatable {
    static let eventType = "FastCounted"
    var n: Int
    var label: String
    var tags: [String]
    var note: String?

    init(n: Int, label: String, tags: [String] = [], note: String? = nil) {
        self.n = n
        self.label = label
        self.tags = tags
        self.note = note
    }

    init(reading reader: inout BinaryReader) throws {
        n = try reader.read()
        label = try reader.read()
        tags = try reader.read()
        note = try reader.read()
    }

    func write(to writer: inout BinaryWriter) {
        writer.write(n)
        writer.write(label)
        writer.write(tags)
        writer.write(note)
    }
}

/// Every leaf type the binary form knows, in one value.
private enum Shade: String, Codable, BinaryCodable { case light, 深 }

private struct AllLeaves: Codable, BinaryCodable, Equatable {
    var s: String
    var i: Int
    var i32: Int32
    var i64: Int64
    var u16: UInt16
    var u32: UInt32
    var u64: UInt64
    var b: Bool
    var d: Double
    var day: LedgerDate
    var shade: Shade
    var maybe: Int?
    var none: String?
    var list: [LedgerDate]
    var nested: [[String]]

    init(reading r: inout BinaryReader) throws {
        s = try r.read(); i = try r.read(); i32 = try r.read(); i64 = try r.read(); u16 = try r.read(); u32 = try r.read()
        u64 = try r.read(); b = try r.read(); d = try r.read(); day = try r.read(); shade = try r.read(); maybe = try r.read()
        none = try r.read(); list = try r.read(); nested = try r.read()
    }

    func write(to w: inout BinaryWriter) {
        w.write(s); w.write(i); w.write(i32); w.write(i64); w.write(u16); w.write(u32)
        w.write(u64); w.write(b); w.write(d); w.write(day); w.write(shade); w.write(maybe)
        w.write(none); w.write(list); w.write(nested)
    }

    init() {
        s = "光荣在党50年 ✓"; i = -1_234_567; i32 = .min; i64 = .max; u16 = 65_535; u32 = 4_000_000_000; u64 = .max
        b = true; d = -0.125; day = LedgerDate("1974-07-01")!; shade = .深; maybe = 0; none = nil
        list = [LedgerDate("2024-02-29")!, LedgerDate("1900-01-01")!]; nested = [[], ["a", "支部"]]
    }
}

private func fastTypes() -> EventTypes {
    var types = testTypes()
    types.register(FastCounted.self)
    return types
}

/// Sums `FastCounted` payloads, decoding them.
private struct SumOfFast: Projection {
    static let name = "sum-of-fast"
    var sum = 0
    var labels = 0
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if let f = decoded as? FastCounted {
            sum += f.n
            labels += f.label.count
        }
    }
}

@Suite("The binary form written by hand (BinaryCodable) is the Codable form, byte for byte")
struct BinaryCodableTests {
    @Test func everyLeafTypeWritesTheCodableBytesAndReadsThemBack() throws {
        let value = AllLeaves()
        let codable = try BinaryEncoder().encode(value)
        #expect(BinaryWriter.encode(value) == codable)
        let back = try codable.withUnsafeBytes { try BinaryReader.decode(AllLeaves.self, from: $0) }
        #expect(back == value)
    }

    /// The store reaches an event's own binary form through its conformance
    /// to `Event`: a `BinaryCodable` event writes its bytes after those
    /// already there and says so; an event with `Codable` alone writes nothing.
    @Test func eventsWriteTheirOwnBinaryFormInPlaceOrSayTheyHaveNone() throws {
        let fast = FastCounted(n: -7, label: "光荣在党50年", tags: ["a", "乙"], note: "注")
        var writer = BinaryWriter(bytes: [0xAB])
        #expect(fast._writeOwnBinaryForm(to: &writer))
        #expect(writer.bytes == [0xAB] + (try BinaryEncoder().encode(fast)))
        // Through an existential, as the store holds events.
        let events: [any Event] = [fast, Noted(text: "记")]
        writer = BinaryWriter()
        #expect(events[0]._writeOwnBinaryForm(to: &writer) && writer.bytes == BinaryWriter.encode(fast))
        writer = BinaryWriter(bytes: [1, 2])
        #expect(!events[1]._writeOwnBinaryForm(to: &writer))
        #expect(writer.bytes == [1, 2])
    }

    /// An event whose `Event` conformance does not write its binary form (as
    /// when `BinaryCodable` is declared in another module): the store finds its
    /// `write(to:)` by a cast and uses it; an event with `Codable` alone goes
    /// through `Codable`. `Disowned`'s `Codable` form differs from its binary
    /// one here only to tell the two paths apart.
    @Test func anEventThatDoesNotWriteItselfThroughEventIsWrittenByItsCastWriter() async throws {
        struct Disowned: Event, BinaryCodable {
            static let eventType = "Disowned"
            var n: Int
            init(n: Int) { self.n = n }
            init(reading reader: inout BinaryReader) throws { n = try reader.read() }
            func write(to writer: inout BinaryWriter) { writer.write(n) }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.singleValueContainer()
                try c.encode(n + 1_000)
            }
            init(from decoder: any Decoder) throws { n = try decoder.singleValueContainer().decode(Int.self) - 1_000 }
            func _writeOwnBinaryForm(to writer: inout BinaryWriter) -> Bool { false }
        }
        var types = testTypes()
        types.register(Disowned.self)
        let store = EventStore.inMemory(types: types)
        defer { try? store.close() }
        _ = try await store.append(commands: [
            CommandWrites([StreamWrite(stream: "d", events: [Disowned(n: 5), Noted(text: "记"), Disowned(n: 6)])], metadata: meta("c1")),
        ])
        var payloads: [[UInt8]] = []
        try store.forEachEvent { payloads.append(Array($0.payload)) }
        #expect(payloads == [BinaryWriter.encode(Disowned(n: 5)), try BinaryEncoder().encode(Noted(text: "记")), BinaryWriter.encode(Disowned(n: 6))])
        #expect(payloads[0] != (try BinaryEncoder().encode(Disowned(n: 5))))
    }

    @Test func badInputIsAnErrorAtEveryTruncationAndForEachBrokenRule() throws {
        let bytes = BinaryWriter.encode(AllLeaves())
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try Array(bytes[0..<length]).withUnsafeBytes { try BinaryReader.decode(AllLeaves.self, from: $0) } }
        }
        func message(_ bytes: [UInt8], as type: (some BinaryCodable).Type) -> String {
            do {
                _ = try bytes.withUnsafeBytes { try BinaryReader.decode(type, from: $0) }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(bytes + [0], as: AllLeaves.self).contains("1 bytes left over"))
        #expect(message([2], as: Bool.self).contains("boolean byte is 2"))
        #expect(message([7], as: Optional<Int>.self).contains("presence byte is 7"))
        #expect(message([2, 0xC3, 0x28], as: String.self).contains("not valid UTF-8"))
        #expect(message([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], as: UInt64.self).contains("overflows"))
        #expect(message([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], as: UInt64.self).contains("overflows"))
        #expect(message([200, 1], as: [Int].self).contains("count 200 exceeds the bytes left"))
        #expect(message([0xFE, 0xFF, 0x07], as: UInt16.self).contains("does not fit UInt16"))
        #expect(message([4] + Array("dark".utf8), as: Shade.self).contains("\"dark\" is not a Shade"))
        // A string whose valid UTF-8 includes U+FFFD itself is kept as it is.
        let replacement = Array("a\u{FFFD}b".utf8)
        #expect(try ([UInt8(replacement.count)] + replacement).withUnsafeBytes { try BinaryReader.decode(String.self, from: $0) } == "a\u{FFFD}b")
    }

    @Test func randomInputGivesTheSameAnswerAsTheCodableReader() throws {
        var random = SystemRandomNumberGenerator()
        let valid = BinaryWriter.encode(AllLeaves())
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            let fast = try? bytes.withUnsafeBytes { try BinaryReader.decode(AllLeaves.self, from: $0) }
            let codable = try? BinaryDecoder().decode(AllLeaves.self, from: bytes)
            #expect(fast == codable, "the two readers disagree on \(bytes)")
        }
    }

    @Test(arguments: Backend.allCases)
    func storedEventsUseTheFastFormAndReadBackThroughBoth(_ backend: Backend) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-fast-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        let store = backend == .disk ? try EventStore.open(at: dir, types: fastTypes(), options: options) : EventStore.inMemory(types: fastTypes())
        defer { try? store.close() }
        let event = FastCounted(n: 42, label: "走访", tags: ["春节", "慰问"], note: "需要预约专家门诊")
        try await store.append([event], to: "cadre-1", metadata: meta("c1"))
        let read = try #require(store.readStream("cadre-1").first)
        #expect(read.payload == (try BinaryEncoder().encode(event)))
        #expect(try read.decoded(as: FastCounted.self, with: store.types) == event)
        // The JSON form goes through Codable and agrees.
        var json = ""
        try store.exportJSONLines { json += $0 }
        #expect(json.contains(#""label":"走访""#))
    }
}

@Suite("Appending several commands as one batch")
struct BatchAppendTests {
    @Test(arguments: Backend.allCases)
    func eachCommandGetsItsOwnResultAndIsKnownByItsID(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "before")], to: "cadre-1", metadata: meta("c0"))
            let results = try await store.append(commands: [
                CommandWrites([StreamWrite(stream: "cadre-1", expectedVersion: .exact(0), events: [Noted(text: "a"), Noted(text: "b")])], metadata: meta("c1")),
                CommandWrites([StreamWrite(stream: "cadre-2", expectedVersion: .noStream, events: [Counted(n: 1)]),
                               StreamWrite(stream: "cadre-1", expectedVersion: .exact(2), events: [Noted(text: "c")])], metadata: meta("c2", day: "2024-07-02")),
                CommandWrites([StreamWrite(stream: "cadre-2", expectedVersion: .exact(0), events: [Counted(n: 2)])], metadata: meta("c3")),
            ])
            #expect(results.map(\.positions) == [1..<3, 3..<5, 5..<6])
            #expect(results.map(\.streamVersions) == [["cadre-1": 2], ["cadre-2": 0, "cadre-1": 3], ["cadre-2": 1]])
            #expect(Set(results.map(\.recordedAt)).count == 1)
            #expect(store.version(of: "cadre-1") == 3)
            #expect(try store.readStream("cadre-2").map(\.metadata.commandID) == ["c2", "c3"])
            #expect(try store.readStream("cadre-1").map(\.metadata.businessDate) == ["2024-07-01", "2024-07-01", "2024-07-01", "2024-07-02"].map { LedgerDate($0)! })
            for (id, result) in zip(["c1", "c2", "c3"], results) {
                #expect(store.knowsCommand(id))
                #expect(try await store.result(ofCommand: id) == result)
                // Sent again alone: its first result, nothing written.
                #expect(try await store.append([Noted(text: "again")], to: "cadre-9", metadata: meta(id)) == result)
            }
            #expect(store.nextPosition == 6)
        }
    }

    /// Types with their own binary form and types through `Codable`, mixed in
    /// one batch (each type's writer is found once per append): every payload
    /// is its own type's bytes; a type the store does not know, late in a
    /// batch, refuses the whole batch and writes nothing.
    @Test(arguments: Backend.allCases)
    func binaryAndCodableTypesMixedInABatchEachWriteTheirOwnBytes(_ backend: Backend) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-mixed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = backend == .disk ? try EventStore.open(at: dir, types: fastTypes()) : EventStore.inMemory(types: fastTypes())
        defer { try? store.close() }
        var commands: [CommandWrites] = []
        var expected: [[UInt8]] = []
        func bytes(_ event: some Event) throws -> any Event {
            expected.append(try BinaryEncoder().encode(event))
            return event
        }
        for i in 0..<60 {
            let event: any Event = switch i % 3 {
            case 0: try bytes(FastCounted(n: i, label: "第\(i)"))
            case 1: try bytes(Noted(text: "记\(i)"))
            default: try bytes(Counted(n: i))
            }
            commands.append(CommandWrites([StreamWrite(stream: "s-\(i % 7)", events: [event])], metadata: meta("m\(i)")))
        }
        _ = try await store.append(commands: commands)
        var read = 0
        try store.forEachEvent { event in
            #expect(event.payload == expected[Int(event.position)], "position \(event.position)")
            read += 1
        }
        #expect(read == 60)
        // An unregistered type as the last event of a batch: nothing of the batch is written.
        struct Unregistered: Event { static let eventType = "Unregistered"; var x: Int }
        let refused = [CommandWrites([StreamWrite(stream: "s-1", events: [FastCounted(n: 1, label: "x")])], metadata: meta("r1")),
                       CommandWrites([StreamWrite(stream: "s-2", events: [Unregistered(x: 1)])], metadata: meta("r2"))]
        let error = await eventStoreError { _ = try await store.append(commands: refused) }
        #expect(error?.code == .unregisteredEventType)
        #expect(store.nextPosition == 60 && !store.knowsCommand("r1"))
    }

    /// A command of 700 events (encoded on two cores) between small ones: every
    /// payload lands at its place, after the small commands' before it.
    @Test(arguments: Backend.allCases)
    func aLargeCommandAmongSmallOnesKeepsItsEventsInPlace(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let large = (0..<700).map { Noted(text: "记录\($0)") }
            let results = try await store.append(commands: [
                CommandWrites([StreamWrite(stream: "cadre-1", events: [Counted(n: -1)])], metadata: meta("small-1")),
                CommandWrites([StreamWrite(stream: "cadre-2", events: Array(large[..<400])),
                               StreamWrite(stream: "cadre-3", events: Array(large[400...]))], metadata: meta("large")),
                CommandWrites([StreamWrite(stream: "cadre-1", events: [Counted(n: -2)])], metadata: meta("small-2")),
            ])
            #expect(results.map(\.positions) == [0..<1, 1..<701, 701..<702])
            #expect(results[1].streamVersions == ["cadre-2": 399, "cadre-3": 299])
            var texts: [String] = []
            var counts: [Int] = []
            try store.forEachEvent { event in
                switch try event.decoded(with: store.types) {
                case let noted as Noted: texts.append(noted.text)
                case let counted as Counted: counts.append(counted.n)
                default: Issue.record("event \(event.position) is neither")
                }
            }
            #expect(texts == large.map(\.text) && counts == [-1, -2])
            #expect(try store.readStream("cadre-3").map(\.streamVersion) == Array(0..<300))
        }
    }

    @Test(arguments: Backend.allCases)
    func oneBrokenExpectationWritesNothingAndNamesItsCommand(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "before")], to: "cadre-1", metadata: meta("c0"))
            let error = await eventStoreError {
                try await store.append(commands: [
                    CommandWrites([StreamWrite(stream: "cadre-2", expectedVersion: .noStream, events: [Counted(n: 1)])], metadata: meta("c1")),
                    CommandWrites([StreamWrite(stream: "cadre-1", expectedVersion: .exact(5), events: [Noted(text: "x")])], metadata: meta("c2")),
                ])
            }
            #expect(error?.code == .wrongExpectedVersion)
            #expect(error?.message.contains("command c2") == true)
            #expect(error?.stream == "cadre-1")
            // Nothing of the batch: not the first command either.
            #expect(store.nextPosition == 1)
            #expect(store.version(of: "cadre-2") == nil)
            #expect(!store.knowsCommand("c1") && !store.knowsCommand("c2"))
            // The store goes on as before, and the same commands can be sent again.
            let results = try await store.append(commands: [
                CommandWrites([StreamWrite(stream: "cadre-2", expectedVersion: .noStream, events: [Counted(n: 1)])], metadata: meta("c1")),
                CommandWrites([StreamWrite(stream: "cadre-1", expectedVersion: .exact(0), events: [Noted(text: "x")])], metadata: meta("c2")),
            ])
            #expect(results.map(\.positions) == [1..<2, 2..<3])
        }
    }

    @Test(arguments: Backend.allCases)
    func repeatedOrKnownIDsAndEmptyBatchesAreRefusedWithNothingWritten(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "before")], to: "cadre-1", metadata: meta("c0"))
            let twice = await eventStoreError {
                try await store.append(commands: [
                    CommandWrites([StreamWrite(stream: "cadre-2", events: [Counted(n: 1)])], metadata: meta("c1")),
                    CommandWrites([StreamWrite(stream: "cadre-3", events: [Counted(n: 2)])], metadata: meta("c1")),
                ])
            }
            #expect(twice?.code == .invalidAppend)
            #expect(twice?.message.contains("c1 appears twice") == true)
            let known = await eventStoreError {
                try await store.append(commands: [
                    CommandWrites([StreamWrite(stream: "cadre-2", events: [Counted(n: 1)])], metadata: meta("c1")),
                    CommandWrites([StreamWrite(stream: "cadre-3", events: [Counted(n: 2)])], metadata: meta("c0")),
                ])
            }
            #expect(known?.code == .invalidAppend)
            #expect(known?.message.contains("c0 is already in the store") == true)
            #expect(await eventStoreError { try await store.append(commands: []) }?.code == .invalidAppend)
            let empty = await eventStoreError {
                try await store.append(commands: [CommandWrites([StreamWrite(stream: "cadre-2", events: [])], metadata: meta("c5"))])
            }
            #expect(empty?.code == .invalidAppend)
            #expect(store.nextPosition == 1)
            #expect(!store.knowsCommand("c1") && !store.knowsCommand("c5"))
            #expect(store.version(of: "cadre-2") == nil && store.version(of: "cadre-3") == nil)
        }
    }

    /// 1,200 small commands (mixed types, several streams, expectations on
    /// them, one with two writes): made on two cores, each half's payloads and
    /// envelopes, they give the same results and the same records, byte for
    /// byte, as made on one.
    @Test(arguments: Backend.allCases)
    func aLongListMadeOnTwoCoresWritesWhatOneCoreWrites(_ backend: Backend) async throws {
        func commands() -> [CommandWrites] {
            (0..<1_200).map { i in
                let event: any Event = i % 2 == 0 ? Counted(n: i) : Noted(text: "第\(i)条")
                var writes = [StreamWrite(stream: "cadre-\(i % 37)", expectedVersion: i < 37 ? .noStream : .exact(UInt64(i / 37 - 1)), events: [event])]
                if i == 700 { writes.append(StreamWrite(stream: "branch-1", expectedVersion: .noStream, events: [Noted(text: "支部"), Counted(n: -1)])) }
                var metadata = meta("cmd-\(i)", day: i < 600 ? "2024-07-01" : "2024-07-02")
                if i % 5 == 0 { metadata.correlationID = "corr-\(i / 5)" }
                return CommandWrites(writes, metadata: metadata)
            }
        }
        func records(_ store: EventStore) throws -> [String] {
            var lines: [String] = []
            try store.forEachEvent { e in
                lines.append("\(e.position) \(e.streamID) \(e.streamVersion) \(e.eventType) \(e.metadata.commandID) \(e.metadata.businessDate) \(e.metadata.correlationID ?? "-") \(e.payload)")
            }
            return lines
        }
        let (oneCore, oneCoreRecords) = try await backend.withStore { store, _ in
            (try await store.enqueue(commands: commands(), twoCores: false).results(), try records(store))
        }
        try await backend.withStore { store, _ in
            let results = try await store.enqueue(commands: commands(), twoCores: true).results()
            #expect(results.map(\.positions) == oneCore.map(\.positions))
            #expect(results.map(\.streamVersions) == oneCore.map(\.streamVersions))
            #expect(results[700].streamVersions == ["cadre-34": 18, "branch-1": 1])
            #expect(try records(store) == oneCoreRecords)
            #expect(oneCoreRecords.count == 1_202)
            #expect(try await store.result(ofCommand: "cmd-1199") == results[1_199])
            #expect(store.version(of: "cadre-36") == 31)
        }
    }

    /// A fault in the second half of a long list made on two cores (a repeated
    /// id, a type the store does not know, an expectation that does not hold)
    /// refuses the whole list: nothing is written, no id is kept.
    @Test(arguments: Backend.allCases)
    func aFaultInTheSecondHalfOfALongListWritesNothing(_ backend: Backend) async throws {
        struct Unregistered: Event { static let eventType = "Unregistered"; var x: Int }
        func list(_ fault: (Int) -> CommandWrites?) -> [CommandWrites] {
            (0..<1_000).map { i in
                fault(i) ?? CommandWrites([StreamWrite(stream: "cadre-\(i % 11)", events: [Counted(n: i)])], metadata: meta("c\(i)"))
            }
        }
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "before")], to: "cadre-1", metadata: meta("c-before"))
            let twice = await eventStoreError {
                _ = try await store.append(commands: list { $0 == 900 ? CommandWrites([StreamWrite(stream: "x", events: [Counted(n: 0)])], metadata: meta("c3")) : nil })
            }
            #expect(twice?.code == .invalidAppend)
            #expect(twice?.message.contains("c3 appears twice") == true)
            let unknown = await eventStoreError {
                _ = try await store.append(commands: list { $0 == 950 ? CommandWrites([StreamWrite(stream: "y", events: [Unregistered(x: 1)])], metadata: meta("c950")) : nil })
            }
            #expect(unknown?.code == .unregisteredEventType)
            #expect(unknown?.stream == "y")
            let expectation = await eventStoreError {
                _ = try await store.append(commands: list { $0 == 990 ? CommandWrites([StreamWrite(stream: "cadre-1", expectedVersion: .exact(0), events: [Counted(n: 0)])], metadata: meta("c990")) : nil })
            }
            #expect(expectation?.code == .wrongExpectedVersion)
            #expect(expectation?.message.contains("command c990") == true)
            #expect(store.nextPosition == 1)
            #expect(!store.knowsCommand("c0") && !store.knowsCommand("c999") && !store.knowsCommand("c990"))
            #expect(store.version(of: "cadre-1") == 0 && store.version(of: "cadre-2") == nil)
            // The same list without its fault goes in whole.
            let results = try await store.append(commands: list { _ in nil })
            #expect(results.last?.positions == 1_000..<1_001)
        }
    }

    /// Two lists queued before either is durable: each one's commands are
    /// pending together, then written; each is known with its own result, and
    /// sent again gets it without writing.
    @Test(arguments: Backend.allCases)
    func overlappingListsEachKeepTheirCommands(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let first = try store.enqueue(commands: (0..<300).map { i in
                CommandWrites([StreamWrite(stream: "cadre-\(i % 13)", events: [Counted(n: i)])], metadata: meta("a\(i)"))
            })
            let second = try store.enqueue(commands: (0..<200).map { i in
                CommandWrites([StreamWrite(stream: "branch-\(i % 3)", events: [Noted(text: "\(i)")])], metadata: meta("b\(i)"))
            })
            #expect(store.knowsCommand("a299") && store.knowsCommand("b0"))
            let (a, b) = (try await first.results(), try await second.results())
            #expect(a[299].positions == 299..<300 && b[0].positions == 300..<301 && b[199].positions == 499..<500)
            for (id, result) in [("a0", a[0]), ("a150", a[150]), ("b7", b[7]), ("b199", b[199])] {
                #expect(try await store.result(ofCommand: id) == result)
                #expect(try await store.append([Noted(text: "again")], to: "other", metadata: meta(id)) == result)
            }
            #expect(store.nextPosition == 500)
        }
    }

    @Test func batchedCommandsAreKnownAfterReopen() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-batch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var store = try EventStore.open(at: dir, types: testTypes())
        let results = try await store.append(commands: (0..<50).map { i in
            CommandWrites([StreamWrite(stream: "cadre-\(i % 7)", events: [Counted(n: i)])], metadata: meta("c\(i)"))
        })
        try store.close()
        store = try EventStore.open(at: dir, types: testTypes())
        defer { try? store.close() }
        for i in [0, 17, 49] {
            #expect(try await store.result(ofCommand: "c\(i)") == results[i])
        }
        #expect(store.version(of: "cadre-0") == 7)
    }
}

@Suite("Rebuilds fed by a second thread give the same state")
struct PipelinedRebuildTests {
    @Test func aLongRebuildEqualsTheEventByEventFold() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-pipe-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        let store = try EventStore.open(at: dir, types: fastTypes(), options: options)
        defer { try? store.close() }
        let count = Int(EventStore.pipelineThreshold) * 3 + 123
        var expected = 0, labels = 0
        for start in stride(from: 0, to: count, by: 1_000) {
            let events = (start..<min(count, start + 1_000)).map { FastCounted(n: $0 % 97, label: "第\($0)次") }
            for e in events { expected += e.n; labels += e.label.count }
            try await store.append(events, to: "s-\(start)", metadata: meta("c\(start)"))
        }
        let projected = try store.project(SumOfFast.self)
        #expect(projected.eventsApplied == UInt64(count))
        #expect(projected.position == UInt64(count))
        #expect(projected.projection.sum == expected)
        #expect(projected.projection.labels == labels)
        // As of a point inside the run, and from a point inside it on.
        let part = try store.project(SumOfFast.self, asOf: .position(UInt64(count - 7)))
        #expect(part.eventsApplied == UInt64(count - 7))
    }

    @Test func aPayloadThatDoesNotDecodeStopsTheRebuildNamingItsPosition() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-pipe-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        var store = try EventStore.open(at: dir, types: fastTypes(), options: options)
        try await store.append((0..<6_000).map { FastCounted(n: $0, label: "x") }, to: "s-0", metadata: meta("c0"))
        // An event stored as "FastCounted" whose payload is a `Noted` (a string only).
        struct Impostor: Event { static let eventType = "FastCounted"; var text: String }
        var impostorTypes = testTypes()
        impostorTypes.register(Impostor.self)
        try store.close()
        store = try EventStore.open(at: dir, types: impostorTypes, options: options)
        try await store.append([Impostor(text: "not a FastCounted")], to: "s-1", metadata: meta("c1"))
        try await store.append((0..<100).map { Noted(text: "y\($0)") }, to: "s-2", metadata: meta("c2"))
        try store.close()
        store = try EventStore.open(at: dir, types: fastTypes(), options: options)
        defer { try? store.close() }
        let error = await eventStoreError { _ = try store.project(SumOfFast.self) }
        #expect(error?.code == .corruptedEvent)
        #expect(error?.message.contains("position 6000") == true)
        #expect(error?.message.contains("FastCounted") == true)
    }
}
