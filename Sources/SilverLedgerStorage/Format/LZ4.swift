import CLZ4

/// LZ4 block compression through the system liblz4.
package enum LZ4 {
    /// The largest input liblz4 accepts in one block.
    package static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// Compresses `source`; returns nil if the result would not be smaller
    /// than the input (the caller then stores the input raw).
    package static func compress(_ source: UnsafeRawBufferPointer) -> [UInt8]? {
        guard source.count > 0, source.count <= maxInputSize else { return nil }
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        var written = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            let n = LZ4_compress_default(
                source.baseAddress!.assumingMemoryBound(to: CChar.self),
                UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(source.count), Int32(bound))
            written = Int(n)
            initialized = max(0, written)
        }
        guard written > 0, written < source.count else { return nil }
        return output
    }

    /// Decompresses `source` into `destination`, which must be exactly the
    /// uncompressed size. Returns false if the data is not a valid LZ4 block of that size.
    package static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Bool {
        guard source.count > 0, source.count <= Int(Int32.max), destination.count <= Int(Int32.max) else { return false }
        let n = LZ4_decompress_safe(
            source.baseAddress!.assumingMemoryBound(to: CChar.self),
            destination.baseAddress?.assumingMemoryBound(to: CChar.self),
            Int32(source.count), Int32(destination.count))
        return Int(n) == destination.count
    }
}
