import Foundation
import Testing

@testable import SilverLedgerStorage

private let keyA = try! SealKey(bytes: Array(0..<32))
private let keyB = try! SealKey(bytes: Array(100..<132))

/// Options that seal with `key`, in small segments, durable per append (so every commit may seal).
private func sealedOptions(_ key: SealKey?, segmentSize: Int = 8 << 10, sealInterval: Int64 = 0) -> LogOptions {
    var options = LogOptions(durability: .fsyncPerAppend)
    options.segmentSize = segmentSize
    options.sealKey = key
    options.sealInterval = sealInterval
    return options
}

/// Appends `count` batches of incompressible records (stored raw, so that a forger can edit them cleanly).
private func fill(_ dir: String, key: SealKey?, count: Int, seed: UInt64, sealInterval: Int64 = 0) throws -> UInt64 {
    let log = try Log.open(at: dir, options: sealedOptions(key, sealInterval: sealInterval))
    try appendAll(log, randomBatches(count, maxRecords: 4, maxBytes: 300, seed: seed))
    let next = log.nextPosition
    try log.close()
    return next
}

private func verify(_ dir: String, key: SealKey?, incremental: Bool = false) throws -> VerificationReport {
    var options = LogOptions()
    options.sealKey = key
    return try Log.verify(at: dir, options: options, incremental: incremental)
}

/// The seal records of a store.
private func seals(_ dir: String) throws -> [SealRecord] {
    let bytes = try fileBytes(dir + "/SEALS")
    return try stride(from: 0, to: bytes.count - bytes.count % SealRecord.length, by: SealRecord.length).map {
        try SealRecord.decode(bytes[$0..<($0 + SealRecord.length)], magic: SealRecord.sealMagic).get()
    }
}

extension SealProblem: CustomStringConvertible { public var description: String { message } }

@Suite("Seals: HMAC-SHA-256 over the chain head, and incremental verification")
struct SealTests {
    @Test func aSealedLogVerifiesWithItsKeyAndWithoutItSaysItIsNotChecked() throws {
        try withTemporaryDirectory { dir in
            let next = try fill(dir, key: keyA, count: 40, seed: 1)
            let records = try seals(dir)
            #expect(records.count >= 2, "sealed after commits, at rolls and at close")
            #expect(records.last?.position == next)
            #expect(records.map(\.sequence) == (0..<UInt64(records.count)).map { $0 })
            let checked = try verify(dir, key: keyA)
            #expect(checked.isIntact, "\(checked.problems)")
            #expect(checked.seals == records.count && checked.sealsChecked == records.count)
            #expect(checked.sealedThrough == next)
            let unchecked = try verify(dir, key: nil)
            #expect(unchecked.isIntact)
            #expect(unchecked.seals == records.count && unchecked.sealsChecked == 0)
            #expect(unchecked.sealedThrough == next, "checked against the chain, without the MAC")
        }
    }

    @Test func anUnsealedStoreIsReportedAsSuchWhenAKeyIsGiven() throws {
        try withTemporaryDirectory { dir in
            _ = try fill(dir, key: nil, count: 5, seed: 2)
            #expect(!FileManager.default.fileExists(atPath: dir + "/SEALS"))
            #expect(try verify(dir, key: nil).isIntact)
            let report = try verify(dir, key: keyA)
            #expect(!report.isIntact)
            #expect(report.firstDamage?.message.contains("has no seal") == true)
        }
    }

