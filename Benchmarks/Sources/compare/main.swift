// SilverLedger against SQLite (GRDB and the raw C API) and the machine's
// limits, on the same generated domain events, in one run:
//
//     swift run -c release compare [--quick|--full] [--runs N] [--dir DIR] [--only PARTS]
//
// 1. batched durable appends (1,000 events per batch/transaction, one sync each);
// 2. single-event durable appends from 64 concurrent writers (group commit);
// 3. full replay into `DomainState`; 4. one stream's history;
// 5. bytes on disk per event; 6. cold open in a fresh process;
// 7. the limits: liblz4, CRC32C, SHA-256 alone, write + fdatasync rates.
//
// Every figure is the median of --runs measured rounds after one warm-up
// round; the sides of a measure run back to back in each round, and a ratio
// is the ratio of the two medians. The last line is
// `ratios: append=A replay=R size=S` (SilverLedger's advantage over GRDB).
// docs/PERFORMANCE.md, "Against SQLite (GRDB) and the machine's limits".
import Foundation
import GRDB
import GRDBSQLite
import SilverLedger
@_spi(Benchmarks) import SilverLedgerStorage
import SilverLedgerDomain

let usage = "usage: compare [--quick|--full] [--runs N] [--dir DIR] [--only limits,append,group,replay,stream,size,cold]\n"
       + "       compare --profile append|group|replay|stream [--runs N] [--dir DIR]   (SilverLedger's side alone, for perf)\n"
       + "       compare --cold-open silverledger|silverledger-snapshot|grdb|grdb-2-threads PATH\n"
       + "       compare --save-snapshot PATH [TAIL]   (DomainState as of TAIL events before the end, default 10000)\n"

var arguments = CommandLine.arguments.dropFirst()
if arguments.first == "--cold-open" {
    guard arguments.count == 3, let mode = ColdOpen.Mode(rawValue: arguments[arguments.startIndex + 1]) else {
        FileHandle.standardError.write(Data(usage.utf8))
        exit(64)
    }
    try ColdOpen.child(mode, path: arguments[arguments.startIndex + 2])
    exit(0)
}
if arguments.first == "--save-snapshot" {
    // For `--cold-open silverledger-snapshot PATH` on a store this runner did not make (e.g. domain-throughput's `--keep`).
    guard (2...3).contains(arguments.count), let tail = arguments.count == 3 ? UInt64(arguments.last!) : 10_000 else {
        FileHandle.standardError.write(Data(usage.utf8))
        exit(64)
    }
    try ColdOpen.saveSnapshot(path: arguments[arguments.startIndex + 1], tail: tail)
    exit(0)
}

