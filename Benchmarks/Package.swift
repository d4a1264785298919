// swift-tools-version:6.1
import PackageDescription

// SilverLedger's benchmarks: a package of their own beside the library, so that
// the library's users never build the benchmark tooling.
let package = Package(
    name: "SilverLedgerBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SilverLedger", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        // What users would otherwise pick: SQLite through GRDB (system libsqlite3: apt libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        // The metrics and threshold tolerances the benchmark targets share.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Sources/BenchmarkSupport"
        ),
        // Micro-benchmarks of the hot paths, run by `swift package benchmark`.
        .executableTarget(
            name: "StorageBenchmarks",
            dependencies: [
                .product(name: "SilverLedgerStorage", package: "SilverLedger"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/StorageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Micro-benchmarks of the core's and the domain's hot paths, run by `swift package benchmark`.
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "SilverLedger", package: "SilverLedger"),
                .product(name: "SilverLedgerDomain", package: "SilverLedger"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // SilverLedger against GRDB, raw SQLite and the machine's limits, side by side in one run (docs/PERFORMANCE.md).
        .executableTarget(
            name: "compare",
            dependencies: [
                .product(name: "SilverLedgerStorage", package: "SilverLedger"),
                .product(name: "SilverLedger", package: "SilverLedger"),
                .product(name: "SilverLedgerDomain", package: "SilverLedger"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Sources/compare"
        ),
        // The event-sourcing core's throughput: batched appends and replay into a projection.
        .executableTarget(
            name: "core-throughput",
            dependencies: [.product(name: "SilverLedger", package: "SilverLedger")],
            path: "Sources/core-throughput"
        ),
        // The domain: a generated province through the Ledger, and the rebuild of its state.
        .executableTarget(
            name: "domain-throughput",
            dependencies: [
                .product(name: "SilverLedgerStorage", package: "SilverLedger"),
                .product(name: "SilverLedger", package: "SilverLedger"),
                .product(name: "SilverLedgerDomain", package: "SilverLedger"),
            ],
            path: "Sources/domain-throughput"
        ),
        // The storage engine's throughput against its targets and the machine's limits.
        .executableTarget(
            name: "storage-throughput",
            dependencies: [.product(name: "SilverLedgerStorage", package: "SilverLedger")],
            path: "Sources/storage-throughput"
        ),
    ],
    swiftLanguageModes: [.v6]
)
