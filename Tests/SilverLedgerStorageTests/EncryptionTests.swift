import Foundation
import Testing

@testable import SilverLedgerStorage

private let keyA = try! EncryptionKey(bytes: Array(0..<32))
private let keyB = try! EncryptionKey(bytes: Array(50..<82))

private func options(_ key: EncryptionKey?, readOnly: Bool = false) -> LogOptions {
    var options = LogOptions(durability: .fsyncPerAppend)
    options.segmentSize = 8 << 10
    options.encryptionKey = key
    options.readOnly = readOnly
    return options
}

/// A record that names a cadre, long and repetitive enough to be compressed.
private func record(_ i: Int) -> [UInt8] {
    Array("走访记录 cadre C\(100_000 + i) 张三丰 省水利厅 杭州市西湖区 ".utf8) + Array(repeating: UInt8(65 + i % 26), count: 40)
}

/// Batches of 1–3 records, each record naming its cadre.
private let batches: [[[UInt8]]] = (0..<40).map { b in (0..<(1 + b % 3)).map { record(b * 3 + $0) } }

private func fill(_ dir: String, key: EncryptionKey?) throws {
    let log = try Log.open(at: dir, options: options(key))
    try appendAll(log, batches)
    try log.close()
}

/// Every file of the store, its subdirectories' included.
private func allFileBytes(_ dir: String) throws -> [(String, [UInt8])] {
    let names = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
    return try names.compactMap { name in
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return (name, try fileBytes(dir + "/" + name))
    }
}

private func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
    guard bytes.count >= needle.count else { return false }
    return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
}

