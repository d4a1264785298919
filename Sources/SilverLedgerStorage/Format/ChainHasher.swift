import Dispatch
import Foundation

/// A thread of its own that computes a batch's checksum and chain hash while
/// the caller decompresses the same batch, so that reading with every check
/// uses both cores. One job at a time: ``start(previous:header:payload:)`` then ``finish()``.
///
/// (`DispatchQueue.concurrentPerform` was tried first: with jobs of tens of
/// microseconds its worker often woke too late and the caller ran both halves.)
final class ChainHasher: @unchecked Sendable {
    private let request = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    // Written by the caller before `request.signal()`, read by the thread after
    // `request.wait()`; the result the other way round. The semaphores order them.
    private var previous: ChainHash?
    private var header: UnsafeRawBufferPointer?
    private var payload: UnsafeRawBufferPointer?
    private var result: (crc: UInt32, chain: ChainHash)?
    private var stopping = false

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "silverledger-chain-hasher"
        thread.start()
    }

    /// Starts the batch checksum and the chain link of a batch (its whole
    /// header and stored payload); the buffers must stay valid until ``finish()`` returns.
    func start(previous: ChainHash, header: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) {
        self.previous = previous
        self.header = header
        self.payload = payload
        request.signal()
    }

    /// Waits for the checksum and chain hash started last.
    func finish() -> (crc: UInt32, chain: ChainHash) {
        done.wait()
        return result!
    }

    /// Ends the thread (the owner calls this once, when it is done with the hasher).
    func shutdown() {
        stopping = true
        request.signal()
    }

    private func run() {
        while true {
            request.wait()
            if stopping { return }
            let header = header!, payload = payload!
            result = (BatchHeader.batchCRC(header: header, payload: payload),
                      previous!.next(headerPrefix: UnsafeRawBufferPointer(rebasing: header[0..<Format.batchChainedPrefix]), payload: payload))
            self.header = nil
            self.payload = nil
            done.signal()
        }
    }
}
