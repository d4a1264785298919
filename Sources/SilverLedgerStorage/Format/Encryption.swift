import Crypto
import Foundation

/// The key a store's payloads are encrypted with (AES-256-GCM, FORMAT.md §20).
///
/// A store created with a key (``LogOptions/encryptionKey``) encrypts every
/// batch payload, after compression, and every snapshot file; its `STORE`
/// names the key by its id. The hash chain and the checksums cover the
/// ciphertext, so `verify` checks a store's structure without the key; reading
/// its records, and checking their framing, needs it. Opening an encrypted
/// store without its key, or with another, fails with an error that names
/// both ids; a payload that does not decrypt is reported as damage, never
/// handed out.
///
/// Keep the key away from the store (another volume, a secrets manager), and
/// apart from the seal key: one key for one purpose.
public struct EncryptionKey: Sendable {
    /// The key's 32 bytes (`SymmetricKey` is not `Sendable`; one is made per use).
    private let bytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// 4 bytes naming the key (from SHA-256 of a label and the key), never 0:
    /// in `STORE` and in each encrypted batch header.
    public let id: UInt32

    /// The bytes a payload grows by when encrypted: a 12-byte nonce before it, a 16-byte tag after it.
    static let overhead = 28

    /// A key of exactly 32 bytes.
    public init(bytes: [UInt8]) throws(StorageError) {
        guard bytes.count == 32 else {
            throw StorageError(.invalidArgument, "an encryption key is 32 bytes; this one is \(bytes.count)")
        }
        self.bytes = bytes
        let digest = KeyFile.digest(label: "SilverLedger encryption key id v1", key: bytes)
        let id = UInt32(digest[0]) | UInt32(digest[1]) << 8 | UInt32(digest[2]) << 16 | UInt32(digest[3]) << 24
        self.id = id == 0 ? 1 : id
    }

    /// The key in a key file: 64 hexadecimal digits (an optional final newline),
    /// as ``generated()`` writes them, in a file only its owner may read (mode 0600 or stricter).
    public init(contentsOfFile path: String) throws(StorageError) {
        try self.init(bytes: KeyFile.read(path))
    }

    /// A new random key (from the system's secure generator) and its key-file text.
    public static func generated() -> (key: EncryptionKey, fileText: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // 32 bytes always make a key.
        return (try! EncryptionKey(bytes: bytes), bytes.hexString + "\n")
    }

    /// The key's id as 8 hexadecimal digits.
    public var idHex: String { Self.hexID(id) }

    /// A key id as 8 hexadecimal digits, as ``idHex`` writes it.
    public static func hexID(_ id: UInt32) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// `plaintext` encrypted and authenticated together with `associated`
    /// (not stored): a fresh random nonce, the ciphertext, the tag.
    func seal(_ plaintext: UnsafeRawBufferPointer, associated: UnsafeRawBufferPointer) -> [UInt8] {
        let box = sealedBox(plaintext, associated: associated)
        var out = [UInt8]()
        out.reserveCapacity(plaintext.count + Self.overhead)
        out.append(contentsOf: box.nonce)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        return out
    }

    /// `plaintext` sealed as ``seal(_:associated:)`` seals it, as its parts:
    /// a large file's ciphertext is then written without a copy.
    func sealedBox(_ plaintext: UnsafeRawBufferPointer, associated: UnsafeRawBufferPointer) -> AES.GCM.SealedBox {
        // AES-GCM with a system random nonce fails only if the system has no randomness.
        try! AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: associated)
    }

    /// The plaintext of `box`, or nil if it does not authenticate.
    func open(_ box: AES.GCM.SealedBox, associated: UnsafeRawBufferPointer) -> Data? {
        try? AES.GCM.open(box, using: key, authenticating: associated)
    }

    /// The plaintext of what ``seal(_:associated:)`` made, or nil if it does not
    /// authenticate (another key, other associated data, or changed bytes).
    func open(_ sealed: UnsafeRawBufferPointer, associated: UnsafeRawBufferPointer) -> [UInt8]? {
        guard sealed.count >= Self.overhead,
              let box = try? AES.GCM.SealedBox(combined: sealed),
              let plaintext = open(box, associated: associated) else { return nil }
        return Array(plaintext)
    }
}

