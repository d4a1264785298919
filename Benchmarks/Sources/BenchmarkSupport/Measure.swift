import Benchmark
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The metrics and tolerances shared by the benchmark targets of this package.

/// The CPU time of every thread of the process while a benchmark's measured
/// part ran, in nanoseconds: unlike the wall clock, it does not count the
/// time other processes on the machine took the cores from it. (The tool's
/// own `.cpuTotal` counts scheduler ticks of 10 ms.)
public let cpuTime = BenchmarkMetric.custom("CPU time (ns)", polarity: .prefersSmaller, useScalingFactor: true)

/// The process's CPU time so far, in nanoseconds (`CLOCK_PROCESS_CPUTIME_ID`).
public func processCPUTime() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)
}

/// How far a benchmark's malloc count may be from its threshold.
public enum MallocTolerance {
    /// By at most this many allocations (0: exactly the same count).
    case absolute(Int)
    /// By at most this percentage: for the few paths whose count varies by a
    /// few tenths of a percent from one run to the next.
    case relative(Double)
}

/// The metrics of every benchmark, with their tolerances against the static
/// thresholds (`Benchmarks/Thresholds/`: the p90 of each metric in one real
/// run, written by `swift package benchmark thresholds update`). A p90
/// outside its tolerance fails `swift package benchmark thresholds check`,
/// whether worse or better, so that an improvement is recorded too.
///
/// - Malloc counts are exact: none more or fewer by default (`mallocs`).
/// - CPU time (every thread of the process): ±60 %. On this 2-vCPU virtual
///   machine the same code runs at two speeds about 2× apart depending on
///   what the host does, even pinned to one core; a p90 in the slow mode
///   passes both ways.
/// - Wall clock: ±`wallTolerance` %, by default 100, so that only a p90 more
///   than twice the threshold fails (the wall clock also counts the time
///   other processes took the cores: check on an otherwise idle machine). The benchmarks that
///   wait for `fdatasync` allow 400 %: the shared virtual disk's sync
///   latency varies up to 10× from one minute to the next.
/// - Throughput is shown but not checked: `thresholds update` writes its
///   raw p90 (the fast end) while `thresholds check` compares the slow end
///   (its p90 by polarity), so the two never match (benchmark 1.38.1).
public func configuration(
    maxDuration: Duration = .seconds(1), maxIterations: Int = 10_000, mallocs: MallocTolerance = .absolute(0),
    wallTolerance: Double = 100, setup: Benchmark.BenchmarkSetupHook? = nil, teardown: Benchmark.BenchmarkTeardownHook? = nil
) -> Benchmark.Configuration {
    let mallocThreshold: BenchmarkThresholds
    switch mallocs {
    case .absolute(let count): mallocThreshold = BenchmarkThresholds(absolute: [.p90: count])
    case .relative(let percent): mallocThreshold = BenchmarkThresholds(relative: [.p90: percent])
    }
    return Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, cpuTime],
        warmupIterations: 2,
        maxDuration: maxDuration,
        maxIterations: maxIterations,
        thresholds: [
            .mallocCountTotal: mallocThreshold,
            cpuTime: BenchmarkThresholds(relative: [.p90: 60]),
            .wallClock: BenchmarkThresholds(relative: [.p90: wallTolerance]),
            .throughput: BenchmarkThresholds(),
        ],
        setup: setup,
        teardown: teardown
    )
}

extension Benchmark {
    /// Runs `body` as the measured part of the iteration and records the CPU time it took.
    public func measure(_ body: () throws -> Void) rethrows {
        startMeasurement()
        let start = processCPUTime()
        try body()
        let used = processCPUTime() - start
        stopMeasurement()
        measurement(cpuTime, used)
    }

    /// Runs `body` as the measured part of the iteration and records the CPU time it took.
    public func measureAsync(_ body: () async throws -> Void) async rethrows {
        startMeasurement()
        let start = processCPUTime()
        try await body()
        let used = processCPUTime() - start
        stopMeasurement()
        measurement(cpuTime, used)
    }
}
