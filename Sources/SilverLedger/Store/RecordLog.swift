@_spi(Internals) import SilverLedgerStorage

/// Where the event store keeps its records: the on-disk log, or memory for
/// tests of code that embeds the library. Not API.
protocol RecordLog: Sendable {
    /// Queues records as one atomic batch; `completion` runs when they are durable or failed.
    /// Submissions are written in order.
    func submit(_ batch: LogBatch, completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError)
    /// One past the last committed position.
    var nextPosition: UInt64 { get }
    /// The timestamp of the last committed record, if there is one.
    var lastTimestamp: Int64? { get }
    /// The records at these positions, with their timestamps.
    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])]
    /// Calls `body` with each record from `position` up to `end` (exclusive) or the committed end;
    /// the bytes are a slice of a buffer the record may share with its batch.
    func forEach(from position: UInt64, until end: UInt64, _ body: (UInt64, Int64, ArraySlice<UInt8>) throws -> Void) throws
    /// The first position whose timestamp is at or after `timestamp` (``nextPosition`` if none).
    func position(atOrAfter timestamp: Int64) throws(EventStoreError) -> UInt64
    /// Saves a snapshot file atomically, its bytes handed to the sink in pieces
    /// (written as they come where the log can: see `Log.writeSidecar(_:_:)`) /
    /// reads it back (nil if absent).
    func writeSnapshot(_ name: String, _ produce: (_ sink: inout ByteSink) throws(StorageError) -> Void) throws(EventStoreError)
    func readSnapshot(_ name: String) throws(EventStoreError) -> [UInt8]?
    /// The records from `position` on, then new ones as they commit.
    func tail(from position: UInt64) -> RecordTail
    /// The chain hash of the log up to `position` (see `Log.chainHash(through:)`); nil past the end.
    func chainHash(through position: UInt64) throws(EventStoreError) -> [UInt8]?
    /// Closes; `beforeUnlocking` runs once everything queued is written, before another process may open the log.
    func close(beforeUnlocking: () -> Void) throws(EventStoreError)
}

/// The records of a ``RecordLog`` from a position on, live.
enum RecordTail: Sendable {
    case disk(LogTail)
    case memory(MemoryRecordLog, UInt64)
}

extension EventStoreError {
    init(_ error: StorageError) {
        self.init(error.code == .closed ? .closed : error.code == .failed ? .failed : .storage, error.description, storage: error.description)
        storageKind = switch error.code {
        case .io: .io
        case .corrupted: .corrupted
        case .locked: .locked
        case .notAStore: .notAStore
        case .incompatibleFormat: .incompatibleFormat
        case .readOnly: .readOnly
        case .encryptionKey: .encryptionKey
        default: .other
        }
    }
}

/// The on-disk log.
struct DiskRecordLog: RecordLog {
    let log: Log

    func submit(_ batch: LogBatch, completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError) {
        do throws(StorageError) {
            try log.submit(batch) { result in
                completion(result.map { ($0.firstPosition, $0.firstTimestamp) }.mapError(EventStoreError.init))
            }
        } catch {
            throw EventStoreError(error)
        }
    }

    var nextPosition: UInt64 { log.nextPosition }

    var lastTimestamp: Int64? { log.lastTimestamp }

    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] {
        do throws(StorageError) {
            return try log.records(at: positions).map { ($0.position, $0.timestamp, $0.payload) }
        } catch {
            throw EventStoreError(error)
        }
    }

    func forEach(from position: UInt64, until end: UInt64, _ body: (UInt64, Int64, ArraySlice<UInt8>) throws -> Void) throws {
        guard position < end else { return }
        let cursor = try log.cursor(from: position)
        while let batch = try cursor.nextBatch(), batch.firstPosition < end {
            try batch.forEachSlice { p, t, bytes in if p < end { try body(p, t, bytes) } }
        }
    }

    func position(atOrAfter timestamp: Int64) throws(EventStoreError) -> UInt64 {
        do throws(StorageError) { return try log.position(atOrAfter: timestamp) } catch { throw EventStoreError(error) }
    }

    func writeSnapshot(_ name: String, _ produce: (_ sink: inout ByteSink) throws(StorageError) -> Void) throws(EventStoreError) {
        do throws(StorageError) { try log.writeSidecar(name, produce) } catch { throw EventStoreError(error) }
    }

    func tail(from position: UInt64) -> RecordTail { .disk(log.tail(from: position)) }

    func readSnapshot(_ name: String) throws(EventStoreError) -> [UInt8]? {
        do throws(StorageError) { return try log.readSidecar(name) } catch { throw EventStoreError(error) }
    }

    func chainHash(through position: UInt64) throws(EventStoreError) -> [UInt8]? {
        do throws(StorageError) { return try log.chainHash(through: position) } catch { throw EventStoreError(error) }
    }

    func close(beforeUnlocking: () -> Void) throws(EventStoreError) {
        do throws(StorageError) { try log.close(beforeUnlocking: beforeUnlocking) } catch { throw EventStoreError(error) }
    }
}

