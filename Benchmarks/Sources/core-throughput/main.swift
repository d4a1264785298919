// The event-sourcing core's throughput (issue 3), medians of --runs runs:
//
// - append: `EventStore.append` of batches of 1,000 events (one command, 1,000
//   streams out of 100,000 cadres'), one fdatasync each, by 1 caller and by 2
//   concurrent callers;
// - replay: a projection counting events by type, over that store;
// - stream read: `readStream` of one 100-event stream in a store of
//   --stream-events events written as commands of 4 events each (the shape the
//   domain writes: one command, one stream), opened cold;
// - cold open: `EventStore.open` and a projection rebuilt with its snapshot
//   (taken --tail events before the end) against a full replay.
//
// `swift run -c release core-throughput [--quick] [--events N] [--stream-events N] [--runs N] [--only append|replay|stream|stream-replay|open]`
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

struct CountByType: Projection, Codable {
    static let name = "count-by-type"
    static let decodesPayloads = false
    var counts: [String: Int] = [:]
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) { counts[event.eventType, default: 0] += 1 }
}

/// Visits per cadre: decodes every payload.
struct VisitsPerCadre: Projection, Codable {
    static let name = "visits-per-cadre"
    var visits: [String: Int] = [:]
    var studyHours = 0.0
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        switch decoded {
        case let v as VisitLogged: visits[v.cadre, default: 0] += 1
        case let s as StudyRecorded: studyHours += s.hours
        default: break
        }
    }
}

var events = 1_000_000
var streamEvents = 10_000_000
var tail = 10_000
var runs = 3
var only: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--events": events = Int(args.popFirst() ?? "") ?? events
    case "--stream-events": streamEvents = Int(args.popFirst() ?? "") ?? streamEvents
    case "--tail": tail = Int(args.popFirst() ?? "") ?? tail
    case "--runs": runs = Int(args.popFirst() ?? "") ?? runs
    case "--only": only = args.popFirst()
    case "--quick":
        events = 300_000
        streamEvents = 1_000_000
    default:
        FileHandle.standardError.write(Data("usage: core-throughput [--quick] [--events N] [--stream-events N] [--tail N] [--runs N] [--only append|replay|stream|stream-replay|open]\n".utf8))
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
func percentile(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }
func freshDirectory(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-core-bench-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: dir)
    return dir
}

/// Shared by the benchmark's tasks (top-level variables belong to the main actor).
enum Bench {
    static let types: EventTypes = {
        var types = EventTypes()
        types.register(VisitLogged.self)
        types.register(StudyRecorded.self)
        return types
    }()
    static let date = LedgerDate("2024-07-01")!
    static let perBatch = 1000
}

func event(_ n: Int) -> any Event {
    n % 4 == 0
        ? StudyRecorded(cadre: "cadre-\(n % 100_000)", topic: "党规党纪", hours: 2.5)
        : VisitLogged(cadre: "cadre-\(n % 100_000)", kind: "节日慰问", channel: "inPerson", visitors: ["staff-\(n % 97)"], notes: "走访 \(n)")
}

/// The batches of the append benchmark, built before the clock starts.
func appendBatches(_ count: Int) -> [[StreamWrite]] {
    (0..<(count / Bench.perBatch)).map { (b: Int) -> [StreamWrite] in
        (0..<Bench.perBatch).map { (i: Int) -> StreamWrite in
            let n = b * Bench.perBatch + i
            let stream = "cadre-\(n % 100_000)"
            return StreamWrite(stream: stream, events: [event(n)])
        }
    }
}

