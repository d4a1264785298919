import CCRC32C
import Crypto

/// The engine's inner loops, exposed to the benchmark package only so that it
/// can measure each against the whole (`@_spi(Benchmarks) import`). Not API.
@_spi(Benchmarks)
public enum StorageKernels {
    /// CRC32C of `bytes`.
    public static func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 { CRC32C.checksum(bytes) }

    /// Whether CRC32C runs on the CPU's SSE4.2 instruction.
    public static var crc32cIsHardwareAccelerated: Bool { CRC32C.isHardwareAccelerated }

    /// LZ4 block compression through liblz4; nil if the data does not shrink.
    public static func lz4Compress(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? { LZ4.compress(bytes) }

    /// LZ4 block decompression into a buffer of exactly the original size.
    public static func lz4Decompress(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        LZ4.decompress(bytes, into: output)
    }

    /// SHA-256 of `bytes` (swift-crypto), returning the first byte so the work cannot be elided.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
        SHA256.hash(data: bytes).withUnsafeBytes { $0[0] }
    }
}

/// Starts loading the cache line at `address` into the CPU's caches: issued a
/// few look-ups ahead of a probe into a table larger than the caches (the
/// command index, the cadre register), so that the misses overlap instead of
/// following one another. A hint only: it changes no value and never faults.
@_spi(Internals) @inlinable @inline(__always)
public func prefetch(_ address: UnsafeRawPointer) {
    silverledger_prefetch(address)
}