/// Key files: 32 bytes as 64 hexadecimal digits, readable by their owner only.
enum KeyFile {
    /// SHA-256 of `label` and `key`: what a key's id is taken from (each kind of key has its label).
    static func digest(label: String, key: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(label.utf8))
        hasher.update(data: key)
        return Array(hasher.finalize())
    }

    /// The 32 bytes of the key file at `path`.
    static func read(_ path: String) throws(StorageError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StorageError(.io, "cannot read the key file \(path): \(String(cString: strerror(errno)))", path: path, errno: errno)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StorageError(.invalidArgument, "the key file \(path) has mode \(String(info.st_mode & 0o777, radix: 8)): others may read it; make it 0600", path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StorageError(.io, "cannot read the key file \(path)", path: path)
        }
        var text = Array(data)
        if text.last == UInt8(ascii: "\n") { text.removeLast() }
        guard text.count == 64, let bytes = hexBytes(text) else {
            throw StorageError(.invalidArgument, "the key file \(path) must hold 64 hexadecimal digits (32 bytes); it holds \(data.count) bytes that are not that", path: path)
        }
        return bytes
    }

    private static func hexBytes(_ text: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i + 1 < text.count {
            guard let high = nibble(text[i]), let low = nibble(text[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}

/// Snapshot and index files (`snapshots/`) of an encrypted store: `SLENCSC2`,
/// the key id and the chunk size, then the content sealed in chunks, each
/// with its index, whether it is the last, and the file's name in its
/// associated data (FORMAT.md §20). `SLENCSC1` files, sealed whole, are read.
enum SidecarEncryption {
    /// Files sealed whole (written before session 18; still read).
    static let magic = Array("SLENCSC1".utf8)
    /// Files sealed in chunks (FORMAT.md §20).
    static let chunkedMagic = Array("SLENCSC2".utf8)
    /// The plaintext bytes of each chunk but the last.
    static let chunkSize = 1 << 20

    /// Seals a sidecar file's bytes in chunks as they come, so that the file
    /// is never whole in memory, clear or sealed: each chunk is AES-GCM with
    /// its own nonce, and its index and whether it is the last are in its
    /// associated data, so a file cut at a chunk's end, or with chunks
    /// swapped, does not decrypt.
    struct Sealer {
        private let key: EncryptionKey
        private let name: [UInt8]
        private let chunk: Int
        private var pending: [UInt8] = []
        private var index: UInt64 = 0

        init(key: EncryptionKey, name: String, chunk: Int = SidecarEncryption.chunkSize) {
            precondition(chunk > 0 && chunk <= Int(UInt32.max))
            self.key = key
            self.name = Array(name.utf8)
            self.chunk = chunk
            pending.reserveCapacity(chunk)
        }

        /// The file's first 16 bytes: the magic, the key id, the chunk size.
        var header: [UInt8] {
            var bytes = SidecarEncryption.chunkedMagic
            bytes.appendLE(key.id)
            bytes.appendLE(UInt32(chunk))
            return bytes
        }

        /// Takes `bytes`, handing each chunk to `emit` sealed once a byte after it comes.
        mutating func add(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(StorageError) -> Void) throws(StorageError) {
            var rest = bytes
            while !rest.isEmpty {
                // A full chunk is sealed only when more follows: the last one is sealed as the last.
                if pending.count == chunk { try seal(last: false, emit: emit) }
                let n = min(chunk - pending.count, rest.count)
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<n]))
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
        }

        /// Seals what is left as the last chunk (empty if the file is).
        mutating func finish(emit: (UnsafeRawBufferPointer) throws(StorageError) -> Void) throws(StorageError) {
            try seal(last: true, emit: emit)
        }

        private mutating func seal(last: Bool, emit: (UnsafeRawBufferPointer) throws(StorageError) -> Void) throws(StorageError) {
            let associated = SidecarEncryption.chunkAssociated(keyID: key.id, chunk: UInt32(chunk), index: index, last: last, name: name)
            let box = pending.withUnsafeBytes { p in associated.withUnsafeBytes { key.sealedBox(p, associated: $0) } }
            try Array(box.nonce).withBytes { (b) throws(StorageError) in try emit(b) }
            var failure: StorageError?
            box.ciphertext.withUnsafeBytes { (ciphertext: UnsafeRawBufferPointer) in
                do throws(StorageError) { try emit(ciphertext) } catch { failure = error }
            }
            if let failure { throw failure }
            try Array(box.tag).withBytes { (b) throws(StorageError) in try emit(b) }
            pending.removeAll(keepingCapacity: true)
            index += 1
        }
    }

    /// A chunk's associated data: the magic, the key id, the chunk size, the
    /// chunk's index, 1 if it is the last (else 0), the file's name.
    static func chunkAssociated(keyID: UInt32, chunk: UInt32, index: UInt64, last: Bool, name: [UInt8]) -> [UInt8] {
        var bytes = chunkedMagic
        bytes.appendLE(keyID)
        bytes.appendLE(chunk)
        bytes.appendLE(index)
        bytes.append(last ? 1 : 0)
        bytes += name
        return bytes
    }

    /// The plaintext of an encrypted sidecar file's `bytes` (`SLENCSC2`, or
    /// `SLENCSC1` as files written before were).
    static func open(_ bytes: consuming [UInt8], name: String, path: String, key: EncryptionKey) throws(StorageError) -> [UInt8] {
        guard bytes.count >= 12 else { throw notSidecar(path) }
        let keyID = bytes.withUnsafeBytes { $0.loadLE(UInt32.self, at: 8) }
        let chunked = bytes[0..<8].elementsEqual(chunkedMagic)
        guard chunked || bytes[0..<8].elementsEqual(magic) else { throw notSidecar(path) }
        guard keyID == key.id else {
            throw StorageError(.corrupted, "the file is encrypted with key id \(EncryptionKey.hexID(keyID)); the store's key has id \(key.idHex)", path: path, offset: 8)
        }
        if chunked { return try openChunks(bytes, name: name, path: path, key: key) }
        guard bytes.count >= 12 + EncryptionKey.overhead else { throw notSidecar(path) }
        // Whole: each step's input let go once the next holds its bytes (the
        // file, the sealed box, the decrypted data).
        let associated = Self.associated(name: name, keyID: keyID)
        let box = bytes.withUnsafeBytes { b in try? AES.GCM.SealedBox(combined: UnsafeRawBufferPointer(rebasing: b[12...])) }
        _ = consume bytes
        guard let box, let plain = associated.withUnsafeBytes({ key.open(box, associated: $0) }) else {
            throw StorageError(.corrupted, "the file does not decrypt with the store's key (its authentication tag does not match)", path: path, offset: 12)
        }
        return Array(plain)
    }

    private static func notSidecar(_ path: String) -> StorageError {
        StorageError(.corrupted, "the store is encrypted, but this file is not an encrypted sidecar (no SLENCSC2 or SLENCSC1 header)", path: path, offset: 0)
    }

    /// The chunks of an `SLENCSC2` file, each checked, in order, the last one
    /// marked so: a file cut anywhere, or with chunks swapped, is refused.
    private static func openChunks(_ bytes: [UInt8], name: String, path: String, key: EncryptionKey) throws(StorageError) -> [UInt8] {
        guard bytes.count >= 16 + EncryptionKey.overhead else {
            throw StorageError(.corrupted, "the encrypted file is cut short (\(bytes.count) bytes; at least 44 needed)", path: path, offset: 0)
        }
        let chunk = Int(bytes.withUnsafeBytes { $0.loadLE(UInt32.self, at: 12) })
        guard chunk > 0 else { throw StorageError(.corrupted, "the encrypted file's chunk size is 0", path: path, offset: 12) }
        let name = Array(name.utf8)
        var plain: [UInt8] = []
        plain.reserveCapacity(bytes.count - 16)
        var offset = 16
        var index: UInt64 = 0
        while true {
            let remaining = bytes.count - offset
            guard remaining >= EncryptionKey.overhead else {
                throw StorageError(.corrupted, "chunk \(index) of the encrypted file is cut short (\(remaining) bytes left)", path: path, offset: Int64(offset))
            }
            // Whatever is left after a full chunk's room belongs to later chunks.
            let last = remaining <= EncryptionKey.overhead + chunk
            let length = last ? remaining - EncryptionKey.overhead : chunk
            let associated = chunkAssociated(keyID: key.id, chunk: UInt32(chunk), index: index, last: last, name: name)
            let opened: Data? = bytes.withUnsafeBytes { b in
                guard let nonce = try? AES.GCM.Nonce(data: UnsafeRawBufferPointer(rebasing: b[offset..<(offset + 12)])),
                      let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: UnsafeRawBufferPointer(rebasing: b[(offset + 12)..<(offset + 12 + length)]),
                                                       tag: UnsafeRawBufferPointer(rebasing: b[(offset + 12 + length)..<(offset + EncryptionKey.overhead + length)]))
                else { return nil }
                return associated.withUnsafeBytes { key.open(box, associated: $0) }
            }
            guard let opened else {
                throw StorageError(.corrupted, "chunk \(index) of the encrypted file does not decrypt with the store's key (damaged, cut short, reordered, or renamed from another file)",
                                   path: path, offset: Int64(offset))
            }
            plain.append(contentsOf: opened)
            offset += EncryptionKey.overhead + length
            index += 1
            if last { return plain }
        }
    }

    private static func associated(name: String, keyID: UInt32) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(keyID)
        bytes += Array(name.utf8)
        return bytes
    }
}
