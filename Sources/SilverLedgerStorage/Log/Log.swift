import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A segmented, append-only log of opaque records on local disk: the storage
/// engine of SilverLedger.
///
/// ```swift
/// let log = try Log.open(at: "/var/lib/bureau/ledger")
/// var batch = LogBatch()
/// batch.append(Array("first record".utf8))
/// let receipt = try log.append(batch)          // durable when it returns
/// let cursor = try log.cursor(from: receipt.firstPosition)
/// while let record = try cursor.next() { print(record.position, record.payload.count) }
/// try log.close()
/// ```
///
/// Records are appended in batches; a batch is atomic. Every record gets a
/// position (contiguous, from 0) and a timestamp (microseconds since the Unix
/// epoch, never decreasing along the log). Batches are LZ4-compressed,
/// checksummed with CRC32C and linked by a SHA-256 hash chain; docs/FORMAT.md
/// gives the bytes. One process at a time may open a store for writing;
/// others may open it ``LogOptions/readOnly`` and read while it is written.
///
/// `Log` is thread-safe. Appends go to a single writer thread, which
/// acknowledges each only once it is as durable as ``LogOptions/durability`` asks.
public final class Log: Sendable {
    let engine: LogEngine

    private init(engine: LogEngine) {
        self.engine = engine
    }

    deinit {
        try? engine.close()
    }

    /// Opens the store in `directory`, creating it if it does not exist (unless read-only).
    ///
    /// Opening reads the index files and the last batch each names, and scans
    /// only the part of the last segment written since its last index
    /// checkpoint. A torn write at the very end (what a crash leaves of the
    /// last write) is cut off and copied to `recovered/`; damage to a batch
    /// the writer had synced and acknowledged (below its durable `HEAD`
    /// watermark, docs/FORMAT.md §10) is never taken for one. Any other damage in
    /// what open reads makes it fail with ``StorageError/Code/corrupted``,
    /// naming the file, offset and position (see ``Log/repair(at:options:)``).
    /// Damage elsewhere is found by cursors when they reach it, and by
    /// ``Log/verify(at:from:options:incremental:progress:)``, which reads everything.
    public static func open(at directory: String, options: LogOptions = LogOptions()) throws(StorageError) -> Log {
        Log(engine: try LogEngine.open(at: directory, options: options))
    }

    /// The directory of the store.
    public var directory: String { engine.paths.directory }

    /// The store's random identity, fixed when it was created (32 hex digits).
    public var storeID: String { engine.manifest.storeID.description }

    /// The position the next record will get (the number of records in the log).
    public var nextPosition: UInt64 { engine.end.nextPosition }

    /// The timestamp of the last record, or nil if the log is empty.
    public var lastTimestamp: Int64? {
        let end = engine.end
        return end.nextPosition == 0 ? nil : end.maxTimestamp
    }

    /// The SHA-256 chain hash of the last batch (the genesis value for an empty log), in hex.
    public var chainHead: String { engine.end.chainHead.description }

    /// What opening found and did: tails set aside, indexes rebuilt, bytes scanned.
    public var recoveryReport: RecoveryReport { engine.recoveryReport }

    /// The segment files, in order, with their first positions.
    public var segments: [(firstPosition: UInt64, path: String)] {
        engine.state.withLock { $0.segments.map { ($0.firstPosition, $0.path) } }
    }

    // MARK: Appending

    /// Appends a batch and waits until it is durable; returns its positions and timestamps.
    ///
    /// Throws ``StorageError/Code/invalidArgument`` for an empty or too large
    /// batch, or timestamps that go backwards (nothing is written);
    /// ``StorageError/Code/io`` if the write failed (the log is cut back to
    /// its last commit, and after a failed sync refuses appends with
    /// ``StorageError/Code/failed`` until reopened); ``StorageError/Code/closed``.
    @discardableResult
    public func append(_ batch: LogBatch) throws(StorageError) -> AppendReceipt {
        let box = ResultBox()
        try submit(batch) { result in
            box.result = result
            box.semaphore.signal()
        }
        box.semaphore.wait()
        return try box.result!.get()
    }