@Suite("Encryption at rest: AES-256-GCM payloads and sidecar files, verifiable without the key")
struct EncryptionTests {
    @Test func anEncryptedStoreHoldsNoPlaintextAndReadsBackWithItsKey() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            let log = try Log.open(at: dir, options: options(keyA))
            try log.writeSidecar("state.snapshot", Array("snapshot of C100007 张三丰".utf8))
            #expect(try readAll(log, verifyingChain: true).map(\.payload) == batches.flatMap { $0 })
            #expect(try log.readSidecar("state.snapshot") == Array("snapshot of C100007 张三丰".utf8))
            #expect(log.segments.count > 1, "the store rolled")
            try log.close()
            // No file holds a cadre's id or name in clear.
            let files = try allFileBytes(dir)
            #expect(files.count >= 6)
            for (name, bytes) in files {
                #expect(!contains(bytes, Array("C100007".utf8)) && !contains(bytes, Array("张三丰".utf8)), "\(name) holds plaintext")
            }
            // STORE names the key; every batch is flagged, with the key id.
            let manifest = try fileBytes(dir + "/STORE")
            #expect(manifest[10] == 1 && manifest[11] == 0)
            #expect(manifest[40..<44].elementsEqual(withUnsafeBytes(of: keyA.id.littleEndian) { Array($0) }))
            var seen = 0
            for path in try segmentPaths(dir) {
                for location in try batchLocations(inSegment: path) {
                    #expect(location.header.flags & Format.flagEncrypted != 0 && location.header.keyID == keyA.id)
                    seen += 1
                }
            }
            #expect(seen == batches.count)
            let sidecar = try fileBytes(dir + "/snapshots/state.snapshot")
            #expect(Array(sidecar[0..<8]) == Array("SLENCSC2".utf8))
        }
    }

    @Test func aMissingOrWrongKeyIsAClearErrorAtOpen() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            for (key, readOnly) in [(nil, false), (nil, true), (keyB, false), (keyB, true)] as [(EncryptionKey?, Bool)] {
                do throws(StorageError) {
                    _ = try Log.open(at: dir, options: options(key, readOnly: readOnly))
                    Issue.record("opened with key \(key?.idHex ?? "none")")
                } catch {
                    #expect(error.code == .encryptionKey)
                    #expect(error.message.contains("encrypted with key id \(keyA.idHex)"), "\(error)")
                    if let key { #expect(error.message.contains("the key given has id \(key.idHex)"), "\(error)") }
                }
            }
        }
        try withTemporaryDirectory { dir in
            try fill(dir, key: nil)
            #expect(throws: StorageError.self) { try Log.open(at: dir, options: options(keyA)) }
            do throws(StorageError) { _ = try Log.open(at: dir, options: options(keyA)) } catch {
                #expect(error.code == .encryptionKey && error.message.contains("the store is not encrypted"), "\(error)")
            }
        }
    }

    @Test func verifyChecksTheStructureWithoutTheKeyAndTheRecordsWithIt() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            let without = try Log.verify(at: dir)
            #expect(without.isIntact, "\(without.problems)")
            #expect(without.encryptionKeyID == keyA.id)
            #expect(without.batches == batches.count && without.encryptedPayloadsNotDecrypted == batches.count)
            #expect(without.problems.contains { $0.kind == .notice && $0.message.contains("encrypted batch payloads") })
            let with = try Log.verify(at: dir, options: options(keyA))
            #expect(with.isIntact && with.problems.isEmpty, "\(with.problems)")
            #expect(with.encryptedPayloadsNotDecrypted == 0)
            #expect(with.records == UInt64(batches.flatMap { $0 }.count))
            #expect(throws: StorageError.self) { try Log.verify(at: dir, options: options(keyB)) }
        }
    }

    /// The independent verifier reads an encrypted store's structure from FORMAT.md alone.
    @Test func theIndependentVerifierChecksAnEncryptedStoresStructure() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            let log = try Log.open(at: dir, options: options(keyA))
            try log.writeSidecar("store.index", Array(repeating: 1, count: 64))   // encrypted whole: not compared
            try log.close()
            let intact = try independentVerifier(dir)
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("the store is encrypted (key id \(keyA.idHex))") && intact.output.contains("\(batches.count) encrypted"), "\(intact.output)")
            // A changed ciphertext byte (checksums left alone) is damage to it too.
            let first = try #require(try batchLocations(inSegment: try segmentPaths(dir)[0]).first)
            try flipByte(at: first.offset + Int64(Format.batchHeaderLength) + 20, in: try segmentPaths(dir)[0])
            let damaged = try independentVerifier(dir)
            #expect(damaged.status == 1 && damaged.output.contains("batch CRC mismatch"), "\(damaged.output)")
        }
    }

    /// Someone without the key changes a ciphertext byte and recomputes every
    /// checksum and chain hash: without the key nothing shows; with it, the
    /// payload does not decrypt, and readers never hand it out.
    @Test func aChangedCiphertextDoesNotDecrypt() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            try forgeConsistently(dir, at: 20) { payload in payload[payload.startIndex + 30] ^= 0x01 }
            #expect(try Log.verify(at: dir).isIntact, "without the key, a consistent rewrite cannot be seen (the seal's job)")
            let report = try Log.verify(at: dir, options: options(keyA))
            let damage = try #require(report.firstDamage)
            #expect(damage.kind == .corruption && damage.message.contains("does not decrypt"), "\(damage)")
            #expect(damage.position.map { $0 <= 20 } == true)
            let log = try Log.open(at: dir, options: options(keyA))
            #expect(throws: StorageError.self) { _ = try readAll(log) }
            try log.close()
        }
    }

    /// The header is the payload's associated data: a payload moved to another
    /// batch of the same length (chain recomputed) does not decrypt there.
    @Test func aPayloadMovedToAnotherBatchDoesNotDecrypt() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            let first = try segmentPaths(dir)[0]
            let locations = try batchLocations(inSegment: first)
            let bytes = try fileBytes(first)
            // Two batches of one record each, with payloads of the same length.
            let singles = locations.filter { $0.header.recordCount == 1 }
            let (a, b) = try #require(zip(singles, singles.dropFirst()).first { $0.header.storedLength == $1.header.storedLength })
            let moved = Array(bytes[(Int(a.offset) + Format.batchHeaderLength)..<(Int(a.offset) + a.header.totalLength)])
            try forgeConsistently(dir, at: b.header.firstPosition) { payload in payload.replaceSubrange(payload.indices, with: moved) }
            let report = try Log.verify(at: dir, options: options(keyA))
            let damage = try #require(report.firstDamage)
            #expect(damage.message.contains("moved from another batch") && damage.position == b.header.firstPosition, "\(damage)")
        }
    }

    @Test func aSidecarChangedOrRenamedDoesNotDecrypt() throws {
        try withTemporaryDirectory { dir in
            try fill(dir, key: keyA)
            let log = try Log.open(at: dir, options: options(keyA))
            try log.writeSidecar("a.snapshot", Array(repeating: 7, count: 100))
            var bytes = try fileBytes(dir + "/snapshots/a.snapshot")
            // Renamed: the name is associated data.
            try writeFile(dir + "/snapshots/b.snapshot", bytes)
            #expect { try log.readSidecar("b.snapshot") } throws: { ($0 as? StorageError)?.code == .corrupted }
            bytes[50] ^= 1
            try writeFile(dir + "/snapshots/a.snapshot", bytes)
            #expect { try log.readSidecar("a.snapshot") } throws: { ($0 as? StorageError)?.code == .corrupted }
            // A file left unencrypted in an encrypted store is refused too.
            try writeFile(dir + "/snapshots/c.snapshot", Array(repeating: 7, count: 100))
            #expect { try log.readSidecar("c.snapshot") } throws: { ($0 as? StorageError)?.message.contains("SLENCSC1") == true }
            try log.close()
        }
    }

    @Test func keyFilesAndIDs() throws {
        try withTemporaryDirectory { dir in
            let (key, text) = EncryptionKey.generated()
            #expect(text.count == 65 && key.id != 0)
            let path = dir + "/enc.key"
            try writeFile(path, Array(text.utf8))
            chmod(path, 0o644)
            #expect(throws: StorageError.self) { try EncryptionKey(contentsOfFile: path) }
            chmod(path, 0o600)
            #expect(try EncryptionKey(contentsOfFile: path).id == key.id)
            #expect(throws: StorageError.self) { try EncryptionKey(bytes: Array(repeating: 1, count: 16)) }
            #expect(keyA.id != keyB.id && keyA.idHex.count == 8)
        }
    }
}
