import Crypto
import Foundation

/// The secret key of a store's seals (HMAC-SHA-256, FORMAT.md §19).
///
/// A writer given a key records seals: keyed MACs over the chain head at
/// points of the log. Someone who can write the files but has no key can
/// rewrite the log with a consistent hash chain, but cannot make seals for
/// it: ``Log/verify(at:from:options:incremental:progress:)`` with the key reports the
/// rewrite, and a log cut shorter than a seal.
///
/// Keep the key away from the store (another volume, a secrets manager):
/// whoever can read it can seal a forged log.
public struct SealKey: Sendable {
    /// The key's 32 bytes.
    private let bytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// 16 bytes naming the key (SHA-256 of a label and the key): stored in each
    /// seal, so that a seal made with another key is reported as such.
    public let id: [UInt8]

    /// A key of exactly 32 bytes.
    public init(bytes: [UInt8]) throws(StorageError) {
        guard bytes.count == 32 else {
            throw StorageError(.invalidArgument, "a seal key is 32 bytes; this one is \(bytes.count)")
        }
        self.bytes = bytes
        id = Array(KeyFile.digest(label: "SilverLedger seal key id v1", key: bytes).prefix(16))
    }

    /// The key in a key file: 64 hexadecimal digits (an optional final newline),
    /// as ``generated()`` writes them. The file must not be readable or
    /// writable by others than its owner (mode 0600 or stricter).
    public init(contentsOfFile path: String) throws(StorageError) {
        try self.init(bytes: KeyFile.read(path))
    }

    /// A new random key (from the system's secure generator) and its key-file text.
    public static func generated() -> (key: SealKey, fileText: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // 32 bytes always make a key.
        let key = try! SealKey(bytes: bytes)
        return (key, bytes.hexString + "\n")
    }

    /// The key's id in hexadecimal.
    public var idHex: String { id.hexString }

    func mac(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// Whether `mac` is this key's MAC of `message` (compared in constant time).
    func isMAC(_ mac: [UInt8], of message: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
    }
}

/// One 128-byte seal record (FORMAT.md §19): in `SEALS` (made by the writer)
/// or `VERIFIED` (made by a verification with the key).
struct SealRecord: Equatable {
    var magic: UInt64
    /// Its place in `SEALS` (0, 1, 2, …); 0 in `VERIFIED`.
    var sequence: UInt64
    /// Every record before this position is sealed.
    var position: UInt64
    /// The chain hash after the batch that ends at `position` (the genesis value at 0).
    var chainHash: ChainHash
    /// When it was made (microseconds since the epoch).
    var sealedAt: Int64
    var keyID: [UInt8]
    var mac: [UInt8]

    static let length = 128
    static let sealMagic = asciiMagic("SLSEAL01")
    static let verifiedMagic = asciiMagic("SLVRFY01")

    /// Bytes 0..<80: what the MAC covers, after the store id.
    private var sealedFields: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(80)
        bytes.appendLE(magic)
        bytes.appendLE(sequence)
        bytes.appendLE(position)
        bytes.append(contentsOf: chainHash.bytes)
        bytes.appendLE(sealedAt)
        bytes.append(contentsOf: keyID)
        return bytes
    }

    /// A record made now with `key`.
    init(magic: UInt64, sequence: UInt64, position: UInt64, chainHash: ChainHash, sealedAt: Int64, key: SealKey, storeID: StoreID) {
        self.magic = magic
        self.sequence = sequence
        self.position = position
        self.chainHash = chainHash
        self.sealedAt = sealedAt
        self.keyID = key.id
        self.mac = []
        self.mac = key.mac(storeID.bytes + sealedFields)
    }

    private init(magic: UInt64, sequence: UInt64, position: UInt64, chainHash: ChainHash, sealedAt: Int64, keyID: [UInt8], mac: [UInt8]) {
        self.magic = magic
        self.sequence = sequence
        self.position = position
        self.chainHash = chainHash
        self.sealedAt = sealedAt
        self.keyID = keyID
        self.mac = mac
    }

    func encoded() -> [UInt8] {
        var bytes = sealedFields
        bytes.append(contentsOf: mac)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 12))
        bytes.appendLE(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// The record in `bytes` (exactly 128), or what is wrong with it.
    static func decode(_ bytes: ArraySlice<UInt8>, magic expected: UInt64) -> Result<SealRecord, SealProblem> {
        guard bytes.count == length else { return .failure(.init("a seal record is \(length) bytes; this one is \(bytes.count)")) }
        return Array(bytes).withUnsafeBytes { b in
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<124])) == b.loadLE(UInt32.self, at: 124) else {
                return .failure(.init("its CRC does not match (damaged)"))
            }
            let magic: UInt64 = b.loadLE(at: 0)
            guard magic == expected else { return .failure(.init("its magic is not \(expected == sealMagic ? "SLSEAL01" : "SLVRFY01")")) }
            guard b[112..<124].allSatisfy({ $0 == 0 }) else { return .failure(.init("its reserved bytes are not zero")) }
            return .success(SealRecord(magic: magic, sequence: b.loadLE(at: 8), position: b.loadLE(at: 16),
                                       chainHash: ChainHash(UnsafeRawBufferPointer(rebasing: b[24..<56])), sealedAt: b.loadLE(at: 56),
                                       keyID: Array(b[64..<80]), mac: Array(b[80..<112])))
        }
    }

    /// Whether `key` made this record for the store `storeID`. A MAC compared in constant time.
    func isMade(by key: SealKey, storeID: StoreID) -> Bool {
        key.isMAC(mac, of: storeID.bytes + sealedFields)
    }
}

struct SealProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
