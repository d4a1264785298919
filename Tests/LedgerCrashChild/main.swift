// silverledger-ledger-crash-child: the domain workload of the crash campaign
// (Tests/SilverLedgerDomainTests/LedgerCrashTests.swift).
//
//   silverledger-ledger-crash-child DIR BATCH
//
// Opens the event store in DIR (group commit, 64 KiB segments so that they
// roll) and, at once:
// - generates a small province through a `Ledger` (the `ProvinceGenerator`,
//   seed 7, BATCH commands per append; after a restart it sends every command
//   again from the first, and the ledger answers those it already has with
//   their first results);
// - appends from three tasks to streams `tick-0`…`tick-2`, each event
//   expecting the version before it (`CrashTick`, its version as payload);
// - saves a snapshot of the domain state every three generated months.
// It prints "ready <pid> <nextPosition>" after the open, "ack <position>" (the
// log's committed end) after each month and each tick, and "done" at the end.

import Foundation
import SilverLedger
import SilverLedgerDomain

/// An event of the ticking tasks; the test target has the same type.
struct CrashTick: Event, Equatable {
    static let eventType = "CrashTick"
    var task: Int
    var number: UInt64
}

/// Writes a line to stdout at once (one write(2)), so that the parent has every line made before the kill.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("silverledger-ledger-crash-child: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let batch = Int(arguments[2]), batch >= 1 else {
    FileHandle.standardError.write(Data("usage: silverledger-ledger-crash-child DIR BATCH\n".utf8))
    exit(2)
}

var types = Ledger.eventTypes
types.register(CrashTick.self)
var options = EventStoreOptions()
options.durability = .groupCommit
options.segmentSize = 64 << 10
let store: EventStore
do { store = try EventStore.open(at: arguments[1], types: types, options: options) } catch { fail("open: \(error)") }
say("ready \(getpid()) \(store.nextPosition)")

var configuration = ProvinceGenerator.Configuration(cadres: 120, branches: 12, years: 3)
configuration.seed = 7
configuration.batchSize = batch
let end = configuration.endDate
let ledger: Ledger
do { ledger = try Ledger(store: store, today: { end }) } catch { fail("ledger: \(error)") }

await withTaskGroup(of: Void.self) { group in
    for task in 0..<3 {
        group.addTask {
            let stream = "tick-\(task)"
            var next = store.version(of: stream).map { $0 + 1 } ?? 0
            while true {
                let metadata = EventMetadata(businessDate: LedgerDate(year: 2016, month: 1, day: 1)!, recordedBy: "ticker",
                                             commandID: "tick-\(task)-\(next)")
                do {
                    try await store.append([CrashTick(task: task, number: next)], to: stream,
                                           expectedVersion: next == 0 ? .noStream : .exact(next - 1), metadata: metadata)
                } catch {
                    fail("tick \(task) \(next): \(error)")
                }
                say("ack \(store.nextPosition)")
                next += 1
                // Paced, so that a long soak's store stays small enough to check after every kill.
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
    group.addTask {
        do {
            _ = try await ProvinceGenerator(configuration).run(into: ledger) { months, _ in
                say("ack \(store.nextPosition)")
                if months % 3 == 0 {
                    do { try store.saveSnapshot(try store.project(DomainState.self)) } catch { fail("snapshot: \(error)") }
                }
            }
        } catch {
            fail("generator: \(error)")
        }
        say("done")
        // The ticks go on until the kill.
    }
}