var full = false
var runsArgument: Int?
var directoryArgument: String?
var onlyArgument: Set<String>?
var profilePart: String?
while let a = arguments.popFirst() {
    switch a {
    case "--quick": full = false
    case "--full": full = true
    case "--runs": runsArgument = Int(arguments.popFirst() ?? "")
    case "--dir": directoryArgument = arguments.popFirst()
    case "--profile": profilePart = arguments.popFirst()
    case "--only": onlyArgument = Set((arguments.popFirst() ?? "").split(separator: ",").map(String.init))
    default:
        FileHandle.standardError.write(Data(usage.utf8))
        exit(64)
    }
}
let only = onlyArgument
let sizes = full ? Sizes.full : Sizes.quick
let runs = max(1, runsArgument ?? sizes.runs)
let directory = directoryArgument
    ?? (full ? "/tmp/silverledger-compare-full" : FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-compare-\(getpid())").path)
let keepData = full || directoryArgument != nil
let scratch = directory + "/scratch"
func wanted(_ part: String) -> Bool { only?.contains(part) ?? true }

checkDomainJSONDecoders()
let started = ContinuousClock.now
/// A progress line on standard error, with the seconds since the start.
func progress(_ text: String) { note(String(format: "compare [%6.1f s] ", seconds(ContinuousClock.now - started)) + text) }
let data = try await {
    var data = Dataset(directory: directory)
    try await data.prepare(sizes)
    return data
}()
try? FileManager.default.removeItem(atPath: scratch)
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer {
    try? FileManager.default.removeItem(atPath: scratch)
    if !keepData { try? FileManager.default.removeItem(atPath: directory) }
}
let events = Int(data.events)
let writers = 64

print("compare: \(full ? "full" : "quick") mode, \(events) domain events (ProvinceGenerator seed 2024: \(sizes.cadres) cadres, \(sizes.branches) branches, \(sizes.years) years), \(runs) runs after a warm-up, medians; \(ProcessInfo.processInfo.activeProcessorCount) CPUs; data in \(directory)")
if let g = data.generationSeconds { print(String(format: "generated through the Ledger in this run: %.1f s; copied into SQLite in %.1f s", g, data.sqliteBuildSeconds ?? 0)) }

// `--profile append|group|replay|stream`: SilverLedger's side alone, --runs times, for `perf record`.
if let part = profilePart {
    switch part {
    case "append":
        let sources = try data.sources(min(sizes.appendEvents, events), json: false)
        let commands = commandBatches(sources).map(\.commands)
        for _ in 0..<runs {
            let t = try await SilverLedgerMeasures.batchedAppend(commands, events: sources.count, dir: scratch + "/sl-append", callers: 1)
            print("append: \(rate(Double(sources.count) / t))")
        }
    case "group":
        let sources = try data.sources(min(sizes.appendEvents, events), json: false)
        for _ in 0..<runs {
            let r = try await SilverLedgerMeasures.groupCommit(sources, writers: writers, perWriter: sizes.groupCommitPerWriter * 4, dir: scratch + "/sl-group")
            print("group commit: \(rate(r))")
        }
    case "stream":
        let store = try EventStore.open(at: data.storePath, types: Ledger.eventTypes)
        let cadres = (0..<200).map { String(format: "cadre-C%07d", 1 + $0 * 13 % sizes.cadres) }
        for _ in 0..<runs {
            var n = 0
            let t = try timed { for c in cadres { n += try store.readStream(c).count } }
            print("readStream: \(millis(t / Double(n))) per event")
        }
        try store.close()
    case "replay":
        let store = try EventStore.open(at: data.storePath, types: Ledger.eventTypes)
        for _ in 0..<runs {
            let t = try timed { _ = try store.project(DomainState.self, usingSnapshot: false) }
            print("replay: \(rate(Double(events) / t))")
        }
        try store.close()
    default:
        FileHandle.standardError.write(Data(usage.utf8))
        exit(64)
    }
    exit(0)
}

var rows: [TableRow] = []
var targets: [String] = []
var appendRatio: Double?, replayRatio: Double?, sizeRatio: Double?
func verdict(_ met: Bool) -> String { met ? "MET" : "MISSED" }

// The bytes of the store's first batches, for the limits and the disk rates.
let framedInfo = try data.framedBatches(200)
let framed = framedInfo.map(\.framed)
let compressed = framed.map { $0.withUnsafeBytes { StorageKernels.lz4Compress($0) ?? Array($0) } }
let limitRecords = Double(framedInfo.reduce(0) { $0 + $1.records })
let storedPerRecord = Double(compressed.reduce(0) { $0 + $1.count } + compressed.count * 64) / limitRecords   // + a batch header each
var kernelRuns: [KernelTimes] = []
var appendLimitRate: Double?, replayLimitRate: Double?

// MARK: 7. The limits (first: the other measures are held against them)
if wanted("limits") || wanted("append") || wanted("replay") {
    progress("limits…")
    var mib: [Double] = []
    for round in -1..<runs {
        let k = Limits.kernels(framed, compressed)
        let m = try Limits.writeAndSync(size: 1 << 20, count: full ? 128 : 32, path: scratch + "/mib.bin")
        if round >= 0 {
            kernelRuns.append(k)
            mib.append(Double(1 << 20) / m)
        }
    }
    let perBatch = limitRecords / Double(framed.count)
    let rawBytes = Double(framed.reduce(0) { $0 + $1.count }) / Double(framed.count)
    let storedBytes = Double(compressed.reduce(0) { $0 + $1.count }) / Double(framed.count)
    let c = median(kernelRuns.map(\.compress)), d = median(kernelRuns.map(\.decompress))
    let crc = median(kernelRuns.map(\.crc32c)), sha = median(kernelRuns.map(\.sha256))
    rows.append(TableRow(measure: "— limits: \(framed.count) batches spread over the store (\(Int(perBatch)) events, \(grouped(rawBytes)) B framed, \(grouped(storedBytes)) B compressed each) —"))
    rows.append(TableRow(measure: "liblz4 compress alone", rawOrLimit: rate(perBatch / c) + " (" + gbps(rawBytes / c) + ")"))
    rows.append(TableRow(measure: "liblz4 decompress alone", rawOrLimit: rate(perBatch / d) + " (" + gbps(rawBytes / d) + ")"))
    rows.append(TableRow(measure: "CRC32C alone (compressed bytes)", rawOrLimit: rate(perBatch / crc) + " (" + gbps(storedBytes / crc) + ")"))
    rows.append(TableRow(measure: "SHA-256 alone (compressed bytes)", rawOrLimit: rate(perBatch / sha) + " (" + gbps(storedBytes / sha) + ")"))
    rows.append(TableRow(measure: "sequential 1 MiB writes + fdatasync", rawOrLimit: String(format: "%.0f MB/s", median(mib) / 1e6)))
    replayLimitRate = perBatch / (d + crc)
    // The append's limit adds the disk: a batch's stored bytes written + fdatasync (measured with the appends).
    appendLimitRate = perBatch / (c + crc + sha)
}

// The first events, typed and as rows, for the appends.
let sources = wanted("append") || wanted("group") ? try data.sources(min(sizes.appendEvents, events)) : []

// MARK: 1. Batched durable appends
if wanted("append") {
    let batches = commandBatches(sources)
    let commands = batches.map(\.commands)
    let ranges = batches.map(\.range)
    let logBatches = try data.logBatches(sources.count)
    let bulk = SilverLedgerMeasures.oneCommandPerBatch(sources, ranges)
    let n = Double(sources.count)
    let perBatch = n / Double(batches.count)
    let batchBytes = Int(storedPerRecord * perBatch)
    progress("batched durable appends of \(sources.count) events in \(batches.count) batches…")
    // Seconds per run.
    var ours: [Double] = [], ours2: [Double] = [], log: [Double] = [], grdb: [Double] = [], grdbEncode: [Double] = [], raw: [Double] = [], sync: [Double] = []
    var oneCommand: [Double] = []
    for round in -1..<runs {
        let a = try await SilverLedgerMeasures.batchedAppend(commands, events: sources.count, dir: scratch + "/sl-append", callers: 1)
        let g = try SQLiteMeasures.grdbBatchedAppend(sources, ranges, path: scratch + "/grdb-append.sqlite", encode: false)
        let r = try SQLiteMeasures.rawBatchedAppend(sources, ranges, path: scratch + "/raw-append.sqlite")
        let ge = try SQLiteMeasures.grdbBatchedAppend(sources, ranges, path: scratch + "/grdb-append.sqlite", encode: true)
        let a2 = try await SilverLedgerMeasures.batchedAppend(commands, events: sources.count, dir: scratch + "/sl-append", callers: 2)
        let l = try SilverLedgerMeasures.logAppend(logBatches, dir: scratch + "/log-append")
        let o = try await SilverLedgerMeasures.batchedAppend(bulk, events: sources.count, dir: scratch + "/sl-append")
        let s = try Limits.writeAndSync(size: batchBytes, count: batches.count, path: scratch + "/batch.bin")
        if round >= 0 {
            ours.append(a); ours2.append(a2); log.append(l); oneCommand.append(o); grdb.append(g); grdbEncode.append(ge); raw.append(r); sync.append(s)
        }
    }
    let (a, a2, g, ge) = (median(ours), median(ours2), median(grdb), median(grdbEncode))
    appendRatio = g / a
    let limit = appendLimitRate.map { 1 / (1 / $0 + median(sync) / perBatch) }
    rows.append(TableRow(measure: "— 1. batched durable append: \(sources.count) events, \(batches.count) batches of ~\(Int(perBatch)) (one transaction each), one sync each —"))
    rows.append(TableRow(measure: "append, 1 writer (SL: EventStore, typed events; SQL: JSON ready)", ours: rate(n / a), grdb: rate(n / g),
                         rawOrLimit: rate(n / median(raw)), ratio: ratio(g / a)))
    rows.append(TableRow(measure: "append, 1 writer, GRDB JSON-encoding typed events", ours: rate(n / a), grdb: rate(n / ge), ratio: ratio(ge / a)))
    rows.append(TableRow(measure: "append, SL 2 writers in flight (EventStore)", ours: rate(n / a2), grdb: rate(n / g), ratio: ratio(g / a2)))
    rows.append(TableRow(measure: "append, SL EventStore, each batch one command (append(_ writes:))", ours: rate(n / median(oneCommand)), grdb: rate(n / g),
                         ratio: ratio(g / median(oneCommand))))
    rows.append(TableRow(measure: "append, SL storage Log alone (envelopes ready)", ours: rate(n / median(log)), grdb: rate(n / g), ratio: ratio(g / median(log))))
    rows.append(TableRow(measure: "limit: write+fdatasync of a batch's \(grouped(Double(batchBytes))) B", rawOrLimit: rate(perBatch / median(sync))))
    if let limit {
        rows.append(TableRow(measure: "limit: LZ4+CRC32C+SHA-256+write+fdatasync in series; SL EventStore / Log", ours: rate(n / a) + " / " + rate(n / median(log)),
                             rawOrLimit: rate(limit), ratio: ratio(n / a / limit) + " / " + ratio(n / median(log) / limit)))
        targets.append("append within 2× of its limit (≥ \(rate(limit / 2))): EventStore \(rate(n / a)) with 1 writer, \(rate(n / a2)) with 2 — \(verdict(n / a >= limit / 2)); the storage Log alone \(rate(n / median(log))) — \(verdict(n / median(log) >= limit / 2))")
    }
    targets.append("batched durable append ≥ 10× GRDB: \(ratio(g / a)) (GRDB given the JSON ready; \(ratio(ge / a)) if GRDB encodes it) — \(verdict(g / a >= 10))")
    targets.append("batched durable append ≥ 1,000,000 events/s: \(rate(n / a)) with 1 writer, \(rate(n / a2)) with 2 — \(verdict(n / a >= 1_000_000))")
}

// MARK: 2. 64 concurrent writers
if wanted("group") {
    progress("64 concurrent writers…")
    // Events per second.
    var sl: [Double] = [], g: [Double] = [], appending: [Double] = [], inPlace: [Double] = []
    for round in -1..<runs {
        let a = try await SilverLedgerMeasures.groupCommit(sources, writers: writers, perWriter: sizes.groupCommitPerWriter, dir: scratch + "/sl-group")
        let b = try await SQLiteMeasures.grdbConcurrent(sources, writers: writers, perWriter: sizes.grdbConcurrentPerWriter, path: scratch + "/grdb-group.sqlite")
        let f = 1 / (try Limits.writeAndSync(size: 4096, count: sizes.fsyncLoop, path: scratch + "/fsync.bin"))
        let fi = 1 / (try Limits.writeAndSync(size: 4096, count: sizes.fsyncLoop, path: scratch + "/fsync.bin", inPlace: true))
        if round >= 0 { sl.append(a); g.append(b); appending.append(f); inPlace.append(fi) }
    }
    let (a, b, f, fi) = (median(sl), median(g), median(appending), median(inPlace))
    rows.append(TableRow(measure: "— 2. durable single-event appends, \(writers) concurrent writers (SL \(writers * sizes.groupCommitPerWriter) events, GRDB \(writers * sizes.grdbConcurrentPerWriter)) —"))
    rows.append(TableRow(measure: "64 writers (SL groupCommit; GRDB DatabasePool), against GRDB", ours: rate(a), grdb: rate(b), ratio: ratio(a / b)))
    rows.append(TableRow(measure: "limit: 4 KiB write + fdatasync loop, appending", ours: rate(a), rawOrLimit: grouped(f) + " /s", ratio: ratio(a / f)))
    rows.append(TableRow(measure: "limit: 4 KiB write + fdatasync loop, in place", ours: rate(a), rawOrLimit: grouped(fi) + " /s", ratio: ratio(a / fi)))
    targets.append("group commit, 64 writers ≥ 10× one fsync per event: \(rate(a)) = \(ratio(a / f)) the appending 4 KiB loop (\(verdict(a >= 10 * f))), \(ratio(a / fi)) the in-place loop (\(verdict(a >= 10 * fi)))")
    targets.append("(not an issue target) group commit against its own bound, every sync carrying all 64 writers' events (\(rate(64 * max(f, fi)))): \(ratio(a / (64 * max(f, fi))))")
}

// MARK: 3. Replay, 4. stream reads, 5. bytes
if wanted("replay") || wanted("stream") || wanted("size") {
    let store = try EventStore.open(at: data.storePath, types: Ledger.eventTypes)
    if wanted("replay") {
        progress("replays of \(events) events…")
        // Seconds per run.
        var sl: [Double] = [], g: [Double] = [], g2: [Double] = [], r: [Double] = [], envelopes: [Double] = [], decode: [Double] = []
        // Full mode: no warm-up round (the stores were just read whole) and GRDB on one thread only
        // (the raw C API and GRDB on two threads, measured in quick mode, replay at GRDB's pace): a GRDB replay of 10M events takes minutes.
        let variants = !full
        for round in (full ? 0 : -1)..<runs {
            var ours = DomainState(), theirs = DomainState(), theirs2 = DomainState(), raw = DomainState()
            var counts = (0, events, events)
            let a = try timed {
                let p = try store.project(DomainState.self, usingSnapshot: false)
                precondition(p.eventsApplied == UInt64(events))
                ours = p.projection
            }
            let b = try timed { (theirs, counts.0) = try SQLiteMeasures.grdbReplay(path: data.sqlitePath) }
            let b2 = variants ? try timed { (theirs2, counts.1) = try SQLiteMeasures.grdbReplayTwoThreads(path: data.sqlitePath) } : .nan
            let c = variants ? try timed { (raw, counts.2) = try SQLiteMeasures.rawReplay(path: data.sqlitePath) } : .nan
            precondition(counts == (events, events, events), "replayed \(counts) of \(events)")
            if round == (full ? 0 : -1) {
                precondition(ours == theirs && (!variants || (ours == theirs2 && ours == raw)), "the replays do not agree on DomainState")
            }
            ours = DomainState(); theirs = DomainState(); theirs2 = DomainState(); raw = DomainState()
            var counted = (0, 0)
            let e = try timed { counted.0 = try store.project(EnvelopesOnly.self, usingSnapshot: false).projection.count }
            let d = try timed { counted.1 = try store.project(DecodeOnly.self, usingSnapshot: false).projection.count }
            precondition(counted == (events, events), "counted \(counted) of \(events)")
            if round >= 0 { sl.append(a); g.append(b); g2.append(b2); r.append(c); envelopes.append(e); decode.append(d) }
        }
        let n = Double(events)
        let (a, b, b2) = (median(sl), median(g), variants ? median(g2) : .infinity)
        replayRatio = min(b, b2) / a
        rows.append(TableRow(measure: "— 3. full replay into DomainState: \(events) events (both sides: RecordedEvent + typed event + DomainState.apply) —"))
        rows.append(TableRow(measure: "replay (SL: project; SQL: cursor + JSONDecoder), 1 thread", ours: rate(n / a), grdb: rate(n / b),
                             rawOrLimit: variants ? rate(n / median(r)) : "not run", ratio: ratio(b / a)))
        if variants {
            rows.append(TableRow(measure: "replay, GRDB reading + decoding on a 2nd thread (as SL)", ours: rate(n / a), grdb: rate(n / b2), ratio: ratio(b2 / a)))
        }
        rows.append(TableRow(measure: "replay, SL envelopes only (no payload, no apply)", ours: rate(n / median(envelopes))))
        rows.append(TableRow(measure: "replay, SL payloads decoded, not applied", ours: rate(n / median(decode))))
        if let limit = replayLimitRate {
            rows.append(TableRow(measure: "limit: LZ4 decompress + CRC32C, in series", ours: rate(n / a), rawOrLimit: rate(limit), ratio: ratio(n / a / limit)))
            targets.append("replay within 2× of its limit (≥ \(rate(limit / 2))): \(rate(n / a)); envelopes only \(rate(n / median(envelopes))) — \(verdict(n / a >= limit / 2))")
        }
        targets.append("replay ≥ 10× GRDB read-and-decode: \(ratio(replayRatio!))" + (variants ? " against GRDB's faster variant (1 thread \(ratio(b / a)), 2 threads \(ratio(b2 / a)))" : " (GRDB on 1 thread)") + " — \(verdict(replayRatio! >= 10))")
    }

    // MARK: 4. One stream's history
    if wanted("stream") {
        let probe = try RawSQLite(path: data.sqlitePath, pragmas: [], readOnly: true)
        let busiest = try probe.text("SELECT stream FROM events GROUP BY stream ORDER BY count(*) DESC LIMIT 1")
        let cadreCounts = try probe.prepare("SELECT stream, count(*) FROM events WHERE stream LIKE 'cadre-%' GROUP BY stream ORDER BY count(*), stream")
        var cadres: [String] = []
        while sqlite3_step(cadreCounts.handle) == SQLITE_ROW { cadres.append(cadreCounts.text(0)!) }
        cadreCounts.finalize()
        let streams = [("the busiest stream", busiest), ("the median cadre stream", cadres[cadres.count / 2])]
        let queue = try DatabaseQueue(path: data.sqlitePath)
        let select = try probe.prepare(SQLiteSchema.selectStream)
        progress("stream reads…")
        rows.append(TableRow(measure: "— 4. one stream's history from the \(events)-event store (readStream / SELECT … WHERE stream=? ORDER BY version) —"))
        for (label, stream) in streams {
            var sl: [Double] = [], g: [Double] = [], r: [Double] = []
            var count = 0
            for round in -1..<runs {
                for _ in 0..<20 {
                    var x = 0, y = 0, z = 0
                    let a = try timed { x = try store.readStream(stream).count }
                    let b = try timed { y = try SQLiteMeasures.grdbReadStream(queue, stream).count }
                    let c = timed { z = SQLiteMeasures.rawReadStream(select, stream).count }
                    precondition(x == y && y == z && x > 0, "stream \(stream): \(x), \(y), \(z) events")
                    count = x
                    if round >= 0 { sl.append(a); g.append(b); r.append(c) }
                }
            }
            rows.append(TableRow(measure: "\(label) (\(stream), \(count) events)", ours: millis(median(sl)), grdb: millis(median(g)),
                                 rawOrLimit: millis(median(r)), ratio: ratio(median(g) / median(sl))))
        }
        select.finalize()
        probe.close()
        try queue.close()
    }

    // MARK: 5. Bytes on disk
    if wanted("size") {
        let ours = directoryBytes(data.storePath) { !$0.hasSuffix(".snap") }
        let index = fileBytes(data.storePath + "/snapshots/store.index")
        let theirs = try SQLiteMeasures.bytesAfterCheckpoint(path: data.sqlitePath)
        sizeRatio = Double(theirs) / Double(ours)
        rows.append(TableRow(measure: "— 5. bytes on disk: every file (SL: segments, their indexes, store.index; not projection snapshots; SQLite: db + wal + shm after wal_checkpoint(TRUNCATE)) —"))
        rows.append(TableRow(measure: "bytes per event", ours: String(format: "%.1f B", Double(ours) / Double(events)),
                             grdb: String(format: "%.1f B", Double(theirs) / Double(events)), ratio: ratio(sizeRatio!)))
        rows.append(TableRow(measure: "total", ours: String(format: "%.1f MB", Double(ours) / 1e6), grdb: String(format: "%.1f MB", Double(theirs) / 1e6),
                             rawOrLimit: String(format: "SL store.index %.1f MB", Double(index) / 1e6)))
        targets.append("≥ 5× fewer bytes than GRDB: \(ratio(sizeRatio!)) — \(verdict(sizeRatio! >= 5))")
    }
    try store.close()
}

// MARK: 6. Cold open in a fresh process
if wanted("cold") {
    let tail = min(10_000, events / 10)
    try ColdOpen.saveSnapshot(path: data.storePath, tail: UInt64(tail))
    progress("cold opens…")
    var results: [ColdOpen.Mode: [ColdOpen.Result]] = [:]
    // No warm-up round: the page cache already holds both stores (it cannot be dropped here).
    // GRDB on one thread only (two threads gain nothing in the replay measure; `--cold-open grdb-2-threads PATH` runs it).
    let modes = ColdOpen.Mode.allCases.filter { $0 != .grdbTwoThreads }
    for _ in 0..<runs {
        for mode in modes {
            let r = try ColdOpen.run(mode, path: mode == .grdb || mode == .grdbTwoThreads ? data.sqlitePath : data.storePath)
            precondition(r.events == (mode == .silverledgerSnapshot ? tail : events), "\(mode): \(r.events) events")
            results[mode, default: []].append(r)
        }
    }
    func t(_ m: ColdOpen.Mode) -> Double { median(results[m]!.map(\.seconds)) }
    func peak(_ m: ColdOpen.Mode) -> String { String(format: "peak %.0f MB", median(results[m]!.map { Double($0.peakBytes) }) / 1e6) }
    let grdbBest = t(.grdb)
    rows.append(TableRow(measure: "— 6. cold open in a fresh process until DomainState is ready (page cache not dropped) —"))
    rows.append(TableRow(measure: "open + full replay", ours: millis(t(.silverledger)), grdb: millis(t(.grdb)), ratio: ratio(grdbBest / t(.silverledger))))
    rows.append(TableRow(measure: "open + snapshot + \(tail)-event tail (SL only)", ours: millis(t(.silverledgerSnapshot)), grdb: millis(grdbBest),
                         ratio: ratio(grdbBest / t(.silverledgerSnapshot))))
    rows.append(TableRow(measure: "peak memory of the child (VmHWM)", ours: peak(.silverledger), grdb: peak(.grdb), rawOrLimit: "SL snapshot: " + peak(.silverledgerSnapshot)))
}

print("")
printTable(rows)
print("")
print("targets:")
for t in targets { print("  " + t) }
print(String(format: "total time: %.0f s (load average at the end: %@)", seconds(ContinuousClock.now - started),
             (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"))
func two(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "n/a" }
print("ratios: append=\(two(appendRatio)) replay=\(two(replayRatio)) size=\(two(sizeRatio))")
