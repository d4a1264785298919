/// The records of a log from a position on, live: after the committed records
/// it waits for new batches and yields them as they commit, with no gap and
/// no duplicate. Ends when the log is closed or the task is cancelled.
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = LogRecord

    let engine: LogEngine
    let position: UInt64

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(engine: engine, position: position)
    }

    /// Iterates a ``LogTail``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let engine: LogEngine
        var position: UInt64
        var cursor: LogCursor?

        public mutating func next() async throws -> LogRecord? {
            while true {
                if Task.isCancelled || engine.state.withLock({ $0.closed }) { return nil }
                switch try readCommitted() {
                case .record(let record): return record
                case .closed: return nil
                case .caughtUp: break
                }
                if engine.options.readOnly {
                    try await Task.sleep(for: .milliseconds(20))
                } else {
                    await engine.waitForCommit(after: position)
                }
            }
        }

        private enum Step {
            case record(LogRecord)
            case caughtUp
            case closed
        }

        private mutating func readCommitted() throws(StorageError) -> Step {
            do throws(StorageError) {
                if cursor == nil {
                    cursor = try LogCursor(engine: engine, position: position, verifyingChain: false)
                }
                guard let record = try cursor!.next() else { return .caughtUp }
                position = record.position + 1
                return .record(record)
            } catch {
                if error.code == .closed { return .closed }
                throw error
            }
        }
    }
}
