import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerStorage

@Suite("Crashes: a writer killed at any moment loses no acknowledged record", .timeLimit(.minutes(120)))
struct CrashTests {
    /// Reads the whole store, checking the hash chain, that positions are contiguous and
    /// batches whole, and that the payloads from `decodeFrom` on (those written since
    /// the last check) are exactly what was written. Returns the record count.
    private func verify(_ log: Log, round: Int, decodeFrom: UInt64 = 0) throws -> UInt64 {
        let cursor = try log.cursor(verifyingChain: true)
        var next: UInt64 = 0
        var bad = 0
        while let batch = try cursor.nextBatch() {
            if batch.firstPosition != next {
                Issue.record("round \(round): batch at \(batch.firstPosition), expected \(next)")
                bad += 1
            }
            batch.forEach { position, _, bytes in
                guard position >= decodeFrom else { return }
                guard let fields = decodeCrashRecord(Array(bytes)) else {
                    if bad < 5 { Issue.record("round \(round): record \(position) does not hold what was written") }
                    bad += 1
                    return
                }
                if fields.position != position || fields.batchFirst != batch.firstPosition
                    || Int(fields.count) != batch.count || UInt64(fields.index) != position - batch.firstPosition {
                    if bad < 5 { Issue.record("round \(round): record \(position) is \(fields), batch \(batch.firstPosition)+\(batch.count)") }
                    bad += 1
                }
            }
            next = batch.firstPosition + UInt64(batch.count)
        }
        #expect(bad == 0)
        #expect(next == log.nextPosition)
        return next
    }

    /// On a clear store and on an encrypted one (FORMAT.md §20).
    @Test(arguments: [false, true])
    func killedWritersLoseNoAcknowledgedRecord(encrypted: Bool) throws {
        var options = LogOptions()
        if encrypted { options.encryptionKey = crashEncryptionKey }
        try withTemporaryDirectory { parent in
            let seed = UInt64.random(in: 0...UInt64.max)
            var rng = TestRNG(seed: seed)
            // CI kills 20 times; scripts/crash-soak.sh sets SILVERLEDGER_CRASH_ROUNDS for a long soak.
            let rounds = ProcessInfo.processInfo.environment["SILVERLEDGER_CRASH_ROUNDS"].flatMap(Int.init) ?? 20
            #expect(rounds >= 1)
            // A new store every `roundsPerStore` kills: each round reads its whole store back, so a soak on
            // one store would slow as it grows.
            let roundsPerStore = 100
            var dir = parent + "/store-0"
            var acknowledged: UInt64 = 0, acknowledgedInEarlierStores: UInt64 = 0
            var roundsWithAcks = 0
            var verified: UInt64 = 0

            /// The store's last checks: it opens with nothing to set aside, holds exactly what was
            /// acknowledged, rolled segments, and verifies (with the key: every record decrypted).
            func finish(_ dir: String, acknowledged: UInt64) throws {
                let log = try openLog(at: dir, options: options)
                #expect(log.recoveryReport.setAside.isEmpty)
                #expect(try verify(log, round: rounds) == acknowledged)
                #expect(log.segments.count > 1, "the rounds rolled segments")
                try log.close()
                let report = try Log.verify(at: dir, options: options)
                #expect(report.isIntact, "\(report.problems)")
                #expect(report.encryptionKeyID == (encrypted ? crashEncryptionKey.id : nil))
                #expect(report.encryptedPayloadsNotDecrypted == 0)
            }

            for round in 0..<rounds {
                if round > 0 && round % roundsPerStore == 0 {
                    try finish(dir, acknowledged: acknowledged)
                    try FileManager.default.removeItem(atPath: dir)
                    dir = parent + "/store-\(round / roundsPerStore)"
                    acknowledgedInEarlierStores += acknowledged
                    acknowledged = 0
                    verified = 0
                }
                let child = try ChildProcess(["append", dir] + (encrypted ? ["encrypted"] : []))
                let delay = rng.int(in: 10...300)
                // Three rounds in four count the delay from the child's "ready" (the kill lands among its
                // appends however long its start took: a sanitizer build on a busy machine takes hundreds of
                // milliseconds); the fourth from its start (the kill may land in the open and its recovery).
                if round % 4 != 3 { _ = child.waitForLine(prefix: "ready ") }
                usleep(useconds_t(delay * 1000))
                child.killAndReap()
                let lines = child.outputLines
                let acks = lines.compactMap { $0.hasPrefix("ack ") ? UInt64($0.dropFirst(4)) : nil }
                if let ready = lines.first(where: { $0.hasPrefix("ready ") }) {
                    // The child found at least what was acknowledged before (the parent's appends included).
                    let start = UInt64(ready.split(separator: " ")[2])
                    #expect(start.map { $0 >= acknowledged } == true, "round \(round): child started at \(ready), \(acknowledged) acknowledged")
                }
                #expect(!child.stderr.contains("silverledger-crash-child:"), "round \(round) (seed \(seed), encrypted: \(encrypted)): \(child.stderr)")
                #expect(acks == acks.sorted())
                if let last = acks.last {
                    #expect(last >= acknowledged)
                    acknowledged = last
                    roundsWithAcks += 1
                }

                let log = try openLog(at: dir, options: options)
                #expect(log.nextPosition >= acknowledged, "round \(round) (seed \(seed), delay \(delay) ms, encrypted: \(encrypted)): \(acknowledged) acknowledged")
                // Records checked in an earlier round are checked again only every fifth round.
                let count = try verify(log, round: round, decodeFrom: round % 5 == 4 ? 0 : verified)
                verified = count
                #expect(count >= acknowledged)
                // The log takes appends after the crash.
                let receipt = try log.append(crashBatch(first: count, count: 3))
                #expect(receipt.firstPosition == count)
                acknowledged = count + 3
                try log.close()
                if (round + 1) % 100 == 0 {
                    print("crash campaign (encrypted: \(encrypted)): \(round + 1) kills so far, \(acknowledgedInEarlierStores + acknowledged) records acknowledged, every one present")
                }
            }
            #expect(roundsWithAcks >= rounds / 2, "the child acknowledged appends in only \(roundsWithAcks) of \(rounds) rounds")
            try finish(dir, acknowledged: acknowledged)
            let stores = (rounds + roundsPerStore - 1) / roundsPerStore
            print("crash campaign (seed \(seed), encrypted: \(encrypted)): \(rounds) kills on \(stores) store\(stores == 1 ? "" : "s"), acknowledgements in \(roundsWithAcks) rounds, \(acknowledgedInEarlierStores + acknowledged) records acknowledged, every one present")
        }
    }
}
