import Dispatch
import SilverLedger
@_spi(Internals) import SilverLedgerStorage

/// The ledger's batches on their way into the store: checked by the ledger,
/// then handed, in order, to one queue that gives them to the store (which
/// checks them again, reserves their positions and builds their log batch).
/// The ledger checks the next batch meanwhile, on the other core.
///
/// Until the store has taken a batch, the ledger's checks of later batches
/// must still see it: its command ids and the streams it writes are kept here
/// until then. A check reads what is kept here first and the store second; a
/// batch leaves here only after the store has taken it, so whichever of the
/// two holds a batch at the moment, the check sees it.
final class Submissions: Sendable {
    /// A batch not yet taken by the store. Its ids are indexed at the first
    /// check that needs them: a batch the store takes before the next one is
    /// checked is never indexed (with one batch in flight, though, the store is
    /// usually still taking it). Its streams come indexed: the ledger counts
    /// them as it checks the batch.
    private struct Batch {
        var number: Int
        var commands: [CommandWrites]
        /// The fingerprints of the commands' ids, as the ledger computed them.
        var fingerprints: [UInt64]
        /// The events the batch writes to each stream.
        var streams: FingerprintTable<UInt64>
        var commandIDs: FingerprintTable<Void>? = nil

        /// The batch's command ids.
        mutating func indexedIDs() -> FingerprintTable<Void> {
            if let commandIDs { return commandIDs }
            var ids = FingerprintTable<Void>(capacity: commands.count)
            for i in commands.indices { ids.insert(commands[i].metadata.commandID, fingerprint: fingerprints[i], ()) }
            commandIDs = ids
            return ids
        }
    }

    private struct State {
        var batches: [Batch] = []
        var next = 0
        /// Why a batch queued was not written; no later batch is given to the
        /// store, and the ledger rebuilds its state before it goes on.
        var failure: DomainError?
    }

    private let queue = DispatchQueue(label: "silverledger.ledger.submissions")
    private let state = Locked(State())
    /// Held while the store takes a batch and it leaves here: a check that needs
    /// a stream's exact version takes it to see the batch in one place only.
    private let taking = Locked(())

    init() {}

    /// Why a queued batch was not written, if one was not.
    var failure: DomainError? { state.withLock { $0.failure } }

    /// Whether batches are queued and not yet taken by the store.
    var isEmpty: Bool { state.withLock { $0.batches.isEmpty } }

    /// For each id (with its ``EventStore/fingerprint(ofCommand:)``), whether a queued batch has the command.
    func queued(_ commandIDs: [String], fingerprints: [UInt64]) -> [Bool] {
        state.withLock { s in
            guard !s.batches.isEmpty else { return [Bool](repeating: false, count: commandIDs.count) }
            let indexes = s.batches.indices.map { s.batches[$0].indexedIDs() }
            return commandIDs.indices.map { i in indexes.contains { $0[commandIDs[i], fingerprint: fingerprints[i]] != nil } }
        }
    }

    /// Whether a queued batch writes to `stream` (whose ``Swift/String/quickFingerprint`` is `fingerprint`).
    func writes(_ stream: String, fingerprint: UInt64) -> Bool {
        state.withLock { s in
            guard !s.batches.isEmpty else { return false }
            return s.batches.indices.contains { s.batches[$0].streams[stream, fingerprint: fingerprint] != nil }
        }
    }

    /// The version of `stream`, counting the batches queued: waits while the
    /// store takes a batch, so that the batch is counted once. `fingerprint`
    /// is the stream's ``Swift/String/quickFingerprint``.
    func version(of stream: String, fingerprint: UInt64, in store: EventStore) -> UInt64? {
        taking.withLock { _ in
            let stored = store.version(of: stream)
            let queued = state.withLock { s -> UInt64 in
                guard !s.batches.isEmpty else { return 0 }
                return s.batches.indices.reduce(UInt64(0)) { $0 + (s.batches[$1].streams[stream, fingerprint: fingerprint] ?? 0) }
            }
            guard queued > 0 else { return stored }
            return stored.map { $0 + queued } ?? queued - 1
        }
    }

    /// Queues `commands` (their ids' fingerprints beside them) for `store`;
    /// returns what to wait on for the store's ticket. `streams` holds the
    /// events the commands write to each stream, as the ledger counted them
    /// while it checked the batch.
    func submit(_ commands: [CommandWrites], fingerprints: [UInt64], streams: FingerprintTable<UInt64>,
                to store: EventStore) -> Submission {
        let number = state.withLock { s in
            defer { s.next += 1 }
            s.batches.append(Batch(number: s.next, commands: commands, fingerprints: fingerprints, streams: streams))
            return s.next
        }
        let submission = Submission()
        queue.async { [self] in take(commands, number: number, for: store, into: submission) }
        return submission
    }

    /// Gives a queued batch to the store (on the queue), unless one before it failed.
    private func take(_ commands: [CommandWrites], number: Int, for store: EventStore, into submission: Submission) {
        taking.withLock { (_: inout Void) -> Void in
            let result: Result<CommandsTicket, DomainError>
            if let failure = self.failure {
                result = .failure(DomainError(
                    .store, english: "a batch of \(commands.count) commands was not written: a batch queued before it was not (\(failure.english))",
                    chinese: "一批\(commands.count)条指令未写入：此前排队的一批未能写入（\(failure.chinese)）", values: ["commands": "\(commands.count)"]))
            } else {
                do throws(EventStoreError) { result = .success(try store.enqueue(commands: commands, twoCores: false)) } catch {
                    result = .failure(DomainError(
                        .store, english: "the store refused a batch of \(commands.count) commands; none was written: \(error.message)",
                        chinese: "存储拒绝了一批\(commands.count)条指令，均未写入：\(error.message)", values: ["commands": "\(commands.count)"]))
                }
            }
            state.withLock { s in
                s.batches.removeAll { $0.number == number }
                if case .failure(let error) = result, s.failure == nil { s.failure = error }
            }
            submission.resolve(result)
        }
    }

    /// Records that a batch taken by the store could not be written.
    func fail(_ error: DomainError) {
        state.withLock { s in if s.failure == nil { s.failure = error } }
    }

    /// Returns when every batch queued before the call has been taken by the store (or refused).
    func drain() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in queue.async { done.resume() } }
    }

    /// Forgets the failure, once the ledger has rebuilt its state (after ``drain()``).
    func clearFailure() {
        state.withLock { $0.failure = nil }
    }

    /// Keeps queued batches from the store until ``release()`` (tests: batches in flight on purpose).
    func hold() { queue.suspend() }

    /// Lets the store take the batches held by ``hold()``.
    func release() { queue.resume() }
}

/// A batch handed to ``Submissions``: resolved with the store's ticket when the store has taken it.
typealias Submission = Promise<CommandsTicket, DomainError>
