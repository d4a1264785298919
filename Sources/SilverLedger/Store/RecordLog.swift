import Synchronization
import SilverLedgerStorage

/// Where the event store keeps its records: the on-disk log, or memory for
/// tests of code that embeds the library. Not API.
protocol RecordLog: Sendable {
    /// Queues records as one atomic batch; `completion` runs when they are durable or failed.
    /// Submissions are written in order.
    func submit(_ records: [[UInt8]], completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError)
    /// One past the last committed position.
    var nextPosition: UInt64 { get }
    /// The records at these positions, with their timestamps.
    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])]
    /// Calls `body` with each record from `position` to the committed end.
    func forEach(from position: UInt64, _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Void) throws
    func close() throws(EventStoreError)
}

extension EventStoreError {
    init(_ error: StorageError) {
        self.init(error.code == .closed ? .closed : error.code == .failed ? .failed : .storage, error.description, storage: error.description)
    }
}

/// The on-disk log.
struct DiskRecordLog: RecordLog {
    let log: Log

    func submit(_ records: [[UInt8]], completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError) {
        do throws(StorageError) {
            try log.submit(LogBatch(records)) { result in
                completion(result.map { ($0.firstPosition, $0.firstTimestamp) }.mapError(EventStoreError.init))
            }
        } catch {
            throw EventStoreError(error)
        }
    }

    var nextPosition: UInt64 { log.nextPosition }

    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] {
        do throws(StorageError) {
            return try log.records(at: positions).map { ($0.position, $0.timestamp, $0.payload) }
        } catch {
            throw EventStoreError(error)
        }
    }

    func forEach(from position: UInt64, _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let cursor = try log.cursor(from: position)
        while let batch = try cursor.nextBatch() { try batch.forEach(body) }
    }

    func close() throws(EventStoreError) {
        do throws(StorageError) { try log.close() } catch { throw EventStoreError(error) }
    }
}

/// Records in memory, with the same ordering and atomicity; for tests.
final class MemoryRecordLog: RecordLog {
    private struct State {
        var records: [(timestamp: Int64, payload: [UInt8])] = []
        var closed = false
    }
    private let state = Mutex(State())
    private let clock: @Sendable () -> Int64

    init(clock: @escaping @Sendable () -> Int64) { self.clock = clock }

    func submit(_ records: [[UInt8]], completion: @escaping @Sendable (Result<(first: UInt64, timestamp: Int64), EventStoreError>) -> Void) throws(EventStoreError) {
        let result = try state.withLock { (s) throws(EventStoreError) -> (first: UInt64, timestamp: Int64) in
            if s.closed { throw EventStoreError(.closed, "the in-memory store is closed") }
            let timestamp = max(clock(), s.records.last?.timestamp ?? .min)
            let first = UInt64(s.records.count)
            s.records.append(contentsOf: records.map { (timestamp, $0) })
            return (first, timestamp)
        }
        completion(.success(result))
    }

    var nextPosition: UInt64 { state.withLock { UInt64($0.records.count) } }

    func records(at positions: [UInt64]) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] {
        try state.withLock { (s) throws(EventStoreError) -> [(position: UInt64, timestamp: Int64, payload: [UInt8])] in
            try positions.map { (p) throws(EventStoreError) -> (position: UInt64, timestamp: Int64, payload: [UInt8]) in
                guard p < UInt64(s.records.count) else { throw EventStoreError(.storage, "position \(p) is past the end (\(s.records.count))") }
                return (p, s.records[Int(p)].timestamp, s.records[Int(p)].payload)
            }
        }
    }

    func forEach(from position: UInt64, _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let snapshot = state.withLock { $0.records }
        for i in Int(position)..<snapshot.count {
            try snapshot[i].payload.withUnsafeBytes { try body(UInt64(i), snapshot[i].timestamp, $0) }
        }
    }

    func close() throws(EventStoreError) {
        state.withLock { $0.closed = true }
    }
}
