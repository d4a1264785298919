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
                // Sealed whole, then written as the header, the nonce, the ciphertext and the tag.
                #expect(fs.callCount(.pwrite) - writesBefore == 4)
                let stored = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
                #expect(stored.count == 8 + 4 + 12 + parts.joined().count + 16)
                #expect(Array(stored.prefix(8)) == Array("SLENCSC1".utf8))
                #expect(!stored.dropFirst(24).starts(with: parts[0]), "no piece in clear")
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
}