func appendRun(callers: Int, batches: [[StreamWrite]], run: Int) async throws -> Double {
    let dir = freshDirectory("append-\(callers)-\(run)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = EventStoreOptions()
    options.durability = .fsyncPerAppend
    let store = try EventStore.open(at: dir, types: Bench.types, options: options)
    defer { try? store.close() }
    let t = try await seconds {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for b in stride(from: caller, to: batches.count, by: callers) {
                        try await store.append(batches[b], metadata: EventMetadata(businessDate: Bench.date, recordedBy: "bench", commandID: "cmd-\(b)"))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    precondition(store.nextPosition == UInt64(batches.count * Bench.perBatch))
    return Double(batches.count * Bench.perBatch) / t
}

/// The machine's speed in this run, for ratios: Foundation's JSONDecoder on
/// small events (the yardstick: about 220,000 events/s on this machine).
func jsonDecoderBaseline() throws -> Double {
    let encoded = try (0..<20_000).map { try JSONEncoder().encode(event($0 * 4 + 1) as! VisitLogged) }
    var rates: [Double] = []
    for _ in 0..<3 {
        let start = ContinuousClock.now
        let decoder = JSONDecoder()
        for data in encoded { _ = try decoder.decode(VisitLogged.self, from: data) }
        let d = ContinuousClock.now - start
        rates.append(Double(encoded.count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
    }
    return median(rates)
}

if only == nil || only == "append" {
    let baseline = try jsonDecoderBaseline()
    print(String(format: "baseline: Foundation JSONDecoder, one small event at a time: %.0f events/s", baseline))
    let batches = appendBatches(events)
    var one: [Double] = [], two: [Double] = [], replay: [Double] = [], replayDecoding: [Double] = []
    var bulkStreamReads: [(seconds: Double, events: Int)] = []
    for run in 0..<runs {
        one.append(try await appendRun(callers: 1, batches: batches, run: run))
        two.append(try await appendRun(callers: 2, batches: batches, run: run))
        // Replay over a store of the same events, written without syncs to save time.
        let dir = freshDirectory("replay-\(run)")
        var options = EventStoreOptions()
        options.durability = .none
        let store = try EventStore.open(at: dir, types: Bench.types, options: options)
        for (b, writes) in batches.enumerated() {
            try await store.append(writes, metadata: EventMetadata(businessDate: Bench.date, recordedBy: "bench", commandID: "cmd-\(b)"))
        }
        let r = try await seconds {
            let counted = try store.project(CountByType.self, usingSnapshot: false)
            precondition(counted.projection.counts.values.reduce(0, +) == events)
        }
        replay.append(Double(events) / r)
        let d = try await seconds {
            let visits = try store.project(VisitsPerCadre.self, usingSnapshot: false)
            precondition(visits.eventsApplied == UInt64(events))
        }
        replayDecoding.append(Double(events) / d)
        // Streams whose events sit in batches of 1,000: one batch read per event.
        for _ in 0..<50 {
            let cadre = Int.random(in: 0..<100_000)
            var got = 0
            let t = try await seconds { got = try store.readStream("cadre-\(cadre)").count }
            bulkStreamReads.append((t, got))
        }
        try store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
    print("core-throughput: \(events) events, \(runs) runs, medians")
    print(String(format: "append, batches of 1000, fsync each, 1 caller:  %9.0f events/s (target ≥ 500,000)", median(one)))
    print(String(format: "append, batches of 1000, fsync each, 2 callers: %9.0f events/s (target ≥ 500,000)", median(two)))
    print(String(format: "replay into count-by-type (envelopes only):     %9.0f events/s (target ≥ 3,000,000)", median(replay)))
    print(String(format: "replay into visits-per-cadre (payloads decoded): %8.0f events/s", median(replayDecoding)))
    let perEvent = bulkStreamReads.map { $0.seconds / Double(max(1, $0.events)) }
    print(String(format: "readStream of a cadre in that store (%d events, each in its own batch of 1000): median %.1f µs per event",
                 bulkStreamReads.first?.events ?? 0, median(perEvent) * 1e6))
    print(String(format: "ratios to the JSONDecoder baseline: append 1 caller %.2f×, 2 callers %.2f×, replay %.2f×, decoding replay %.2f×",
                 median(one) / baseline, median(two) / baseline, median(replay) / baseline, median(replayDecoding) / baseline))
    let after = try jsonDecoderBaseline()
    print(String(format: "baseline again after the runs: %.0f events/s (the machine's drift during the run)", after))
}

if only == "replay" {
    // Replay alone (also for profiling): one store, --runs replays of it, between two baselines.
    print(String(format: "baseline: Foundation JSONDecoder, one small event at a time: %.0f events/s", try jsonDecoderBaseline()))
    let dir = freshDirectory("replay-only")
    var options = EventStoreOptions()
    options.durability = .none
    let store = try EventStore.open(at: dir, types: Bench.types, options: options)
    for (b, writes) in appendBatches(events).enumerated() {
        try await store.append(writes, metadata: EventMetadata(businessDate: Bench.date, recordedBy: "bench", commandID: "cmd-\(b)"))
    }
    var rates: [Double] = []
    for _ in 0..<runs {
        rates.append(Double(events) / (try await seconds { _ = try store.project(CountByType.self, usingSnapshot: false) }))
    }
    try store.close()
    try? FileManager.default.removeItem(atPath: dir)
    print(String(format: "replay into count-by-type: %.0f events/s (median), best %.0f", median(rates), rates.max()!))
    print(String(format: "baseline again: %.0f events/s", try jsonDecoderBaseline()))
}

/// A store of `count` events in 100-event streams, each written as commands of
/// 4 events to one stream, the streams interleaved so that every stream's
/// events are spread over the whole log.
func buildStreamStore(_ dir: String, count: Int) async throws -> Int {
    var options = EventStoreOptions()
    options.durability = .none
    let store = try EventStore.open(at: dir, types: Bench.types, options: options)
    let streams = count / 100
    var n = 0
    for round in 0..<25 {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<2 {
                group.addTask {
                    for s in stride(from: part, to: streams, by: 2) {
                        let base = (round * streams + s) * 4
                        try await store.append((0..<4).map { event(base + $0) }, to: "cadre-\(s)",
                                               metadata: EventMetadata(businessDate: Bench.date, recordedBy: "bench", commandID: "cmd-\(round)-\(s)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        n += streams * 4
    }
    try store.close()
    return streams
}

if only == "stream-replay" {
    // Replay alone over a store written as commands of 4 events, for profiling.
    let dir = freshDirectory("stream-replay")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try await buildStreamStore(dir, count: streamEvents)
    let store = try EventStore.open(at: dir, types: Bench.types)
    var rates: [Double] = []
    for _ in 0..<runs {
        rates.append(Double(streamEvents) / (try await seconds { _ = try store.project(CountByType.self, usingSnapshot: false) }))
    }
    try store.close()
    print(String(format: "replay into count-by-type, commands of 4 events: %.0f events/s (median), best %.0f", median(rates), rates.max()!))
}

if only == nil || only == "stream" || only == "open" {
    let dir = freshDirectory("streams")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var streams = 0
    let build = try await seconds { streams = try await buildStreamStore(dir, count: streamEvents) }
    print(String(format: "stream store: %d events in %d streams of 100, built in %.1f s", streamEvents, streams, build))

    var opens: [Double] = [], reads: [Double] = [], fullReplays: [Double] = [], snapshotReplays: [Double] = [], tailCounts: [UInt64] = []
    // A snapshot `tail` events before the end.
    do {
        let store = try EventStore.open(at: dir, types: Bench.types)
        let p = try store.project(CountByType.self, asOf: .position(store.nextPosition - UInt64(tail)), usingSnapshot: false)
        try store.saveSnapshot(p)
        try store.close()
    }
    for _ in 0..<runs {
        var store: EventStore!
        opens.append(try await seconds { store = try EventStore.open(at: dir, types: Bench.types) })
        // 200 random streams, each read whole (100 events), on a cold-opened store.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let s = Int.random(in: 0..<streams, using: &rng)
            var got = 0
            reads.append(try await seconds { got = try store.readStream("cadre-\(s)").count })
            precondition(got == 100)
        }
        fullReplays.append(try await seconds { _ = try store.project(CountByType.self, usingSnapshot: false) })
        var tailCount: UInt64 = 0
        snapshotReplays.append(try await seconds {
            let p = try store.project(CountByType.self, usingSnapshot: true)
            precondition(p.usedSnapshot)
            tailCount = p.eventsApplied
        })
        tailCounts.append(tailCount)
        try store.close()
    }
    // Open without the saved indexes: every event is read.
    var scans: [Double] = []
    for _ in 0..<runs {
        try FileManager.default.removeItem(atPath: dir + "/snapshots/store.index")
        var store: EventStore!
        scans.append(try await seconds { store = try EventStore.open(at: dir, types: Bench.types) })
        try store.close()   // saves the indexes again
    }
    print(String(format: "EventStore.open of the %d-event store, saved indexes:           %.0f ms", streamEvents, median(opens) * 1000))
    print(String(format: "EventStore.open of the %d-event store, indexes rebuilt from log: %.0f ms", streamEvents, median(scans) * 1000))
    print(String(format: "readStream, 100 events, random stream, store open: median %.3f ms, p99 %.3f ms (target < 1 ms)", median(reads) * 1000, percentile(reads, 0.99) * 1000))
    print(String(format: "projection rebuild, full replay:           %.1f ms", median(fullReplays) * 1000))
    print(String(format: "projection rebuild, snapshot + %llu-event tail: %.1f ms", tailCounts.first ?? 0, median(snapshotReplays) * 1000))
}
