import CCRC32C

/// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), as used by
/// iSCSI (RFC 3720), ext4 and LevelDB.
///
/// Values are finished checksums: start from 0, and continue a checksum by
/// passing it back in, so `extend(extend(0, a), b) == checksum(a + b)`.
/// Computed with the CPU's CRC32C instructions where available (SSE4.2 on
/// x86_64), else with a portable table implementation; both give the same result.
package enum CRC32C {
    /// Continues `crc` (0 to start) over `bytes` and returns the new checksum.
    /// An empty buffer, including one with a `nil` base address, returns `crc`.
    package static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return silverledger_crc32c_extend(crc, base, bytes.count)
    }

    /// Continues `crc` (0 to start) over `bytes` and returns the new checksum.
    package static func extend(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { extend(crc, $0) }
    }

    /// The CRC32C of `bytes`; 0 for an empty buffer.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        extend(0, bytes)
    }

    /// The CRC32C of `bytes`; 0 for an empty array.
    package static func checksum(_ bytes: [UInt8]) -> UInt32 {
        extend(0, bytes)
    }

    /// Whether checksums are computed with CPU CRC32C instructions (chosen once,
    /// at first use) rather than the portable table implementation.
    package static var isHardwareAccelerated: Bool {
        silverledger_crc32c_is_hardware_accelerated() != 0
    }
}