/// Records in memory, with the same ordering and atomicity; for tests.
final class MemoryRecordLog: RecordLog {
    private struct State {
        var records: [(timestamp: Int64, payload: [UInt8])] = []
        var snapshots: [String: [UInt8]] = [:]
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }
    private let state = Locked(State())
    private let clock: @Sendable () -> Int64

    init(clock: @escaping @Sendable () -> Int64) { self.clock = clock }

    func submit(_ batch: LogBatch, completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError) {
        guard !batch.isEmpty else { throw EventStoreError(.invalidAppend, "a batch needs at least one record") }
        let (result, waiters) = try state.withLock { (s) throws(EventStoreError) -> ((first: UInt64, timestamp: Int64), [CheckedContinuation<Void, Never>]) in
            if s.closed { throw EventStoreError(.closed, "the in-memory store is closed") }
            let last = s.records.last?.timestamp ?? .min
            if let own = batch.ownTimestamps, own.first < last {
                throw EventStoreError(.storage, "the batch's first timestamp \(own.first) is before the log's last (\(last))")
            }
            let stamp = max(clock(), last)
            let first = UInt64(s.records.count)
            batch.forEachRecord { timestamp, bytes in s.records.append((timestamp ?? stamp, Array(bytes))) }
            defer { s.waiters.removeAll() }
            return ((first, batch.ownTimestamps?.first ?? stamp), Array(s.waiters.values))
        }
        completion(.success(result))
        for waiter in waiters { waiter.resume() }
    }

    var nextPosition: UInt64 { state.withLock { UInt64($0.records.count) } }

    var lastTimestamp: Int64? { state.withLock { $0.records.last?.timestamp } }

    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] {
        try state.withLock { (s) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] in
            try positions.map { (p) throws(EventStoreError) -> (position: UInt64, timestamp: Int64, payload: [UInt8]) in
                guard p < UInt64(s.records.count) else { throw EventStoreError(.storage, "position \(p) is past the end (\(s.records.count))") }
                return (p, s.records[Int(p)].timestamp, s.records[Int(p)].payload)
            }
        }
    }

    func forEach(from position: UInt64, until end: UInt64, _ body: (UInt64, Int64, ArraySlice<UInt8>) throws -> Void) throws {
        let snapshot = state.withLock { $0.records }
        let stop = Int(min(end, UInt64(snapshot.count)))
        guard Int(position) < stop else { return }
        for i in Int(position)..<stop {
            try body(UInt64(i), snapshot[i].timestamp, snapshot[i].payload[...])
        }
    }

    func position(atOrAfter timestamp: Int64) throws(EventStoreError) -> UInt64 {
        state.withLock { s in
            // Timestamps never decrease: the first one at or after the time, by binary search.
            var low = 0, high = s.records.count
            while low < high {
                let mid = (low + high) / 2
                if s.records[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
            }
            return UInt64(low)
        }
    }

    func writeSnapshot(_ name: String, _ produce: (_ sink: inout ByteSink) throws(StorageError) -> Void) throws(EventStoreError) {
        var sink = ByteSink()
        do throws(StorageError) { try produce(&sink) } catch { throw EventStoreError(error) }
        state.withLock { $0.snapshots[name] = sink.collected }
    }

    func readSnapshot(_ name: String) throws(EventStoreError) -> [UInt8]? {
        state.withLock { $0.snapshots[name] }
    }

    func tail(from position: UInt64) -> RecordTail { .memory(self, position) }

    /// The record at `position`, waiting for it to be appended; nil once the log
    /// is closed or the waiting task is cancelled.
    func next(at position: UInt64) async -> (timestamp: Int64, payload: [UInt8])? {
        while true {
            if Task.isCancelled { return nil }
            var found: (timestamp: Int64, payload: [UInt8])?
            var closed = false
            let id = state.withLock { s -> UInt64 in
                s.nextWaiterID += 1
                return s.nextWaiterID
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if position < UInt64(s.records.count) {
                            found = s.records[Int(position)]
                            return true
                        }
                        if s.closed {
                            closed = true
                            return true
                        }
                        if Task.isCancelled { return true }
                        s.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume()
            }
            if let found { return found }
            if closed { return nil }
        }
    }

    /// Memory has no chain, and records are never rewritten: its "hash" is the position, in 32 bytes.
    func chainHash(through position: UInt64) throws(EventStoreError) -> [UInt8]? {
        guard position <= nextPosition else { return nil }
        return withUnsafeBytes(of: position.littleEndian) { Array($0) } + [UInt8](repeating: 0, count: 24)
    }

    func close(beforeUnlocking: () -> Void) throws(EventStoreError) {
        close()
        beforeUnlocking()
    }

    func close() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
