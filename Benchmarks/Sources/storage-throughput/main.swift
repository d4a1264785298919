// The storage engine against its targets (issue 2) and the machine's limits,
// measured in one run: `swift run -c release storage-throughput [--quick] [--dir DIR]`.
//
// Records are 200 bytes of event-like JSON (ids, dates, a random command id),
// appended in batches of 1,000. Every figure is the median of several runs.
import Foundation
@_spi(Benchmarks) import SilverLedgerStorage

struct Arguments {
    var quick = false
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-bench-\(getpid())").path
    var runs = 5
    /// Run only one part: append, read or open.
    var only: String?

    init() {
        var args = CommandLine.arguments.dropFirst()
        while let arg = args.popFirst() {
            switch arg {
            case "--quick": quick = true
            case "--dir": directory = args.popFirst() ?? directory
            case "--runs": runs = Int(args.popFirst() ?? "") ?? runs
            case "--only": only = args.popFirst()
            default:
                FileHandle.standardError.write(Data("usage: storage-throughput [--quick] [--runs N] [--dir DIR] [--only append|read|open]\n".utf8))
                exit(64)
            }
        }
    }
}

let arguments = Arguments()
let recordSize = 200
let perBatch = 1000
let appendBatches = arguments.quick ? 100 : 300
let readRecords = arguments.quick ? 1_000_000 : 2_000_000
let openRecords = arguments.quick ? 1_000_000 : 10_000_000

/// A deterministic generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let kinds = ["VisitLogged", "StudySessionRecorded", "MeetingRecorded", "MedalAwarded", "SecretaryElected", "NeedFollowedUp"]

