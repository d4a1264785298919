import Foundation
import Logging

/// What an append gave the records it wrote.
public struct AppendReceipt: Sendable, Hashable {
    /// The position of the batch's first record.
    public var firstPosition: UInt64
    /// How many records the batch held.
    public var count: Int
    /// The timestamp of the first record (microseconds since 1970-01-01 UTC).
    public var firstTimestamp: Int64
    /// The timestamp of the last record.
    public var lastTimestamp: Int64
    /// The positions of the batch's records.
    public var positions: Range<UInt64> { firstPosition..<(firstPosition + UInt64(count)) }
}

/// One append waiting for the writer.
final class AppendRequest: @unchecked Sendable {
    let batch: PreparedBatch
    let completion: @Sendable (Result<AppendReceipt, StorageError>) -> Void

    init(_ batch: PreparedBatch, completion: @escaping @Sendable (Result<AppendReceipt, StorageError>) -> Void) {
        self.batch = batch
        self.completion = completion
    }
}

/// The single writer of a log: a thread of its own that takes appends from a
/// queue, writes them, syncs them as the durability asks, and only then
/// acknowledges them. Under group commit it takes every append waiting at
/// once, so that concurrent appends share one write and one sync.
///
/// The fields below the queue are touched only by the writer thread.
final class LogWriter: @unchecked Sendable {
    private let fs: any FileSystem
    private let paths: StorePaths
    private let manifest: Manifest
    private let options: LogOptions

    private let condition = NSCondition()
    private var queue: [AppendRequest] = []
    private var stopping = false
    private var stopped = false
    private var stopError: StorageError?

    private var active: FileHandle
    private var head: FileHandle?
    /// The committed end of the active segment.
    private var committed: SegmentEnd
    private var activeFirst: UInt64
    private var bytesSinceCheckpoint = 0
    private var writeBuffer: [UInt8] = []
    /// `SEALS`, when the log is sealed; the next record's sequence number, where the
    /// last seal is, and when it was made.
    private var seals: FileHandle?
    private var nextSeal: UInt64 = 0
    private var sealedPosition: UInt64?
    private var lastSealAt = Int64.min
    /// Groups take at most this many bytes, so one slow batch does not hold a huge group.
    private let maxGroupBytes = 32 << 20

    init(fs: any FileSystem, paths: StorePaths, manifest: Manifest, options: LogOptions, active segment: SegmentState) throws(StorageError) {
        self.fs = fs
        self.paths = paths
        self.manifest = manifest
        self.options = options
        self.active = try fs.open(segment.path, .readWrite)
        self.activeFirst = segment.firstPosition
        self.committed = segment.index.end
        do throws(StorageError) {
            self.head = try fs.open(paths.head, .createOrOpen)
        } catch {
            options.logger.warning("cannot open the HEAD watermark; readers in other processes will scan instead", metadata: ["error": "\(error)"])
        }
        if options.sealKey != nil {
            let file = try fs.open(paths.seals, .createOrOpen)
            seals = file
            // A record cut short by a crash (the size not a multiple of 128) is written over.
            nextSeal = UInt64(try fs.size(file)) / UInt64(SealRecord.length)
            if nextSeal > 0, case .success(let last) = SealRecord.decode(
                try fs.read(file, count: SealRecord.length, at: Int64(nextSeal - 1) * Int64(SealRecord.length))[...], magic: SealRecord.sealMagic) {
                sealedPosition = last.position
            }
        }
    }

    func start(engine: LogEngine) {
        // Synced first, so that the watermark can say that everything below it is on disk
        // (a session before this one may have written without syncing).
        do throws(StorageError) {
            try fs.sync(active)
            writeHead(durable: true)
            seal()   // what an earlier session left unsealed (a crash, or no key then)
        } catch {
            options.logger.warning("could not sync the active segment at open", metadata: ["error": "\(error)"])
            writeHead(durable: false)
        }
        let thread = Thread { [self] in run(engine) }
        thread.name = "silverledger-writer"
        thread.start()
    }

    /// Queues an append; `completion` runs on the writer thread once it is durable (or failed).
    func submit(_ request: AppendRequest) {
        condition.lock()
        if stopping {
            condition.unlock()
            request.completion(.failure(StorageError(.closed, "the log at \(paths.directory) is closed")))
            return
        }
        queue.append(request)
        condition.signal()
        condition.unlock()
    }

    /// Writes what is queued, syncs, checkpoints the index and ends the thread.
    func stop() throws(StorageError) {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        let error = stopError
        condition.unlock()
        if let error { throw error }
    }