    /// Appends a batch and suspends until it is durable; returns its positions and timestamps.
    ///
    /// Concurrent appends under ``Durability/groupCommit`` share one write and one sync.
    /// Errors as for the synchronous ``append(_:)``.
    @discardableResult
    public func append(_ batch: LogBatch) async throws(StorageError) -> AppendReceipt {
        let writer = try writerOrThrow()
        let prepared = try PreparedBatch(batch, maxBatchBytes: engine.options.maxBatchBytes, encryptionKey: engine.options.encryptionKey)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<AppendReceipt, StorageError>, Never>) in
            writer.submit(AppendRequest(prepared) { continuation.resume(returning: $0) })
        }
        return try result.get()
    }

    /// Queues a batch and returns at once; `completion` runs (on the writer
    /// thread) when it is durable or has failed. Batches are written in the
    /// order they are submitted, so a caller that serializes its submissions
    /// knows the positions they will get. For the event store above this module.
    package func submit(_ batch: LogBatch, completion: @escaping @Sendable (Result<AppendReceipt, StorageError>) -> Void) throws(StorageError) {
        let writer = try writerOrThrow()
        writer.submit(AppendRequest(try PreparedBatch(batch, maxBatchBytes: engine.options.maxBatchBytes, encryptionKey: engine.options.encryptionKey), completion: completion))
    }

    /// The records at `positions` (each must be below ``nextPosition``), in the order asked for.
    /// Positions in the same batch are served from one decompression.
    package func records(at positions: [UInt64]) throws(StorageError) -> [LogRecord] {
        var result: [LogRecord] = []
        result.reserveCapacity(positions.count)
        var batch: BatchView?
        for position in positions {
            if batch == nil || !batch!.contains(position) {
                let cursor = try LogCursor(engine: engine, position: position, verifyingChain: false)
                guard let view = try cursor.nextBatch() else {
                    throw StorageError(.positionOutOfRange, "position \(position) is past the end of the log (\(nextPosition))", position: position)
                }
                // The whole batch, so that later positions in it need no new read.
                batch = BatchView(header: view.header, framed: view.framed, skip: 0)
            }
            result.append(batch!.record(at: position)!)
        }
        return result
    }

    /// Writes a file the layers above keep beside the log (projection
    /// snapshots), atomically: a temporary file, sync, rename, directory sync.
    /// `name` is a plain file name; the file goes in the store's `snapshots/`,
    /// encrypted if the store is (FORMAT.md §20).
    package func writeSidecar(_ name: String, _ bytes: [UInt8]) throws(StorageError) {
        try writeSidecar(name) { (sink) throws(StorageError) in try sink.write(bytes) }
    }

    /// Writes a sidecar file as ``writeSidecar(_:_:)`` does, its bytes handed
    /// to `sink` in pieces by `produce` and written as they come (in an
    /// encrypted store, sealed in chunks of 1 MiB first): a large file (the
    /// saved indexes) is never whole in memory. If `produce` throws, nothing
    /// is replaced.
    package func writeSidecar(_ name: String, _ produce: (_ sink: inout ByteSink) throws(StorageError) -> Void) throws(StorageError) {
        try checkSidecarName(name)
        let fs = engine.fs
        let directory = engine.paths.directory + "/snapshots"
        if try fs.makeDirectory(directory) { try fs.syncDirectory(engine.paths.directory) }
        let sealer = engine.options.encryptionKey.map { SidecarEncryption.Sealer(key: $0, name: name) }
        try fs.writeAtomically(to: directory + "/" + name, directory: directory, sealingWith: sealer, produce)
    }

    /// The bytes of a file written by ``writeSidecar(_:_:)`` (decrypted, in an
    /// encrypted store; one that does not decrypt is `corrupted`), or nil if there is none.
    package func readSidecar(_ name: String) throws(StorageError) -> [UInt8]? {
        try checkSidecarName(name)
        let fs = engine.fs
        let path = engine.paths.directory + "/snapshots/" + name
        let file: FileHandle
        do throws(StorageError) { file = try fs.open(path, .read) } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        defer { fs.close(file) }
        let bytes = try fs.read(file, count: Int(try fs.size(file)), at: 0)
        guard let key = engine.options.encryptionKey else { return bytes }
        return try SidecarEncryption.open(consume bytes, name: name, path: path, key: key)
    }

    private func checkSidecarName(_ name: String) throws(StorageError) {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !name.hasSuffix(".tmp") else {
            throw StorageError(.invalidArgument, "\"\(name)\" is not a plain file name for a sidecar file")
        }
    }

    private func writerOrThrow() throws(StorageError) -> LogWriter {
        guard let writer = engine.writer else {
            throw StorageError(.readOnly, "the log at \(directory) was opened read-only")
        }
        try engine.checkOpen()
        if let failure = engine.state.withLock({ $0.failure }) { throw failure }
        return writer
    }

    // MARK: Reading

    /// A cursor over the records from `position` on, in bounded memory (one batch at a time).
    ///
    /// With `verifyingChain`, every batch's chain link is checked too (the
    /// cursor then starts reading at the beginning of the segment holding `position`).
    public func cursor(from position: UInt64 = 0, verifyingChain: Bool = false) throws(StorageError) -> LogCursor {
        try LogCursor(engine: engine, position: position, verifyingChain: verifyingChain)
    }

    /// The position of the first record whose timestamp is at or after
    /// `timestamp`, or ``nextPosition`` if there is none. O(log n) in the size of the log.
    public func position(atOrAfter timestamp: Int64) throws(StorageError) -> UInt64 {
        try refreshIfReadOnly()
        let (target, scanFrom, startPosition) = try engine.target(forTimestamp: timestamp)
        let cursor = LogCursor(engine: engine, target: target, offset: scanFrom, position: startPosition)
        while let batch = try cursor.nextBatch() {
            if batch.lastTimestamp < timestamp { continue }
            var found: UInt64?
            batch.forEach { position, recordTimestamp, _ in
                if found == nil && recordTimestamp >= timestamp { found = position }
            }
            if let found { return found }
        }
        return nextPosition
    }

    /// The records from `position` on: first those already committed, then each
    /// new batch as it commits. Ends when the log is closed.
    public func tail(from position: UInt64 = 0) -> LogTail {
        LogTail(engine: engine, position: position)
    }

    /// For a read-only log: picks up what the writer has committed since the last look.
    public func refresh() throws(StorageError) {
        try engine.refresh()
    }

    func refreshIfReadOnly() throws(StorageError) {
        if engine.options.readOnly { try engine.refresh() }
    }

    // MARK: Closing

    /// Writes what is queued, syncs, saves the index of the active segment and releases the lock.
    /// Closing twice is harmless. Cursors and tails see ``StorageError/Code/closed`` afterwards.
    public func close() throws(StorageError) {
        try engine.close()
    }

    /// Closes the log like ``close()``, and once everything queued is written
    /// (and only if that succeeded) calls `beforeUnlocking` while the lock is
    /// still held: the layers above save their sidecar files there.
    package func close(beforeUnlocking: () -> Void) throws(StorageError) {
        try engine.close(beforeUnlocking: beforeUnlocking)
    }

    /// The chain hash of the batch holding the record just before `position`
    /// (the genesis value for 0), or nil past the end. It identifies the log
    /// up to there: layers above keep it with state derived from the records
    /// before `position`, to recognise that log again (and not a repaired or
    /// rewritten one).
    package func chainHash(through position: UInt64) throws(StorageError) -> [UInt8]? {
        if position == 0 { return ChainHash.genesis(storeID: engine.manifest.storeID).bytes }
        let end = engine.end
        if position == end.nextPosition { return end.chainHead.bytes }
        guard position < end.nextPosition else { return nil }
        let cursor = try LogCursor(engine: engine, position: position - 1, verifyingChain: false)
        return try cursor.nextBatch()?.header.chainHash.bytes
    }
}

private final class ResultBox: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    var result: Result<AppendReceipt, StorageError>?
}
