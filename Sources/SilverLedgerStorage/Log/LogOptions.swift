import Logging

/// When an append is acknowledged, relative to the disk.
public enum Durability: Sendable, Hashable {
    /// Each append is written and synced (fdatasync) on its own before it is acknowledged. The default.
    case fsyncPerAppend
    /// Appends waiting at the same time are written together and synced once;
    /// each is acknowledged only when the sync covering it returns.
    case groupCommit
    /// Appends are acknowledged once written to the operating system; synced
    /// only at segment rolls, index checkpoints and close. For bulk imports and tests:
    /// a power loss may lose acknowledged appends (never corrupt earlier ones).
    case none
}

/// How a ``Log`` is opened.
public struct LogOptions: Sendable {
    /// When appends are acknowledged. Default ``Durability/fsyncPerAppend``.
    public var durability: Durability = .fsyncPerAppend
    /// A segment is rolled when the next batch would take it past this size. Default 64 MiB.
    public var segmentSize: Int = 64 << 20
    /// Bytes of log between two entries of the sparse index. Default 4 KiB.
    public var indexInterval: Int = 4096
    /// The index of the active segment is written after this many bytes are appended, bounding recovery's scan. Default 16 MiB.
    public var checkpointInterval: Int = 16 << 20
    /// The largest batch accepted, framed and uncompressed. Default 64 MiB.
    public var maxBatchBytes: Int = 64 << 20
    /// Open for reading only: no lock is taken and nothing is written, so
    /// other processes may read while a writer appends. A reader sees only
    /// whole, committed batches.
    public var readOnly = false
    /// With a key, the writer seals the log (FORMAT.md §19): it records
    /// HMAC-SHA-256 seals over the chain head in `SEALS` at every index
    /// checkpoint, roll and close, at open, and after a commit when
    /// ``sealInterval`` has passed since the last seal (in the durable modes;
    /// under ``Durability/none`` only where the log is synced). Verification
    /// with the key then detects a log rewritten by someone without it. Nil
    /// (the default): no seals.
    public var sealKey: SealKey?
    /// With a key, a new store is created encrypted (AES-256-GCM, FORMAT.md §20):
    /// every batch payload and every file in `snapshots/`; an encrypted store
    /// opens only with its key. Nil (the default): a store that is not
    /// encrypted; an encrypted one then fails to open, naming its key id.
    public var encryptionKey: EncryptionKey?
    /// The least time between two seals made after commits, in microseconds (default one second).
    public var sealInterval: Int64 = 1_000_000
    /// Where the engine reports recovery, repairs and failures.
    public var logger = Logger(label: "silverledger.storage")
    /// The clock that stamps records, in microseconds since 1970-01-01 UTC.
    public var clock: @Sendable () -> Int64 = systemClockMicroseconds
    /// The file layer; tests substitute one that injects faults.
    package var fileSystem: any FileSystem = POSIXFileSystem()

    /// Options with the defaults.
    public init() {}

    /// Options with the given durability and defaults for the rest.
    public init(durability: Durability) {
        self.durability = durability
    }
}

/// The system's wall clock, in microseconds since 1970-01-01 UTC.
public func systemClockMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

#if canImport(Glibc)
import Glibc
#endif