    private func run(_ engine: LogEngine) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                break
            }
            var work: [AppendRequest]
            if options.durability == .fsyncPerAppend {
                work = [queue.removeFirst()]
            } else {
                var bytes = 0
                var n = 0
                while n < queue.count && (n == 0 || bytes + queue[n].batch.totalLength <= maxGroupBytes) {
                    bytes += queue[n].batch.totalLength
                    n += 1
                }
                work = Array(queue[..<n])
                queue.removeFirst(n)
            }
            condition.unlock()
            process(&work, engine)
        }
        let error = finish(engine)
        condition.lock()
        stopError = error
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Writing

    private struct Staged {
        var request: AppendRequest
        var header: BatchHeader
        var headerBytes: [UInt8]
        /// The payload as written (encrypted if the store is).
        var stored: [UInt8]
        var offset: Int64
    }

    private func process(_ work: inout [AppendRequest], _ engine: LogEngine) {
        if let failure = engine.state.withLock({ $0.failure }) {
            for request in work { request.completion(.failure(failure)) }
            return
        }
        var staged: [Staged] = []
        var tentative = committed
        for (i, request) in work.enumerated() {
            let timestamp: Int64
            if let explicit = request.batch.explicitTimestamps {
                if explicit.first < tentative.maxTimestamp {
                    request.completion(.failure(StorageError(.invalidArgument,
                        "timestamps must not go backwards: the batch starts at \(explicit.first), the log is at \(tentative.maxTimestamp)",
                        position: tentative.nextPosition)))
                    continue
                }
                timestamp = explicit.first
            } else {
                timestamp = max(options.clock(), tentative.maxTimestamp)
            }
            if tentative.endOffset > Int64(Format.segmentHeaderLength),
                tentative.endOffset + Int64(request.batch.totalLength) > Int64(options.segmentSize) {
                if let error = flush(staged, engine) {
                    for request in work[i...] { request.completion(.failure(error)) }
                    return
                }
                do throws(StorageError) {
                    try roll(engine)
                } catch {
                    for request in work[i...] { request.completion(.failure(error)) }
                    return
                }
                staged.removeAll()
                tentative = committed
            }
            // Batches written by one write share the position their write starts at.
            let groupFirst = staged.first?.header.firstPosition ?? tentative.nextPosition
            let sealed = request.batch.header(
                position: tentative.nextPosition, groupFirstPosition: groupFirst, timestamp: timestamp, previous: tentative.chainHead)
            staged.append(Staged(request: request, header: sealed.header, headerBytes: sealed.bytes, stored: sealed.stored, offset: tentative.endOffset))
            tentative = SegmentEnd(
                endOffset: tentative.endOffset + Int64(request.batch.totalLength), nextPosition: sealed.header.nextPosition,
                maxTimestamp: sealed.header.maxTimestamp, chainHead: sealed.chain, lastBatchOffset: tentative.endOffset)
        }
        _ = flush(staged, engine)
    }

    /// Writes and syncs the staged batches, then publishes and acknowledges them.
    /// On failure they are all failed, the file is cut back to the last commit,
    /// and (if that or a sync failed) the log refuses further appends.
    /// Returns the error the batches failed with, or nil.
    private func flush(_ staged: [Staged], _ engine: LogEngine) -> StorageError? {
        guard let first = staged.first else { return nil }
        writeBuffer.removeAll(keepingCapacity: true)
        // By index, here and below: a staged batch taken out whole is copied
        // (a reference count for its request and each of its arrays).
        for i in staged.indices {
            writeBuffer.append(contentsOf: staged[i].headerBytes)
            writeBuffer.append(contentsOf: staged[i].stored)
        }
        let start = first.offset
        do throws(StorageError) {
            try writeBuffer.withBytes { (b) throws(StorageError) in try fs.writeFully(active, [b], at: start) }
        } catch {
            // Cut the file back to the last commit; if even that fails, stop writing.
            do throws(StorageError) { try fs.truncate(active, to: start) } catch { poison(error, engine) }
            for s in staged { s.request.completion(.failure(error)) }
            return error
        }
        if options.durability != .none {
            do throws(StorageError) {
                try fs.sync(active)
            } catch {
                // A failed sync leaves the page cache in an unknown state (PostgreSQL's
                // "fsyncgate"): never retry, refuse appends until the log is reopened.
                try? fs.truncate(active, to: start)
                poison(error, engine)
                for s in staged { s.request.completion(.failure(error)) }
                return error
            }
        }
        engine.state.withLock { state in
            let last = state.segments.count - 1
            for i in staged.indices { state.segments[last].index.add(staged[i].header, at: staged[i].offset) }
            committed = state.segments[last].index.end
        }
        bytesSinceCheckpoint += writeBuffer.count
        writeHead(durable: options.durability != .none)
        engine.notifyWaiters()
        for i in staged.indices {
            let header = staged[i].header
            staged[i].request.completion(.success(AppendReceipt(
                firstPosition: header.firstPosition, count: Int(header.recordCount),
                firstTimestamp: header.minTimestamp, lastTimestamp: header.maxTimestamp)))
        }
        // After the acknowledgements: they need not wait for the seal's sync.
        if options.durability != .none, seals != nil, options.clock() &- lastSealAt >= options.sealInterval { seal() }
        if bytesSinceCheckpoint >= options.checkpointInterval {
            do throws(StorageError) {
                try checkpoint(engine)
            } catch {
                options.logger.warning("could not write the index checkpoint; recovery will scan further", metadata: ["error": "\(error)"])
            }
        }
        return nil
    }

    private func poison(_ error: StorageError, _ engine: LogEngine) {
        options.logger.error("write failed; the log refuses appends until it is reopened", metadata: ["error": "\(error)"])
        engine.state.withLock { state in
            if state.failure == nil {
                state.failure = StorageError(
                    .failed, "an earlier write failed (\(error.message)); reopen the log to recover",
                    path: error.path, offset: error.offset, errno: error.errno)
            }
        }
    }

    /// Writes the active segment's index so that recovery scans only what came after.
    /// A failed sync (under `none`) poisons the log; a failed index write does not.
    private func checkpoint(_ engine: LogEngine) throws(StorageError) {
        do throws(StorageError) {
            if options.durability == .none { try fs.sync(active) }
        } catch {
            poison(error, engine)
            throw error
        }
        let index = engine.state.withLock { $0.segments[$0.segments.count - 1].index }
        try fs.writeAtomically(index.encoded(storeID: manifest.storeID), to: paths.index(index.firstPosition), directory: paths.directory)
        bytesSinceCheckpoint = 0
        seal()
    }

    /// Records a seal over the committed end, if the log is sealed and has grown
    /// since the last seal. Called only where that end is synced: a seal must
    /// never cover what a crash can take back. A failure is logged, not fatal
    /// (the next seal covers this one's part).
    private func seal() {
        guard let seals, let key = options.sealKey else { return }
        guard sealedPosition != committed.nextPosition else { return }
        let now = options.clock()
        let record = SealRecord(magic: SealRecord.sealMagic, sequence: nextSeal, position: committed.nextPosition,
                                chainHash: committed.chainHead, sealedAt: now, key: key, storeID: manifest.storeID)
        do throws(StorageError) {
            try record.encoded().withBytes { (b) throws(StorageError) in
                try fs.writeFully(seals, [b], at: Int64(nextSeal) * Int64(SealRecord.length))
            }
            try fs.sync(seals)
            nextSeal += 1
            sealedPosition = committed.nextPosition
            lastSealAt = now
        } catch {
            options.logger.warning("could not record a seal; the next one will cover it", metadata: ["error": "\(error)"])
        }
    }

    /// Seals the active segment (its index written) and starts the next one.
    /// On failure the log refuses further appends; the error is the system call's.
    private func roll(_ engine: LogEngine) throws(StorageError) {
        do throws(StorageError) {
            try checkpoint(engine)
            let next = try LogEngine.createSegment(first: committed.nextPosition, previous: committed, fs: fs, paths: paths, manifest: manifest, options: options)
            let file = try fs.open(next.path, .readWrite)
            fs.close(active)
            active = file
            activeFirst = next.firstPosition
            committed = next.index.end
            engine.state.withLock { $0.segments.append(next) }
            writeHead(durable: true)   // the new segment's header was synced; it holds nothing else
            options.logger.debug("rolled segment", metadata: ["segment": "\(next.path)"])
        } catch {
            poison(error, engine)
            throw error
        }
    }

    /// Publishes the committed end for readers in other processes (not synced: after a crash recovery rewrites it).
    /// `durable`: the segment was synced up to that end before this write, so
    /// that recovery may treat damage below it as damage, not as a torn write.
    private func writeHead(durable: Bool) {
        guard let head else { return }
        let bytes = Head(segmentFirstPosition: activeFirst, endOffset: committed.endOffset, nextPosition: committed.nextPosition,
                         durable: durable).encoded()
        do throws(StorageError) {
            try bytes.withBytes { (b) throws(StorageError) in try fs.writeFully(head, [b], at: 0) }
        } catch {
            options.logger.warning("could not update the HEAD watermark", metadata: ["error": "\(error)"])
        }
    }

    private func finish(_ engine: LogEngine) -> StorageError? {
        defer {
            fs.close(active)
            if let head { fs.close(head) }
            if let seals { fs.close(seals) }
        }
        if engine.state.withLock({ $0.failure }) != nil { return nil }
        if bytesSinceCheckpoint > 0 || options.durability == .none {
            do throws(StorageError) { try checkpoint(engine) } catch { return error }
        }
        writeHead(durable: true)   // synced by every commit, or by that checkpoint
        seal()
        return nil
    }
}
