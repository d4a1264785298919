import SilverLedgerStorage

/// Every event from a position on: first those already committed, then each
/// new one as it commits, in log order, with no gap and no duplicate. Ends
/// when the store is closed or the consuming task is cancelled.
///
/// ```swift
/// for try await event in store.subscribe(from: 0) { handle(event) }
/// ```
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let tail: RecordTail

    public func makeAsyncIterator() -> AsyncIterator {
        switch tail {
        case .disk(let logTail): AsyncIterator(disk: logTail.makeAsyncIterator())
        case .memory(let log, let position): AsyncIterator(memory: log, position: position)
        }
    }

    /// Iterates an ``EventSubscription``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var disk: LogTail.AsyncIterator?
        var memory: MemoryRecordLog?
        var position: UInt64 = 0

        init(disk: LogTail.AsyncIterator) { self.disk = disk }
        init(memory: MemoryRecordLog, position: UInt64) {
            self.memory = memory
            self.position = position
        }

        public mutating func next() async throws -> RecordedEvent? {
            if disk != nil {
                guard let record = try await disk!.next() else { return nil }
                return try EventStore.decode(record.payload, position: record.position, timestamp: record.timestamp)
            }
            guard let memory, let record = await memory.next(at: position) else { return nil }
            defer { position += 1 }
            return try EventStore.decode(record.payload, position: position, timestamp: record.timestamp)
        }
    }
}

extension EventStore {
    /// The events from `position` on, live (see ``EventSubscription``).
    public func subscribe(from position: UInt64 = 0) -> EventSubscription {
        EventSubscription(tail: log.tail(from: position))
    }
}
