/// An error from the event store: a code to match on and a message naming the
/// rule and the values.
public struct EventStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error.
    public enum Code: Sendable, Hashable {
        /// A stream's version was not the one the append expected; nothing was written.
        case wrongExpectedVersion
        /// An event's type is not registered in the store's ``EventTypes``; nothing was written.
        case unregisteredEventType
        /// The append held no events, or a command id was reused for different events.
        case invalidAppend
        /// A stored event could not be decoded.
        case corruptedEvent
        /// The storage engine failed (see ``EventStoreError/storage``).
        case storage
        /// An earlier append failed after being queued; the store must be reopened.
        case failed
        /// The store was closed.
        case closed
    }

    /// The kind of error.
    public var code: Code
    /// What went wrong, with the values involved.
    public var message: String
    /// The stream concerned, if any.
    public var stream: String?
    /// For ``Code/wrongExpectedVersion``: what the append expected.
    public var expected: ExpectedVersion?
    /// For ``Code/wrongExpectedVersion``: the stream's actual last version (nil: no stream).
    public var actual: UInt64?
    /// The storage engine's error, for ``Code/storage``.
    public var storage: String?
    /// What kind of storage failure it was, for ``Code/storage`` (and
    /// ``Code/closed``, ``Code/failed``): lets a program tell a locked store
    /// from an I/O error or damage without parsing the message.
    public var storageKind: StorageKind?

    /// The kinds of storage failure.
    public enum StorageKind: String, Sendable, Hashable {
        /// The operating system refused or failed a read, write or sync.
        case io
        /// The bytes on disk fail their checks (checksum, chain, structure).
        case corrupted
        /// Another process holds the store's writer lock.
        case locked
        /// The directory is not a store (no manifest), or does not exist.
        case notAStore
        /// The store was written in a format this version does not read.
        case incompatibleFormat
        /// The store was opened read-only.
        case readOnly
        /// The store is encrypted and its key was not given (or another was),
        /// or a key was given for a store that is not encrypted.
        case encryptionKey
        /// Any other failure (see the message).
        case other
    }

    init(_ code: Code, _ message: String, stream: String? = nil, expected: ExpectedVersion? = nil, actual: UInt64? = nil, storage: String? = nil) {
        self.code = code
        self.message = message
        self.stream = stream
        self.expected = expected
        self.actual = actual
        self.storage = storage
    }

    public var description: String { message }
}