    @Test func aLogRewrittenWithAConsistentChainPassesWithoutTheKeyAndFailsWithIt() throws {
        try withTemporaryDirectory { dir in
            let next = try fill(dir, key: keyA, count: 40, seed: 3)
            try forgeConsistently(dir, at: next / 3)
            // The chain alone cannot tell: the forger recomputed it.
            let unkeyed = try Log.verify(at: dir)
            #expect(unkeyed.problems.allSatisfy { $0.kind == .index || $0.kind == .corruption && $0.path.hasSuffix("SEALS") },
                    "\(unkeyed.problems)")
            let keyed = try verify(dir, key: keyA)
            #expect(!keyed.isIntact)
            let damage = try #require(keyed.firstDamage)
            #expect(damage.path.hasSuffix("/SEALS"))
            #expect(damage.message.contains("was rewritten"), "\(damage)")
            #expect(damage.position.map { $0 > next / 3 } == true)
            // Reading the forged log still works: only the seals tell.
            let log = try Log.open(at: dir, options: sealedOptions(nil))
            #expect(try readAll(log, verifyingChain: true).count == Int(next))
            try log.close()
        }
    }

    @Test func aTailDeletedBelowASealIsFound() throws {
        try withTemporaryDirectory { dir in
            let next = try fill(dir, key: keyA, count: 40, seed: 4)
            // Cut the last segment at a batch boundary and move HEAD with it, as a careful vandal would.
            let last = try #require(try segmentPaths(dir).last)
            let locations = try batchLocations(inSegment: last)
            let cut = try #require(locations.count > 1 ? locations[locations.count - 2] : nil)
            try truncateFile(last, to: cut.offset)
            try rewindHead(dir, segment: last, before: cut)
            try removeIndexes(dir)
            for key in [keyA, nil] as [SealKey?] {
                // The seals beyond the cut tell, with the key or without it (checked against the chain).
                let report = try verify(dir, key: key)
                #expect(!report.isIntact)
                let damage = try #require(report.firstDamage)
                #expect(damage.message.contains("the log ends at position \(cut.header.firstPosition)"), "\(damage)")
                #expect(damage.message.contains("were removed"))
                #expect(damage.path.hasSuffix("/SEALS"))
                #expect(damage.position.map { $0 > cut.header.firstPosition && $0 <= next } == true)
            }
            // What the store alone cannot tell (SECURITY.md): the newest seals removed with the tail.
            let kept = try seals(dir).prefix { $0.position <= cut.header.firstPosition }.count
            try truncateFile(dir + "/SEALS", to: Int64(kept * SealRecord.length))
            #expect(try verify(dir, key: keyA).isIntact)
        }
    }

    @Test func sealsOfAnotherKeyAlteredOrDamagedAreReported() throws {
        try withTemporaryDirectory { dir in
            _ = try fill(dir, key: keyA, count: 10, seed: 5)
            let other = try verify(dir, key: keyB)
            #expect(other.firstDamage?.message.contains("made with another key (key id \(keyA.idHex), this key \(keyB.idHex))") == true,
                    "\(other.problems)")
            // A seal's position changed and its CRC recomputed: only the MAC can tell.
            var bytes = try fileBytes(dir + "/SEALS")
            bytes[16] ^= 0x01
            bytes.withUnsafeMutableBytes { b in
                UnsafeMutableRawBufferPointer(rebasing: b[0..<128]).storeLE(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<124])), at: 124)
            }
            try writeFile(dir + "/SEALS", bytes)
            let altered = try verify(dir, key: keyA)
            #expect(altered.firstDamage?.message.contains("seal 0 names this key but its MAC does not match") == true, "\(altered.problems)")
            #expect(altered.firstDamage?.offset == 0)
            // A flipped byte without the CRC recomputed: damage, with its place.
            try flipByte(at: 128 + 40, in: dir + "/SEALS")
            let damaged = try verify(dir, key: nil)
            #expect(damaged.firstDamage?.message.contains("seal 1: its CRC does not match") == true, "\(damaged.problems)")
            #expect(damaged.firstDamage?.offset == 128)
        }
    }

    @Test func aSealRecordCutShortByACrashIsANoticeAndIsWrittenOver() throws {
        try withTemporaryDirectory { dir in
            _ = try fill(dir, key: keyA, count: 6, seed: 6)
            let whole = try fileSize(dir + "/SEALS")
            try appendToFile(dir + "/SEALS", Array(repeating: 0xAB, count: 50))
            let report = try verify(dir, key: keyA)
            #expect(report.isIntact)
            #expect(report.problems.contains { $0.kind == .notice && $0.offset == whole })
            let next = try fill(dir, key: keyA, count: 3, seed: 7)
            #expect(try fileSize(dir + "/SEALS") % Int64(SealRecord.length) == 0)
            #expect(try seals(dir).last?.position == next)
            #expect(try verify(dir, key: keyA).problems.isEmpty)
        }
    }

    @Test func anUnsyncedLogIsSealedOnlyWhereItWasSynced() throws {
        try withTemporaryDirectory { dir in
            var options = fastOptions()
            options.sealKey = keyA
            options.sealInterval = 0
            let log = try Log.open(at: dir, options: options)
            try appendAll(log, randomBatches(10, seed: 8))
            // Nothing synced since the open sealed the empty log: no seal covers these records.
            #expect(try seals(dir).map(\.position) == [0])
            try log.close()
            #expect(try seals(dir).map(\.position) == [0, log.nextPosition])
        }
    }

    @Test func incrementalVerificationTakesUpWhereTheLastOneEndedAndStillFindsARewrite() throws {
        try withTemporaryDirectory { dir in
            let first = try fill(dir, key: keyA, count: 60, seed: 9)
            let whole = try verify(dir, key: keyA, incremental: true)
            #expect(whole.isIntact && whole.resumedFrom == nil && whole.firstPosition == 0)
            #expect(FileManager.default.fileExists(atPath: dir + "/VERIFIED"))
            let next = try fill(dir, key: keyA, count: 30, seed: 10)
            let incremental = try verify(dir, key: keyA, incremental: true)
            #expect(incremental.isIntact, "\(incremental.problems)")
            #expect(incremental.resumedFrom == first)
            #expect(incremental.firstPosition > 0 && incremental.firstPosition <= first, "from the segment holding \(first)")
            #expect(incremental.batches < whole.batches + 30)
            #expect(incremental.nextPosition == next)
            // Without the key, or asked for the whole log: from the start.
            #expect(try verify(dir, key: nil, incremental: true).firstPosition == 0)
            #expect(try verify(dir, key: keyA).firstPosition == 0)
            // A rewrite before the resume point, chain recomputed to the end: the chain hash there differs.
            _ = try verify(dir, key: keyA, incremental: true)
            try forgeConsistently(dir, at: 3)
            let forged = try verify(dir, key: keyA, incremental: true)
            #expect(!forged.isIntact)
            #expect(forged.problems.contains { $0.path.hasSuffix("/VERIFIED") && $0.message.contains("was rewritten") }, "\(forged.problems)")
        }
    }

    @Test func aVerifiedRecordAlteredWithoutTheKeyIsReportedAndTheWholeLogIsVerified() throws {
        try withTemporaryDirectory { dir in
            _ = try fill(dir, key: keyA, count: 30, seed: 11)
            _ = try verify(dir, key: keyA)
            var bytes = try fileBytes(dir + "/VERIFIED")
            bytes[16] ^= 0x01   // its position, CRC recomputed
            bytes.withUnsafeMutableBytes { b in b.storeLE(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<124])), at: 124) }
            try writeFile(dir + "/VERIFIED", bytes)
            let report = try verify(dir, key: keyA, incremental: true)
            #expect(report.resumedFrom == nil && report.firstPosition == 0)
            #expect(report.problems.contains { $0.path.hasSuffix("/VERIFIED") && $0.message.contains("MAC does not match") })
        }
    }

    @Test func keyFilesAreCheckedForLengthDigitsAndMode() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/key"
            let (key, text) = SealKey.generated()
            try writeFile(path, Array(text.utf8))
            chmod(path, 0o600)
            #expect(try SealKey(contentsOfFile: path).id == key.id)
            chmod(path, 0o644)
            #expect(storageError { _ = try SealKey(contentsOfFile: path) }?.message.contains("mode 644") == true)
            chmod(path, 0o600)
            try writeFile(path, Array(text.utf8.dropLast(3)))
            #expect(storageError { _ = try SealKey(contentsOfFile: path) }?.message.contains("64 hexadecimal digits") == true)
            try writeFile(path, Array(String(repeating: "g", count: 64).utf8))
            #expect(storageError { _ = try SealKey(contentsOfFile: path) }?.code == .invalidArgument)
            #expect(storageError { _ = try SealKey(contentsOfFile: dir + "/none") }?.code == .io)
            #expect(storageError { _ = try SealKey(bytes: [1, 2, 3]) }?.message.contains("32 bytes; this one is 3") == true)
            #expect(SealKey.generated().key.id != key.id)
        }
    }

    @Test func theIndependentVerifierChecksTheSealsAlike() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store", keyFile = dir + "/key", otherKeyFile = dir + "/other"
            let next = try fill(store, key: keyA, count: 40, seed: 12)
            try writeFile(keyFile, Array((Array(0..<32) as [UInt8]).map { String(format: "%02x", $0) }.joined().utf8))
            try writeFile(otherKeyFile, Array(String(repeating: "ab", count: 32).utf8))
            let intact = try independentVerifier(store, arguments: ["--key-file=" + keyFile])
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("checked with the key"))
            let other = try independentVerifier(store, arguments: ["--key-file=" + otherKeyFile])
            #expect(other.status == 1 && other.output.contains("made with another key"), "\(other.output)")
            try forgeConsistently(store, at: next / 2)
            let forged = try independentVerifier(store, arguments: ["--key-file=" + keyFile])
            #expect(forged.status == 1 && forged.output.contains("was rewritten"), "\(forged.output)")
        }
    }

    @Test func aRepairSetsTheSealsAsideAndTheWriterSealsTheCutLogAnew() throws {
        try withTemporaryDirectory { dir in
            let next = try fill(dir, key: keyA, count: 40, seed: 13)
            _ = try verify(dir, key: keyA)   // writes VERIFIED too
            let segment = try #require(try segmentPaths(dir).first)
            let damaged = try #require(try batchLocations(inSegment: segment).dropFirst(2).first)
            try flipByte(at: damaged.offset + 100, in: segment)
            let repair = try Log.repair(at: dir)
            #expect(repair.repaired && repair.nextPosition == damaged.header.firstPosition && repair.nextPosition < next)
            #expect(repair.setAside.contains { $0.hasSuffix("recovered/SEALS") } && repair.setAside.contains { $0.hasSuffix("recovered/VERIFIED") })
            #expect(!FileManager.default.fileExists(atPath: dir + "/SEALS"))
            #expect(try seals(dir + "/recovered").count > 0, "the old seals are kept as evidence")
            let log = try Log.open(at: dir, options: sealedOptions(keyA))
            try log.close()
            #expect(try seals(dir).map(\.position) == [repair.nextPosition])
            let report = try verify(dir, key: keyA)
            #expect(report.isIntact && report.sealedThrough == repair.nextPosition, "\(report.problems)")
        }
    }

    @Test func theWorkedSealOfFormatMdIsWhatTheCodeWrites() throws {
        // FORMAT.md §19: the seal a writer with key 00 01 … 1f records at the close of the §18 example store.
        let storeID = StoreID(bytes: hex("5926ea420b799e113824e33b34ee2998"))
        let chain = ChainHash(bytes: hex("748f7fd3b69f4616be3b32b0e1dd5248b292917b3283cacc90e1818353018122"))
        let record = SealRecord(magic: SealRecord.sealMagic, sequence: 1, position: 5, chainHash: chain, sealedAt: 1_700_000_000_000_000,
                                key: keyA, storeID: storeID)
        #expect(keyA.idHex == "ab24d8478b781d5f029a3cb627739a7b")
        #expect(record.encoded() == hex("""
            534c5345414c30310100000000000000050000000000000074 8f7fd3b69f4616be3b32b0e1dd5248b292917b3283cacc90e1818353018122\
            00401e18240a0600ab24d8478b781d5f029a3cb627739a7b14c528ed7f52273f1c9240f686387c4901c23f4f0799fe4c31ab67cdef2b2bcd\
            000000000000000000000000 30492e12
            """))
        #expect(record.isMade(by: keyA, storeID: storeID))
        #expect(!record.isMade(by: keyB, storeID: storeID))
        #expect(!record.isMade(by: keyA, storeID: StoreID(bytes: Array(repeating: 0, count: 16))), "bound to its store")
    }
}

/// The bytes of hexadecimal text (spaces ignored).
private func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}
