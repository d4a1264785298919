import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SilverLedgerStorage

/// Pieces of a sidecar file: `count` pieces of 1 to 300 bytes, seeded.
private func pieces(_ count: Int, seed: UInt64) -> [[UInt8]] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in (0..<(1 + Int(random.next() % 300))).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
}

@Suite("Sidecar files written in pieces: the same bytes as whole, nothing replaced by a failed write")
struct SidecarStreamingTests {
    private func options(_ fs: any FileSystem = POSIXFileSystem(), key: EncryptionKey? = nil) -> LogOptions {
        var o = LogOptions(durability: .fsyncPerAppend)
        o.fileSystem = fs
        o.encryptionKey = key
        return o
    }

    @Test(arguments: [false, true])
    func piecesWrittenOneByOneReadBackAsTheirConcatenation(encrypted: Bool) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let key = encrypted ? try EncryptionKey(bytes: Array(0..<32)) : nil
            let log = try openLog(at: dir, options: options(fs, key: key))
            let parts = pieces(40, seed: 7)
            let writesBefore = fs.callCount(.pwrite)
            var given: Int64 = 0
            try log.writeSidecar("big.snapshot") { (sink) throws(StorageError) in
                for part in parts { try sink.write(part) }
                given = sink.count
            }
            #expect(given == Int64(parts.joined().count))
            #expect(try log.readSidecar("big.snapshot") == Array(parts.joined()))
            let file = dir + "/snapshots/big.snapshot"
            if encrypted {
                // Less than a chunk: the header, then the one chunk's nonce, ciphertext and tag.
                #expect(fs.callCount(.pwrite) - writesBefore == 4)
                let stored = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
                #expect(stored.count == 16 + 12 + parts.joined().count + 16)
                #expect(Array(stored.prefix(8)) == Array("SLENCSC2".utf8))
                #expect(!stored.dropFirst(28).starts(with: parts[0]), "no piece in clear")
            } else {
                // One write per piece, in order, at the end of the ones before.
                #expect(fs.callCount(.pwrite) - writesBefore == parts.count)
                #expect(try Array(Data(contentsOf: URL(fileURLWithPath: file))) == Array(parts.joined()))
            }
            #expect(!FileManager.default.fileExists(atPath: file + ".tmp"))
            try log.close()
        }
    }

    @Test(arguments: [1, 3, 40])
    func aWriteThatFailsMidwayLeavesTheOldFileAndNoTemporaryOne(failingPiece: Int) throws {
        try withTemporaryDirectory { dir in
            let fs = FaultInjectingFileSystem()
            let log = try openLog(at: dir, options: options(fs))
            let old = Array("the indexes saved at the last close".utf8)
            try log.writeSidecar("store.index", old)
            fs.inject(.error(ENOSPC), into: .pwrite, atCall: failingPiece, pathContaining: "store.index")
            var reached = 0
            #expect {
                try log.writeSidecar("store.index") { (sink) throws(StorageError) in
                    for part in pieces(40, seed: 9) {
                        try sink.write(part)
                        reached += 1
                    }
                }
            } throws: { error in
                guard let error = error as? StorageError else { return false }
                return error.errno == ENOSPC && error.path?.hasSuffix("snapshots/store.index.tmp") == true
            }
            #expect(reached == failingPiece - 1, "the pieces after the failed one are not made")
            #expect(try log.readSidecar("store.index") == old)
            #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/store.index.tmp"))
            try log.close()
        }
    }

    @Test func aProducerThatThrowsReplacesNothing() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: options())
            try log.writeSidecar("a.snapshot", [1, 2, 3])
            #expect {
                try log.writeSidecar("a.snapshot") { (sink) throws(StorageError) in
                    try sink.write([9, 9, 9, 9])
                    throw StorageError(.invalidArgument, "the producer gave up")
                }
            } throws: { ($0 as? StorageError)?.message == "the producer gave up" }
            #expect(try log.readSidecar("a.snapshot") == [1, 2, 3])
            #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/a.snapshot.tmp"))
            try log.close()
        }
    }

    // MARK: Encrypted sidecars sealed in chunks (FORMAT.md §20)

    private let key = try! EncryptionKey(bytes: Array(100..<132))

    /// `plain` sealed in chunks of `chunk` bytes into `dir/name`, given in pieces of 1 to 10 bytes; the file's bytes.
    private func sealed(_ plain: [UInt8], chunk: Int, name: String = "x.snapshot", in dir: String) throws -> [UInt8] {
        var random = SplitMix64(seed: UInt64(plain.count))
        try POSIXFileSystem().writeAtomically(to: dir + "/" + name, directory: dir,
                                              sealingWith: SidecarEncryption.Sealer(key: key, name: name, chunk: chunk)) { (sink) throws(StorageError) in
            var at = 0
            while at < plain.count {
                let n = min(plain.count - at, 1 + Int(random.next() % 10))
                try sink.write(Array(plain[at..<(at + n)]))
                at += n
            }
        }
        return try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
    }

    @Test(arguments: [0, 1, 6, 7, 8, 21, 100])
    func aFileSealedInChunksReadsBackWhole(size: Int) throws {
        try withTemporaryDirectory { dir in
            let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let file = try sealed(plain, chunk: 7, in: dir)
            let chunks = max(1, (size + 6) / 7)
            #expect(file.count == 16 + chunks * 28 + size, "16 bytes of header, 28 of nonce and tag a chunk")
            #expect(Array(file.prefix(8)) == Array("SLENCSC2".utf8))
            #expect(file.withUnsafeBytes { $0.loadLE(UInt32.self, at: 12) } == 7)
            #expect(try SidecarEncryption.open(file, name: "x.snapshot", path: "x", key: key) == plain)
        }
    }

    @Test func aChunkedFileCutSwappedRenamedOrChangedIsRefusedWithItsChunk() throws {
        try withTemporaryDirectory { dir in
            let plain = (0..<30).map { UInt8($0) }   // chunks of 7, 7, 7, 7 and 2 bytes
            let file = try sealed(plain, chunk: 7, in: dir)
            let full = 28 + 7
            func refusal(_ bytes: [UInt8], name: String = "x.snapshot") -> StorageError? {
                do {
                    _ = try SidecarEncryption.open(bytes, name: name, path: "x", key: key)
                    return nil
                } catch { return error }
            }
            // The last chunk dropped: the one before it was not sealed as the last.
            let cut = Array(file.prefix(16 + 4 * full))
            #expect(refusal(cut)?.message.contains("chunk 3 of the encrypted file does not decrypt") == true)
            #expect(refusal(cut)?.offset == Int64(16 + 3 * full))
            // Cut inside a chunk, and cut to less than a chunk's nonce and tag.
            #expect(refusal(Array(file.prefix(16 + full + 10)))?.message.contains("chunk 1 ") == true)
            #expect(refusal(Array(file.prefix(16 + full + 20)))?.code == .corrupted)
            // Two chunks swapped.
            var swapped = file
            swapped.replaceSubrange((16 + full)..<(16 + 2 * full), with: file[16..<(16 + full)])
            swapped.replaceSubrange(16..<(16 + full), with: file[(16 + full)..<(16 + 2 * full)])
            #expect(refusal(swapped)?.message.contains("chunk 0 ") == true)
            // Another file's name.
            #expect(refusal(file, name: "y.snapshot")?.message.contains("chunk 0 ") == true)
            // One bit of the third chunk's ciphertext.
            var flipped = file
            flipped[16 + 2 * full + 12] ^= 1
            #expect(refusal(flipped)?.message.contains("chunk 2 ") == true)
            #expect(refusal(flipped)?.offset == Int64(16 + 2 * full))
            // Another key.
            let other = try EncryptionKey(bytes: Array(0..<32))
            #expect(throws: StorageError.self) { try SidecarEncryption.open(file, name: "x.snapshot", path: "x", key: other) }
            // The untouched file still reads.
            #expect(refusal(file) == nil)
        }
    }

    @Test func aFileSealedWholeBeforeChunksStillReads() throws {
        // SLENCSC1: the magic, the key id, then nonce ‖ ciphertext ‖ tag of the whole file,
        // with "SLENCSC1" ‖ key id ‖ name as associated data.
        let plain = Array("the indexes of a store written before session 18".utf8)
        var associated = Array("SLENCSC1".utf8)
        associated.appendLE(key.id)
        associated += Array("store.index".utf8)
        var file = Array("SLENCSC1".utf8)
        file.appendLE(key.id)
        file += plain.withUnsafeBytes { p in associated.withUnsafeBytes { key.seal(p, associated: $0) } }
        #expect(try SidecarEncryption.open(file, name: "store.index", path: "x", key: key) == plain)
        #expect(throws: StorageError.self) { try SidecarEncryption.open(file, name: "other.index", path: "x", key: key) }
    }
}
