import Foundation
import SilverLedger
import SilverLedgerStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerDomain

/// The event of the child's ticking tasks (Tests/LedgerCrashChild has the same type).
struct CrashTick: Event, Equatable {
    static let eventType = "CrashTick"
    var task: Int
    var number: UInt64
}

/// The crash campaign with the domain workload: a child process generates a
/// province through a `Ledger` (one command per append, or 50), while three
/// tasks append with expected versions through group commit and snapshots of
/// the domain state are saved; it is killed with SIGKILL at a random moment,
/// again and again, on the same store. After each kill: the store opens and
/// verifies; it holds every event acknowledged; its generated commands are the
/// generator's first K, each with exactly the events a clean generation gives
/// it (no partial command, none lost, none twice); each tick stream is whole;
/// the state rebuilt from the snapshot equals a clean replay, and equals the
/// clean generation's state after the same K commands.
@Suite("Crashes with the domain workload: a ledger, ticking writers and snapshots, killed at random", .timeLimit(.minutes(120)))
struct LedgerCrashTests {
    /// The child's province: seed 7, 120 cadres, 12 branches, 3 years (as in Tests/LedgerCrashChild).
    static let configuration: ProvinceGenerator.Configuration = {
        var c = ProvinceGenerator.Configuration(cadres: 120, branches: 12, years: 3)
        c.seed = 7
        c.batchSize = 50
        return c
    }()

    static let types: EventTypes = {
        var types = Ledger.eventTypes
        types.register(CrashTick.self)
        return types
    }()

    /// What a clean generation writes: each command's events, and the position after each command.
    struct Reference {
        var events: [String: [RecordedEvent]] = [:]
        var endOfCommand: [Int: UInt64] = [:]
        var store: EventStore
    }

    static func reference() async throws -> Reference {
        let store = EventStore.inMemory(types: types)
        let end = configuration.endDate
        _ = try await ProvinceGenerator(configuration).run(into: try Ledger(store: store, today: { end }))
        var reference = Reference(store: store)
        try store.forEachEvent { event in
            reference.events[event.metadata.commandID, default: []].append(event)
            reference.endOfCommand[number(event.metadata.commandID)!] = event.position + 1
        }
        return reference
    }

    /// N of a generated command id `gen-7-N`.
    static func number(_ commandID: String) -> Int? {
        commandID.hasPrefix("gen-7-") ? Int(commandID.dropFirst(6)) : nil
    }

    static func childPath() throws -> String {
        var directory = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("silverledger-ledger-crash-child").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw DomainError(.store, english: "silverledger-ledger-crash-child not found; run `swift build --build-tests` first", chinese: "未找到崩溃测试子进程")
    }

