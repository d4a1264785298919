import Benchmark
import Foundation
@_spi(Benchmarks) import SilverLedgerStorage

// Micro-benchmarks of the storage engine's hot paths. Thresholds come from
// saved baselines: `swift package benchmark baseline update` then
// `swift package benchmark baseline check` to see regressions.

private func eventLikeRecords(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        var s = #"{"type":"VisitLogged","stream":"cadre-\#(100_000 + (i &* 7919) % 300_000)","version":\#(i % 40),"op":"staff-\#(i % 500)","n":""#
        while s.utf8.count < 198 { s += "走访慰问" }
        return Array(s.utf8.prefix(198)) + Array(#""}"#.utf8)
    }
}

let benchmarks: @Sendable () -> Void = {
    let records = eventLikeRecords(1000)
    let framed = records.reduce(into: [UInt8]()) { $0.append(UInt8($1.count)); $0.append(0); $0.append(contentsOf: $1) }
    let compressed = framed.withUnsafeBytes { StorageKernels.lz4Compress($0)! }
    let throughput = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    Benchmark("CRC32C 200 KB", configuration: throughput) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(framed.withUnsafeBytes { StorageKernels.crc32c($0) }) }
    }
    Benchmark("LZ4 compress batch of 1000×200 B", configuration: throughput) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(framed.withUnsafeBytes { StorageKernels.lz4Compress($0) }) }
    }
    Benchmark("LZ4 decompress batch of 1000×200 B", configuration: throughput) { benchmark in
        var out = [UInt8](repeating: 0, count: framed.count)
        for _ in benchmark.scaledIterations {
            blackHole(out.withUnsafeMutableBytes { o in compressed.withUnsafeBytes { StorageKernels.lz4Decompress($0, into: o) } })
        }
    }
    Benchmark("SHA-256 of a compressed batch", configuration: throughput) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(compressed.withUnsafeBytes { StorageKernels.sha256($0) }) }
    }
    Benchmark("LogBatch build 1000×200 B", configuration: throughput) { benchmark in
        for _ in benchmark.scaledIterations {
            var batch = LogBatch(byteCapacity: 210_000)
            for r in records { batch.append(r) }
            blackHole(batch.count)
        }
    }
    Benchmark("append batch of 1000×200 B, durability none", configuration: throughput) { benchmark in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slbench-append-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        let log = try Log.open(at: dir, options: LogOptions(durability: .none))
        let batch = LogBatch(records)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try log.append(batch) }
        benchmark.stopMeasurement()
        try log.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
    Benchmark("read + verify chain, 100 batches of 1000×200 B", configuration: throughput) { benchmark in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slbench-read-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        let log = try Log.open(at: dir, options: LogOptions(durability: .none))
        let batch = LogBatch(records)
        for _ in 0..<100 { try log.append(batch) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let cursor = try log.cursor(from: 0, verifyingChain: true)
            var n = 0
            while let b = try cursor.nextBatch() { n += b.count }
            blackHole(n)
        }
        benchmark.stopMeasurement()
        try log.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
