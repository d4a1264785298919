import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerStorage

/// SQLite's I/O-error loop: a workload (create a store, append batches that
/// roll segments and checkpoint indexes, seal, close) is run again and again
/// with a fault at the Nth I/O call of any kind, N = 1, 2, 3, … until it runs
/// to the end without reaching the fault. After each fault: the error that
/// reached the caller names the injected failure, the store opens with the
/// real file system, verifies, and holds every acknowledged record, followed
/// only by whole batches of what was sent after them (written, but whose
/// acknowledgement the fault stopped).
@Suite("I/O-error loop: a fault at every call of a workload, one run each")
struct IOErrorLoopTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case enospc, eio, shortWrite, partialWriteThenEIO
        var testDescription: String { rawValue }

        func arm(_ fs: FaultInjectingFileSystem, at n: Int) {
            switch self {
            case .enospc: fs.injectAtAnyCall(n, error: ENOSPC)
            case .eio: fs.injectAtAnyCall(n, error: EIO)
            case .shortWrite: fs.injectAtAnyCall(n, error: EIO, write: .shortWrite(17))
            case .partialWriteThenEIO: fs.injectAtAnyCall(n, error: EIO, write: .partialWriteThenError(40, EIO))
            }
        }
    }

    /// The batches the workload sends, in order.
    private static let batches = randomBatches(14, maxRecords: 5, maxBytes: 700, seed: 77)

    /// How the workload's store is written: a sync per append or none, clear or encrypted.
    enum Setup: CaseIterable, CustomStringConvertible {
        case fsyncPerAppend, noSync, fsyncPerAppendEncrypted

        var durability: Durability { self == .noSync ? .none : .fsyncPerAppend }
        /// The options a reader of the store needs (its key, if encrypted).
        var readOptions: LogOptions {
            var options = LogOptions()
            if self == .fsyncPerAppendEncrypted { options.encryptionKey = try! EncryptionKey(bytes: Array(100..<132)) }
            return options
        }
        var description: String {
            switch self {
            case .fsyncPerAppend: "fsyncPerAppend"
            case .noSync: "none"
            case .fsyncPerAppendEncrypted: "fsyncPerAppend, encrypted"
            }
        }
    }

    /// Runs the workload on `fs`; returns the records acknowledged, in order,
    /// and the first error, if one reached the caller.
    private func workload(_ dir: String, _ fs: FaultInjectingFileSystem, setup: Setup) -> (acknowledged: [[UInt8]], error: (any Error)?) {
        var options = setup.readOptions
        options.durability = setup.durability
        options.fileSystem = fs
        options.segmentSize = 4 << 10   // a roll every few batches
        options.checkpointInterval = 2 << 10
        options.sealKey = try! SealKey(bytes: Array(repeating: 7, count: 32))
        options.sealInterval = 0
        var acknowledged: [[UInt8]] = []
        do {
            let log = try Log.open(at: dir, options: options)
            do {
                for batch in Self.batches {
                    try log.append(LogBatch(batch))
                    acknowledged += batch
                }
            } catch {
                try? log.close()
                return (acknowledged, error)
            }
            try log.close()
            return (acknowledged, nil)
        } catch {
            return (acknowledged, error)
        }
    }

    @Test(arguments: Kind.allCases, Setup.allCases)
    func everyCallOfTheWorkloadFailsOnceAndNothingAcknowledgedIsLost(_ kind: Kind, setup: Setup) throws {
        var n = 1
        var faults = 0
        while true {
            let outcome: Bool = try withTemporaryDirectory { parent in
                let dir = parent + "/store"
                let fs = FaultInjectingFileSystem()
                kind.arm(fs, at: n)
                let (acknowledged, error) = workload(dir, fs, setup: setup)
                guard fs.injectedCount > 0 else {
                    // The workload ran out before the Nth call: the loop is done.
                    #expect(error == nil, "no fault, no error: \(String(describing: error))")
                    #expect(acknowledged == Self.batches.flatMap { $0 })
                    return false
                }
                faults += 1
                let place = "fault \(kind) at call \(n) (\(fs.lastInjected.map { "\($0.operation) of \($0.path)" } ?? "?"))"
                if let error {
                    // The error names what failed: the injected fault, or the log refusing after it.
                    let text = "\(error)"
                    #expect(error is StorageError, "\(place): \(text)")
                    #expect(text.contains("injected fault") || text.contains("an earlier write failed") || text.contains("short")
                            || text.contains("wrote") || text.contains("no progress"), "\(place): \(text)")
                }
                try checkStore(dir, acknowledged: acknowledged, options: setup.readOptions, place: place)
                return true
            }
            guard outcome else { break }
            n += 1
        }
        #expect(faults >= 40, "the workload makes at least 40 I/O calls (\(faults) faults injected)")
        print("I/O-error loop, \(kind), \(setup): \(faults) runs, a fault at each call from 1 to \(faults); the run after the last went to the end")
    }

    /// The store (if the workload got as far as making one) opens, verifies and
    /// holds the acknowledged records, then only whole batches sent after them.
    private func checkStore(_ dir: String, acknowledged: [[UInt8]], options: LogOptions, place: String) throws {
        guard FileManager.default.fileExists(atPath: dir + "/STORE") else {
            #expect(acknowledged.isEmpty, "\(place): records acknowledged without a store")
            return
        }
        let log: Log
        do { log = try Log.open(at: dir, options: options) } catch {
            Issue.record("\(place): the store does not open after the fault: \(error)")
            return
        }
        let records = try readAll(log, verifyingChain: true).map(\.payload)
        try log.close()
        expectAcknowledgedThenWholeBatches(records, acknowledged: acknowledged, sent: Self.batches, place: place)
        let report = try Log.verify(at: dir, options: options)
        #expect(report.isIntact, "\(place): \(report.problems)")
        #expect(report.encryptionKeyID == options.encryptionKey?.id && report.encryptedPayloadsNotDecrypted == 0, "\(place)")
    }
}
