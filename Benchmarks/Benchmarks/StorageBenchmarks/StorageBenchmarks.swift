import Benchmark
import BenchmarkSupport
import Foundation
@_spi(Benchmarks) import SilverLedgerStorage

// Micro-benchmarks of the storage engine's hot paths (docs/PERFORMANCE.md,
// "Micro-benchmarks and thresholds"). Each benchmark runs in a process of its
// own; what it reads or writes is prepared in its `setup`, outside the clock.
//
// Regressions show against the static thresholds in `Benchmarks/Thresholds/`
// (p90 of each metric, from a real run): `swift package benchmark thresholds
// check`; the tolerances are in Measure.swift. Benchmark names have no
// spaces: the tool cannot find the thresholds of a name with spaces
// (ordo-one/benchmark#301).

private func eventLikeRecords(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        var s = #"{"type":"VisitLogged","stream":"cadre-\#(100_000 + (i &* 7919) % 300_000)","version":\#(i % 40),"op":"staff-\#(i % 500)","n":""#
        while s.utf8.count < 198 { s += "走访慰问" }
        return Array(s.utf8.prefix(198)) + Array(#""}"#.utf8)
    }
}

/// A log in a temporary directory, opened in a benchmark's setup and removed in its teardown.
private final class TemporaryLog: @unchecked Sendable {
    private let name: String
    private(set) var log: Log!
    /// A batch read back from the log, kept for the benchmarks of its view.
    private(set) var batch: BatchView!

    init(_ name: String) { self.name = name }

    var directory: String { FileManager.default.temporaryDirectory.appendingPathComponent("slbench-\(name)-\(getpid())").path }

    /// Opens an empty log and appends `batches` copies of `batch` to it.
    func open(appending batch: LogBatch? = nil, times batches: Int = 0) throws {
        try? FileManager.default.removeItem(atPath: directory)
        log = try Log.open(at: directory, options: LogOptions(durability: .none))
        if let batch { for _ in 0..<batches { try log.append(batch) } }
        if batches > 0 { self.batch = try log.cursor(from: 0).nextBatch() }
    }

    func remove() throws {
        batch = nil
        try log?.close()
        log = nil
        try? FileManager.default.removeItem(atPath: directory)
    }
}

let benchmarks: @Sendable () -> Void = {
    let records = eventLikeRecords(1000)
    let framed = records.reduce(into: [UInt8]()) { $0.append(UInt8($1.count)); $0.append(0); $0.append(contentsOf: $1) }
    let compressed = framed.withUnsafeBytes { StorageKernels.lz4Compress($0)! }
    let batch = LogBatch(records)

    Benchmark("crc32c-200KB", configuration: configuration()) { benchmark in
        benchmark.measure {
            for _ in benchmark.scaledIterations { blackHole(framed.withUnsafeBytes { StorageKernels.crc32c($0) }) }
        }
    }
    Benchmark("lz4-compress-batch-1000x200B", configuration: configuration()) { benchmark in
        benchmark.measure {
            for _ in benchmark.scaledIterations { blackHole(framed.withUnsafeBytes { StorageKernels.lz4Compress($0) }) }
        }
    }
    Benchmark("lz4-decompress-batch-1000x200B", configuration: configuration()) { benchmark in
        var out = [UInt8](repeating: 0, count: framed.count)
        benchmark.measure {
            for _ in benchmark.scaledIterations {
                blackHole(out.withUnsafeMutableBytes { o in compressed.withUnsafeBytes { StorageKernels.lz4Decompress($0, into: o) } })
            }
        }
    }
    Benchmark("sha256-compressed-batch", configuration: configuration()) { benchmark in
        benchmark.measure {
            for _ in benchmark.scaledIterations { blackHole(compressed.withUnsafeBytes { StorageKernels.sha256($0) }) }
        }
    }
    Benchmark("logbatch-build-1000x200B", configuration: configuration()) { benchmark in
        benchmark.measure {
            for _ in benchmark.scaledIterations {
                var batch = LogBatch(byteCapacity: 210_000)
                for r in records { batch.append(r) }
                blackHole(batch.count)
            }
        }
    }

    // Appends to one log for the whole run (a new segment every 64 MiB), as a store does.
    let appendLog = TemporaryLog("append")
    Benchmark("log-append-1000x200B-durability-none",
              configuration: configuration(setup: { try appendLog.open() }, teardown: { try appendLog.remove() })) { benchmark in
        let log = appendLog.log!
        try benchmark.measure {
            for _ in benchmark.scaledIterations { blackHole(try log.append(batch)) }
        }
    }

    // Reads of a log of 100 batches (100,000 records, 20 MB of payload, in the page cache).
    let readLog = TemporaryLog("read")
    let readSetup: Benchmark.BenchmarkSetupHook = { try readLog.open(appending: batch, times: 100) }
    let readTeardown: Benchmark.BenchmarkTeardownHook = { try readLog.remove() }
    // Every check: header and batch checksums, the SHA-256 chain (on a second thread), LZ4, the record framing.
    Benchmark("log-read-100-batches-verify-chain",
              configuration: configuration(maxDuration: .seconds(2), mallocs: .absolute(2), setup: readSetup, teardown: readTeardown)) { benchmark in
        let log = readLog.log!
        try benchmark.measure {
            for _ in benchmark.scaledIterations {
                let cursor = try log.cursor(from: 0, verifyingChain: true)
                var n = 0
                while let b = try cursor.nextBatch() { n += b.count }
                blackHole(n)
            }
        }
    }
    // Batch decoding alone: header and batch checksums, LZ4 and the record framing of each batch (no chain).
    Benchmark("log-read-100-batches",
              configuration: configuration(maxDuration: .seconds(2), setup: readSetup, teardown: readTeardown)) { benchmark in
        let log = readLog.log!
        try benchmark.measure {
            for _ in benchmark.scaledIterations {
                let cursor = try log.cursor(from: 0)
                var n = 0
                while let b = try cursor.nextBatch() { n += b.count }
                blackHole(n)
            }
        }
    }
    // Walking the records of a decoded batch: varint lengths and timestamp deltas.
    Benchmark("batchview-forEach-1000-records",
              configuration: configuration(setup: { try readLog.open(appending: batch, times: 1) }, teardown: readTeardown)) { benchmark in
        let view = readLog.batch!
        benchmark.measure {
            for _ in benchmark.scaledIterations {
                var bytes = 0
                view.forEach { _, _, record in bytes &+= record.count }
                blackHole(bytes)
            }
        }
    }
}
