@_spi(Internals) import SilverLedgerStorage
import Foundation

/// Splits work over `0..<count` in two halves run on two cores at once (the
/// calling thread takes one), when the machine has them.
enum Halves {
    /// Whether there is a second core to use.
    static let available = ProcessInfo.processInfo.activeProcessorCount > 1

    /// `body` for the first and the second half of `0..<count`, each run once,
    /// in parallel; the halves meet at `middle` (by default, the middle).
    static func run<T: Sendable, E: Error>(_ count: Int, splitAt middle: Int? = nil,
                                           _ body: @Sendable (Range<Int>) throws(E) -> T) -> (Result<T, E>, Result<T, E>) {
        let results = Locked<[Result<T, E>?]>([nil, nil])
        let middle = middle ?? count / 2
        precondition((0...count).contains(middle), "a split at \(middle) of 0..<\(count)")
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            let range = half == 0 ? 0..<middle : middle..<count
            let result = Result { () throws(E) -> T in try body(range) }
            results.withLock { $0[half] = result }
        }
        return results.withLock { ($0[0]!, $0[1]!) }
    }
}
