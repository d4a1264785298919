// The event-sourcing core's throughput (issue 3): appends through the store in
// batches of 1,000 events (one command each), and replay into a projection that
// counts events by type. `swift run -c release core-throughput [--events N] [--runs N]`.
import Foundation
import SilverLedger

struct VisitLogged: Event {
    static let eventType = "VisitLogged"
    var cadre: String
    var kind: String
    var channel: String
    var visitors: [String]
    var notes: String
}

struct StudyRecorded: Event {
    static let eventType = "StudyRecorded"
    var cadre: String
    var topic: String
    var hours: Double
}

struct CountByType: Projection {
    static let name = "count-by-type"
    static let decodesPayloads = false
    var counts: [String: Int] = [:]
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) { counts[event.eventType, default: 0] += 1 }
}

var events = 1_000_000
var runs = 3
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--events": events = Int(args.popFirst() ?? "") ?? events
    case "--runs": runs = Int(args.popFirst() ?? "") ?? runs
    default:
        FileHandle.standardError.write(Data("usage: core-throughput [--events N] [--runs N]\n".utf8))
        exit(64)
    }
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

var types = EventTypes()
types.register(VisitLogged.self)
types.register(StudyRecorded.self)
let perBatch = 1000
var appendRates: [Double] = [], replayRates: [Double] = []
for run in 0..<runs {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-bench-\(getpid())-\(run)").path
    try? FileManager.default.removeItem(atPath: dir)
    var options = EventStoreOptions()
    options.durability = .fsyncPerAppend
    let store = try EventStore.open(at: dir, types: types, options: options)
    let t = try await seconds {
        for b in 0..<(events / perBatch) {
            var writes: [StreamWrite] = []
            for i in 0..<perBatch {
                let n = b * perBatch + i
                let event: any Event = n % 4 == 0
                    ? StudyRecorded(cadre: "cadre-\(n % 300_000)", topic: "党规党纪", hours: 2.5)
                    : VisitLogged(cadre: "cadre-\(n % 300_000)", kind: "节日慰问", channel: "inPerson", visitors: ["staff-\(n % 97)"], notes: "走访 \(n)")
                writes.append(StreamWrite(stream: "cadre-\(n % 300_000)-\(b)", events: [event]))
            }
            try await store.append(writes, metadata: EventMetadata(businessDate: LedgerDate("2024-07-01")!, recordedBy: "bench", commandID: "cmd-\(b)"))
        }
    }
    appendRates.append(Double(events) / t)
    let r = try await seconds {
        let counted = try store.project(CountByType.self, usingSnapshot: false)
        precondition(counted.projection.counts.values.reduce(0, +) == events)
    }
    replayRates.append(Double(events) / r)
    try store.close()
    try? FileManager.default.removeItem(atPath: dir)
}
print("core-throughput: \(events) events, \(runs) runs, median")
print(String(format: "append through the store, batches of 1000, fsync each: %.0f events/s (target ≥ 500,000)", median(appendRates)))
print(String(format: "replay into count-by-type:                            %.0f events/s (target ≥ 3,000,000)", median(replayRates)))
