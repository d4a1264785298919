// The machine's limits, on the same bytes: liblz4, CRC32C and SHA-256 alone on
// the store's own batches, and the disk's write + fdatasync rates.
import Foundation
@_spi(Benchmarks) import SilverLedgerStorage

/// One run of every kernel over the batches; seconds per batch of `recordsPerBatch` records.
struct KernelTimes {
    var compress: Double
    var decompress: Double
    var crc32c: Double
    var sha256: Double
}

enum Limits {
    /// Compresses, decompresses, checksums and hashes every batch once; the
    /// seconds per batch for each (CRC32C and SHA-256 over the compressed
    /// bytes, which is what the log checks and chains).
    static func kernels(_ framed: [[UInt8]], _ compressed: [[UInt8]]) -> KernelTimes {
        var out = [UInt8](repeating: 0, count: framed.map(\.count).max()!)
        var sink: UInt32 = 0
        let n = Double(framed.count)
        let compress = timed { for f in framed { sink &+= UInt32(f.withUnsafeBytes { StorageKernels.lz4Compress($0) }?.count ?? 0) } } / n
        let decompress = timed {
            for (i, c) in compressed.enumerated() {
                let ok = out.withUnsafeMutableBytes { o in
                    c.withUnsafeBytes { StorageKernels.lz4Decompress($0, into: UnsafeMutableRawBufferPointer(rebasing: o[0..<framed[i].count])) }
                }
                precondition(ok)
            }
        } / n
        let crc = timed { for c in compressed { sink &+= c.withUnsafeBytes { StorageKernels.crc32c($0) } } } / n
        let sha = timed { for c in compressed { sink &+= UInt32(c.withUnsafeBytes { StorageKernels.sha256($0) }) } } / n
        if sink == 0x5EED { note("") }
        return KernelTimes(compress: compress, decompress: decompress, crc32c: crc, sha256: sha)
    }

    /// `count` appending writes of `size` bytes, each followed by fdatasync, on one thread; seconds per write.
    static func writeAndSync(size: Int, count: Int, path: String, inPlace: Bool = false) throws -> Double {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else { throw SQLiteFailure(description: "cannot create \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        let chunk = [UInt8](repeating: 0x5A, count: size)
        if inPlace {
            // Allocated and synced first: each sync then writes only the block.
            _ = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            fsync(fd)
        }
        let t = timed {
            for i in 0..<count {
                let written = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(inPlace ? 0 : i * size)) }
                precondition(written == size)
                precondition(fdatasync(fd) == 0)
            }
        }
        return t / Double(count)
    }
}