    /// Runs the child on `dir` for `milliseconds`, then SIGKILLs it; its stdout and stderr lines.
    static func runAndKill(_ dir: String, batch: Int, milliseconds: Int) throws -> (out: [String], err: String) {
        let outPath = dir + ".out", errPath = dir + ".err"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil) else {
            throw DomainError(.store, english: "cannot create \(outPath) for the child's output", chinese: "无法创建子进程输出文件")
        }
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try childPath())
        child.arguments = [dir, "\(batch)"]
        child.standardOutput = FileHandle(forWritingAtPath: outPath)
        child.standardError = FileHandle(forWritingAtPath: errPath)
        child.standardInput = FileHandle.nullDevice
        try child.run()
        usleep(useconds_t(milliseconds * 1000))
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (out.split(separator: "\n").map(String.init), err)
    }

    @Test func killedLedgersLoseNoAcknowledgedEventAndRebuildACleanState() async throws {
        let reference = try await Self.reference()
        let total = reference.endOfCommand.count
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-ledger-crash-\(UUID())").path
        // A new store every `roundsPerStore` kills: each round checks the whole store, and a soak's store
        // would otherwise grow (the ticks go on after the generation ends) until rounds take seconds each.
        let roundsPerStore = 100
        var dir = base
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        // CI kills 20 times; scripts/crash-soak.sh sets SILVERLEDGER_LEDGER_CRASH_ROUNDS for a long soak.
        let rounds = ProcessInfo.processInfo.environment["SILVERLEDGER_LEDGER_CRASH_ROUNDS"].flatMap(Int.init) ?? 20
        var acknowledged: UInt64 = 0, acknowledgedInEarlierStores: UInt64 = 0
        var killsMidGeneration = 0, snapshotsUsed = 0, killsAfterAcks = 0
        for round in 0..<rounds {
            if round % roundsPerStore == 0 {
                try? FileManager.default.removeItem(atPath: dir)
                dir = "\(base)-\(round / roundsPerStore)"
                acknowledgedInEarlierStores += acknowledged
                acknowledged = 0
            }
            let batch = round % 2 == 0 ? 50 : 1
            let delay = Int(random.next() % 1_500) + 100
            let (out, err) = try Self.runAndKill(dir, batch: batch, milliseconds: delay)
            let place = "round \(round) (seed \(seed), batch \(batch), killed after \(delay) ms)"
            #expect(!err.contains("silverledger-ledger-crash-child:"), "\(place): \(err)")
            if let ready = out.first(where: { $0.hasPrefix("ready ") }), let start = UInt64(ready.split(separator: " ")[2]) {
                #expect(start >= acknowledged, "\(place): the child opened at \(start), \(acknowledged) were acknowledged")
            }
            let acks = out.compactMap { $0.hasPrefix("ack ") ? UInt64($0.dropFirst(4)) : nil }
            if let last = acks.max() {
                acknowledged = max(acknowledged, last)
                killsAfterAcks += 1
            }
            if !out.contains("done") { killsMidGeneration += 1 }

            let store = try EventStore.open(at: dir, types: Self.types)
            #expect(store.nextPosition >= acknowledged, "\(place): \(store.nextPosition) events, \(acknowledged) acknowledged")
            // The generated commands are the first K, each with the events of a clean generation.
            var commands: [Int] = []
            var byCommand: [String: [RecordedEvent]] = [:]
            try store.forEachEvent { event in
                guard let n = Self.number(event.metadata.commandID) else { return }
                if commands.last != n { commands.append(n) }
                byCommand[event.metadata.commandID, default: []].append(event)
            }
            #expect(commands == Array(0..<commands.count).map { $0 + 1 }, "\(place): the generated commands are 1…K in order, each once")
            var mismatched = 0
            for (id, events) in byCommand {
                let expected = reference.events[id] ?? []
                let same = events.count == expected.count && zip(events, expected).allSatisfy {
                    $0.streamID == $1.streamID && $0.streamVersion == $1.streamVersion && $0.eventType == $1.eventType
                        && $0.schemaVersion == $1.schemaVersion && $0.payload == $1.payload && $0.metadata == $1.metadata
                }
                if !same { mismatched += 1 }
            }
            #expect(mismatched == 0, "\(place): \(mismatched) commands differ from a clean generation")
            // Each tick stream holds 0…n, in order.
            for task in 0..<3 {
                let ticks = try store.readStream("tick-\(task)")
                let numbers = try ticks.map { try #require(try $0.decoded(as: CrashTick.self, with: store.types)).number }
                #expect(numbers == ticks.map(\.streamVersion) && numbers == Array(0..<UInt64(ticks.count)), "\(place): tick-\(task)")
            }
            // The state from the snapshot equals a clean replay, and the clean generation's after K commands.
            let fromSnapshot = try store.project(DomainState.self)
            if fromSnapshot.usedSnapshot { snapshotsUsed += 1 }
            var replayed = try store.project(DomainState.self, usingSnapshot: false).projection
            #expect(fromSnapshot.projection == replayed, "\(place): the state rebuilt from the snapshot is not a clean replay's")
            if let k = commands.last {
                var expected = try reference.store.project(DomainState.self, asOf: .position(reference.endOfCommand[k]!)).projection
                replayed.otherEventsPerYear = [:]   // the ticks
                expected.otherEventsPerYear = [:]
                #expect(replayed == expected, "\(place): the state after \(k) commands is not a clean generation's")
            }
            try store.close()
            let report = try Log.verify(at: dir)
            #expect(report.isIntact, "\(place): \(report.problems)")
            if (round + 1) % 100 == 0 {
                print("ledger crash campaign: \(round + 1) kills so far, \(acknowledgedInEarlierStores + acknowledged) events acknowledged, every one present")
            }
        }
        #expect(killsAfterAcks >= rounds / 2, "the child acknowledged events in only \(killsAfterAcks) of \(rounds) rounds")
        #expect(killsMidGeneration >= rounds / 4, "only \(killsMidGeneration) of \(rounds) kills came before the generation's end")
        print("ledger crash campaign (seed \(seed)): \(rounds) kills on \((rounds + roundsPerStore - 1) / roundsPerStore) stores, \(killsMidGeneration) during the generation of \(total) commands, \(acknowledgedInEarlierStores + acknowledged) events acknowledged, every one present; the snapshot used in \(snapshotsUsed) rebuilds, each equal to a clean replay")
    }
}
