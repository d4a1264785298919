// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "SilverLedger",
    products: [
        .library(name: "SilverLedgerStorage", targets: ["SilverLedgerStorage"]),
        .library(name: "SilverLedger", targets: ["SilverLedger"]),
        .library(name: "SilverLedgerDomain", targets: ["SilverLedgerDomain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // The system liblz4 (apt: liblz4-dev). Not API: only SilverLedgerStorage imports it.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        // CRC32C (Castagnoli): SSE4.2 where the CPU has it, a portable table fallback elsewhere.
        .target(name: "CCRC32C"),
        // Bytes, batches, segments, checksums, indexes, recovery. Knows nothing of events.
        .target(
            name: "SilverLedgerStorage",
            dependencies: [
                "CLZ4",
                "CCRC32C",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Events, streams, codecs, projections, snapshots. Storage types stay behind it.
        .target(
            name: "SilverLedger",
            dependencies: [
                "SilverLedgerStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The records of veteran-cadre work (docs/DOMAIN.md): commands, rules, events, queries.
        .target(
            name: "SilverLedgerDomain",
            dependencies: ["SilverLedger", "SilverLedgerStorage"]
        ),
        // The audit CLI `silverledger` (docs/CLI.md): an example executable, not a product.
        .executableTarget(
            name: "silverledger",
            dependencies: [
                "SilverLedgerDomain",
                "SilverLedger",
                "SilverLedgerStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/silverledger"
        ),
        // Embedding SilverLedger in a service, in a few dozen lines.
        .executableTarget(
            name: "embedding-example",
            dependencies: ["SilverLedgerDomain", "SilverLedger"],
            path: "Examples/embedding"
        ),
        .executableTarget(
            name: "storage-demo",
            dependencies: ["SilverLedgerStorage"],
            path: "Examples/storage-demo"
        ),
        // A child process for the crash tests: appends with fsync until it is killed.
        .executableTarget(
            name: "silverledger-crash-child",
            dependencies: ["SilverLedgerStorage"],
            path: "Tests/CrashChild"
        ),
        // The crash campaign's domain workload: a ledger, ticking tasks and snapshots until it is killed.
        .executableTarget(
            name: "silverledger-ledger-crash-child",
            dependencies: ["SilverLedgerDomain", "SilverLedger"],
            path: "Tests/LedgerCrashChild"
        ),
        // libFuzzer targets (scripts/fuzz.sh); built normally, each replays the inputs it is given.
        .executableTarget(name: "fuzz-batches", dependencies: ["SilverLedgerStorage"], path: "Fuzz/fuzz-batches"),
        .executableTarget(name: "fuzz-codec", dependencies: ["SilverLedgerDomain", "SilverLedger", "SilverLedgerStorage"], path: "Fuzz/fuzz-codec"),
        .executableTarget(name: "fuzz-commands", dependencies: ["SilverLedgerDomain", "SilverLedgerStorage"], path: "Fuzz/fuzz-commands"),
        .testTarget(
            name: "SilverLedgerStorageTests",
            dependencies: ["SilverLedgerStorage"]
        ),
        .testTarget(
            name: "SilverLedgerTests",
            dependencies: ["SilverLedger", "SilverLedgerStorage"]
        ),
        .testTarget(
            name: "SilverLedgerDomainTests",
            dependencies: ["SilverLedgerDomain", "SilverLedger", "SilverLedgerStorage"]
        ),
        // Runs the built `silverledger` binary end to end.
        .testTarget(
            name: "SilverLedgerCLITests",
            dependencies: ["silverledger", "SilverLedgerDomain", "SilverLedger"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
