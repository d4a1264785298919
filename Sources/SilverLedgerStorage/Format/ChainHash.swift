import Crypto

/// A SHA-256 link of the hash chain: each batch's chain hash is
/// SHA-256(previous chain hash ‖ the batch's header bytes 0..<56 ‖ its stored payload).
package struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes of the hash, in order, kept inline: a link is made for
    /// every batch written and read, and a header holding it is copied freely.
    private var words: (UInt64, UInt64, UInt64, UInt64)

    package init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self = bytes.withUnsafeBytes { ChainHash($0) }
    }

    package init(_ buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count == 32)
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: buffer) }
    }

    /// The 32 bytes of the hash.
    package var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Calls `body` with the 32 bytes of the hash.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    package static func == (a: ChainHash, b: ChainHash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// The value the first batch chains from: SHA-256("SilverLedger genesis v1" ‖ store id).
    package static func genesis(storeID: StoreID) -> ChainHash {
        var hasher = SHA256()
        hasher.update(data: Array("SilverLedger genesis v1".utf8))
        hasher.update(data: storeID.bytes)
        return hasher.finalize().withUnsafeBytes { ChainHash($0) }
    }

    /// The next link: SHA-256(self ‖ headerPrefix ‖ payload).
    package func next(headerPrefix: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: headerPrefix)
        hasher.update(bufferPointer: payload)
        return hasher.finalize().withUnsafeBytes { ChainHash($0) }
    }

    package var description: String { bytes.hexString }
}

extension Array where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