/// A 200-byte event-like record.
func record(_ i: Int, _ rng: inout SplitMix) -> [UInt8] {
    let hex = String(rng.next(), radix: 16) + String(rng.next() & 0xFFFF_FFFF, radix: 16)
    var s = #"{"type":"\#(kinds[i % kinds.count])","stream":"cadre-\#(100_000 + Int(rng.next() % 300_000))","version":\#(rng.next() % 40),"#
    s += #""date":"2024-\#(1 + rng.next() % 12)-\#(1 + rng.next() % 28)","op":"staff-\#(rng.next() % 500)","cmd":"\#(hex)","n":""#
    var bytes = Array(s.utf8)
    let filler = Array("走访慰问情况良好".utf8)
    while bytes.count < recordSize - 2 { bytes.append(filler[bytes.count % filler.count]) }
    bytes = Array(bytes.prefix(recordSize - 2))
    bytes.append(contentsOf: Array(#""}"#.utf8))
    return bytes
}

func makeBatches(_ count: Int, seed: UInt64) -> [LogBatch] {
    var rng = SplitMix(state: seed)
    return (0..<count).map { b in
        var batch = LogBatch(byteCapacity: perBatch * (recordSize + 4))
        for r in 0..<perBatch { batch.append(record(b * perBatch + r, &rng)) }
        return batch
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func secondsAsync(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fresh(_ name: String) -> String {
    let path = arguments.directory + "/" + name
    try? FileManager.default.removeItem(atPath: path)
    return path
}

func report(_ name: String, _ value: String, _ note: String = "") {
    func padded(_ s: String, _ width: Int, left: Bool) -> String {
        let pad = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + pad : pad + s
    }
    print(padded(name, 46, left: true) + padded(value, 18, left: false) + "  " + note)
}

try FileManager.default.createDirectory(atPath: arguments.directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: arguments.directory) }
print("storage-throughput: \(arguments.quick ? "quick" : "full") mode, \(arguments.runs) runs each, median; CRC32C hardware: \(StorageKernels.crc32cIsHardwareAccelerated)")

/// The key of the encrypted stores measured beside the others (FORMAT.md §20).
let encryptionKey = try EncryptionKey(bytes: Array(repeating: 0x42, count: 32))

/// A fresh store of `records` records (200 distinct batches repeated), written without syncs.
func buildStore(_ name: String, records: Int, seed: UInt64, key: EncryptionKey? = nil) throws -> String {
    let dir = fresh(name)
    var options = LogOptions(durability: .none)
    options.segmentSize = 64 << 20
    options.encryptionKey = key
    let log = try Log.open(at: dir, options: options)
    let source = makeBatches(200, seed: seed)
    for i in 0..<(records / perBatch) { try log.append(source[i % source.count]) }
    try log.close()
    return dir
}

func wanted(_ part: String) -> Bool { arguments.only == nil || arguments.only == part }

// MARK: 1. Durable append, one fsync per batch
if wanted("append") {

let batches = makeBatches(appendBatches, seed: 1)
var storedPerBatch = 0.0
var syncRates: [Double] = []
var pipelinedRates: [Double] = []
var encryptedRates: [Double] = []
for run in 0..<arguments.runs {
    let dir = fresh("append-\(run)")
    let log = try Log.open(at: dir, options: LogOptions(durability: .fsyncPerAppend))
    let t = try seconds { for batch in batches { try log.append(batch) } }
    syncRates.append(Double(appendBatches * perBatch) / t)
    storedPerBatch = Double(try log.verify().storedBytes) / Double(appendBatches)
    try log.close()

    // Two producers in flight: one compresses its next batch while the writer syncs the other's.
    let dir2 = fresh("append-pipelined-\(run)")
    let log2 = try Log.open(at: dir2, options: LogOptions(durability: .fsyncPerAppend))
    let t2 = try await secondsAsync {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<2 {
                group.addTask {
                    for i in stride(from: producer, to: batches.count, by: 2) { try await log2.append(batches[i]) }
                }
            }
            try await group.waitForAll()
        }
    }
    pipelinedRates.append(Double(appendBatches * perBatch) / t2)
    try log2.close()

    // The same appends to an encrypted store (AES-256-GCM on the writer thread).
    let dir3 = fresh("append-encrypted-\(run)")
    var encrypted = LogOptions(durability: .fsyncPerAppend)
    encrypted.encryptionKey = encryptionKey
    let log3 = try Log.open(at: dir3, options: encrypted)
    let t3 = try seconds { for batch in batches { try log3.append(batch) } }
    encryptedRates.append(Double(appendBatches * perBatch) / t3)
    try log3.close()
    try? FileManager.default.removeItem(atPath: dir3)
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.removeItem(atPath: dir2)
}
report("append, 1 caller, fsync per batch", String(format: "%.0f rec/s", median(syncRates)), "target ≥ 1,000,000")
report("append, 2 callers, fsync per batch", String(format: "%.0f rec/s", median(pipelinedRates)), "target ≥ 1,000,000")
report("append, 1 caller, fsync per batch, encrypted", String(format: "%.0f rec/s", median(encryptedRates)),
       String(format: "%.2fx the store in clear", median(encryptedRates) / median(syncRates)))

// The machine's bound: the same bytes per batch, one pwrite + fdatasync each.
var rawRates: [Double] = []
for _ in 0..<arguments.runs {
    let path = fresh("raw.bin")
    let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
    let chunk = [UInt8](repeating: 0x5A, count: Int(storedPerBatch))
    let t = seconds {
        for i in 0..<appendBatches {
            _ = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(i * chunk.count)) }
            fdatasync(fd)
        }
    }
    close(fd)
    unlink(path)
    rawRates.append(Double(appendBatches) / t)
}
report("limit: pwrite+fdatasync of a batch's bytes", String(format: "%.0f batch/s", median(rawRates)),
       String(format: "= %.0f rec/s; %.0f bytes stored per batch", median(rawRates) * Double(perBatch), storedPerBatch))

}

// MARK: 2. Sequential read with every check
if wanted("read") {

let readDir = try buildStore("read", records: readRecords, seed: 2)
let payloadBytes = Double(readRecords * recordSize)

/// Reads the store at `dir` from the start with every check, once per run:
/// the payload rates (GB/s) and the bytes stored.
func readRuns(_ dir: String, options: LogOptions) throws -> (rates: [Double], stored: Int) {
    var rates: [Double] = []
    var storedBytes = 0
    for _ in 0..<arguments.runs {
        let log = try Log.open(at: dir, options: options)
        var sum = 0
        var stored = 0
        let t = try seconds {
            let cursor = try log.cursor(from: 0, verifyingChain: true)
            while let batch = try cursor.nextBatch() {
                stored += batch.storedBytes
                batch.forEach { _, _, payload in sum &+= payload.count }
            }
        }
        precondition(sum == readRecords * recordSize)
        storedBytes = stored
        rates.append(payloadBytes / t / 1e9)
        try log.close()
    }
    return (rates, storedBytes)
}

let (readRates, storedBytesRead) = try readRuns(readDir, options: LogOptions())
report("read + CRC + chain + decompress", String(format: "%.2f GB/s", median(readRates)),
       String(format: "payload; target ≥ 2; %.2fx compression", payloadBytes / Double(storedBytesRead)))

// The same records in an encrypted store, read with its key.
do {
    let encryptedDir = try buildStore("read-encrypted", records: readRecords, seed: 2, key: encryptionKey)
    var options = LogOptions()
    options.encryptionKey = encryptionKey
    let rates = try readRuns(encryptedDir, options: options).rates
    try? FileManager.default.removeItem(atPath: encryptedDir)
    report("read + CRC + chain + decrypt + decompress", String(format: "%.2f GB/s", median(rates)),
           String(format: "payload, encrypted store; %.2fx the store in clear", median(rates) / median(readRates)))
}

// The limits, on the same batches: each kernel alone.
do {
    var framed: [[UInt8]] = []
    var compressed: [[UInt8]] = []
    let log = try Log.open(at: readDir, options: LogOptions(durability: .none))
    let cursor = try log.cursor(from: 0)
    while let batch = try cursor.nextBatch(), framed.count < 200 {
        var bytes: [UInt8] = []
        batch.forEach { _, _, p in bytes.append(UInt8(truncatingIfNeeded: p.count)); bytes.append(0); bytes.append(contentsOf: p) }
        framed.append(bytes)
        compressed.append(bytes.withUnsafeBytes { StorageKernels.lz4Compress($0)! })
    }
    try log.close()
    let total = Double(framed.reduce(0) { $0 + $1.count })
    let totalCompressed = Double(compressed.reduce(0) { $0 + $1.count })
    var out = [UInt8](repeating: 0, count: framed.map(\.count).max()!)
    var lz4: [Double] = [], crc: [Double] = [], sha: [Double] = [], lz4c: [Double] = []
    var sink: UInt32 = 0
    for _ in 0..<arguments.runs {
        lz4.append(total / seconds {
            for (i, c) in compressed.enumerated() {
                _ = out.withUnsafeMutableBytes { o in
                    c.withUnsafeBytes { StorageKernels.lz4Decompress($0, into: UnsafeMutableRawBufferPointer(rebasing: o[0..<framed[i].count])) }
                }
            }
        } / 1e9)
        lz4c.append(total / seconds { for f in framed { _ = f.withUnsafeBytes { StorageKernels.lz4Compress($0) } } } / 1e9)
        crc.append(totalCompressed / seconds { for c in compressed { sink &+= c.withUnsafeBytes { StorageKernels.crc32c($0) } } } / 1e9)
        sha.append(totalCompressed / seconds { for c in compressed { sink &+= UInt32(c.withUnsafeBytes { StorageKernels.sha256($0) }) } } / 1e9)
    }
    report("limit: liblz4 decompress alone", String(format: "%.2f GB/s", median(lz4)), "of uncompressed output")
    report("limit: liblz4 compress alone", String(format: "%.2f GB/s", median(lz4c)), "of uncompressed input")
    report("limit: CRC32C alone", String(format: "%.2f GB/s", median(crc)), "of stored bytes")
    report("limit: SHA-256 alone", String(format: "%.2f GB/s", median(sha)),
           String(format: "of stored bytes = %.2f GB/s of payload", median(sha) * total / totalCompressed))
    if sink == 42 { print("") }
}
try? FileManager.default.removeItem(atPath: readDir)

}

// MARK: 3. Open of a large store
if wanted("open") {

let openDir = try buildStore("open", records: openRecords, seed: 3)
var openTimes: [Double] = []
var segmentCount = 0
for _ in 0..<max(arguments.runs, 9) {
    var log: Log?
    openTimes.append(try seconds { log = try Log.open(at: openDir) } * 1000)
    precondition(log!.nextPosition == UInt64(openRecords))
    segmentCount = log!.segments.count
    try log!.close()
}
report("open, \(openRecords) records, clean", String(format: "%.2f ms", median(openTimes)), "target < 50 ms; \(segmentCount) segments")

// After a crash that lost the active segment's last checkpoint: the whole last segment is scanned.
var scanTimes: [Double] = []
var scanned: Int64 = 0
for _ in 0..<3 {
    let last = try Log.open(at: openDir).segments.last!
    let idx = String(last.path.dropLast(4)) + ".idx"
    try? FileManager.default.removeItem(atPath: idx)
    var log: Log?
    scanTimes.append(try seconds { log = try Log.open(at: openDir) } * 1000)
    scanned = log!.recoveryReport.bytesScanned
    try log!.close()
}
report("open, active segment's index lost", String(format: "%.2f ms", median(scanTimes)), "scans \(scanned) bytes of the last segment")
try? FileManager.default.removeItem(atPath: openDir)
}
