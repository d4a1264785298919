#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from the storage engine.
///
/// Every error says what went wrong in a sentence a person can act on, and
/// carries the place it concerns: the file, the byte offset in it and the log
/// position, where those are known. Match on ``code`` to handle a kind of
/// error; read ``description`` to tell a person.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error. New codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io, corrupted, locked, notAStore, incompatibleFormat, invalidArgument
            case closed, failed, positionOutOfRange, readOnly, encryptionKey
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A system call failed (see ``StorageError/errno``).
        public static let io = Code(.io)
        /// A checksum, the hash chain or the structure of a file is wrong.
        public static let corrupted = Code(.corrupted)
        /// Another writer holds the store's lock.
        public static let locked = Code(.locked)
        /// The store is encrypted and no key, or another key, was given; or a
        /// key was given for a store that is not encrypted (FORMAT.md §20).
        public static let encryptionKey = Code(.encryptionKey)
        /// The directory is not a SilverLedger store (or its manifest is missing).
        public static let notAStore = Code(.notAStore)
        /// The store was written by a format version this build cannot read.
        public static let incompatibleFormat = Code(.incompatibleFormat)
        /// An argument broke a rule (too large a batch, a timestamp going backwards, ...).
        public static let invalidArgument = Code(.invalidArgument)
        /// The log was closed.
        public static let closed = Code(.closed)
        /// An earlier write or sync failed; the log refuses appends until it is reopened.
        public static let failed = Code(.failed)
        /// A position beyond the end of the log was asked for.
        public static let positionOutOfRange = Code(.positionOutOfRange)
        /// The log was opened read-only.
        public static let readOnly = Code(.readOnly)

        public var description: String {
            switch value {
            case .io: "I/O error"
            case .corrupted: "corrupted"
            case .locked: "locked"
            case .notAStore: "not a store"
            case .incompatibleFormat: "incompatible format"
            case .invalidArgument: "invalid argument"
            case .closed: "closed"
            case .failed: "failed"
            case .positionOutOfRange: "position out of range"
            case .readOnly: "read-only"
            case .encryptionKey: "encryption key"
            }
        }
    }

    /// The kind of error.
    public var code: Code
    /// What went wrong, in one sentence.
    public var message: String
    /// The file concerned, if any.
    public var path: String?
    /// The byte offset in ``path`` concerned, if any.
    public var offset: Int64?
    /// The log position concerned, if any.
    public var position: UInt64?
    /// The `errno` of the failed system call, for ``Code/io``.
    public var errno: Int32?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, path: String? = nil, offset: Int64? = nil,
        position: UInt64? = nil, errno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.position = position
        self.errno = errno
    }

    public var description: String {
        var parts = ["\(code): \(message)"]
        if let path { parts.append("file \(path)") }
        if let offset { parts.append("offset \(offset)") }
        if let position { parts.append("position \(position)") }
        if let errno { parts.append("errno \(errno) (\(String(cString: strerror(errno))))") }
        return parts.joined(separator: ", ")
    }

    static func io(_ call: String, path: String, errno: Int32, offset: Int64? = nil) -> StorageError {
        StorageError(.io, "\(call) failed: \(String(cString: strerror(errno)))", path: path, offset: offset, errno: errno)
    }

    static func corrupted(_ message: String, path: String, offset: Int64, position: UInt64?) -> StorageError {
        StorageError(.corrupted, message, path: path, offset: offset, position: position)
    }
}
