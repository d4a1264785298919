// Little-endian fixed-width integers and LEB128 varints: every multi-byte
// field of the on-disk format (docs/FORMAT.md) goes through these.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends `value` as an unsigned LEB128 varint (1 to 10 bytes).
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }
}

/// Reads an unsigned LEB128 varint at `offset`, advancing it. Returns nil if
/// the buffer ends first or the encoding is longer than ten bytes.
@inline(__always)
func readVarint(_ buffer: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while offset < buffer.count {
        let byte = buffer[offset]
        offset += 1
        if shift == 63 && byte > 1 { return nil }
        result |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return result }
        shift += 7
        if shift > 63 { return nil }
    }
    return nil
}

/// The number of bytes `appendVarint` writes for `value`.
@inline(__always)
func varintLength(_ value: UInt64) -> Int {
    var v = value
    var n = 1
    while v >= 0x80 { v >>= 7; n += 1 }
    return n
}

/// Eight ASCII bytes read as a little-endian UInt64: the file magics.
func asciiMagic(_ s: StaticString) -> UInt64 {
    precondition(s.utf8CodeUnitCount == 8)
    var value: UInt64 = 0
    for i in 0..<8 { value |= UInt64(s.utf8Start[i]) << (8 * UInt64(i)) }
    return value
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping the typed error (the standard library's is `rethrows`).
    package func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(StorageError) -> R) throws(StorageError) -> R {
        try withUnsafeBytes { b in Result { () throws(StorageError) -> R in try body(b) } }.get()
    }

    /// `withUnsafeMutableBytes` keeping the typed error.
    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(StorageError) -> R) throws(StorageError) -> R {
        try withUnsafeMutableBytes { b in Result { () throws(StorageError) -> R in try body(b) } }.get()
    }
}
