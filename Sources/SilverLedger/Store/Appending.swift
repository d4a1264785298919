/// What an append expects of a stream's current version; a mismatch is a
/// ``EventStoreError/Code/wrongExpectedVersion`` and nothing is written.
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have this version (versions start at 0).
    case exact(UInt64)

    /// Whether a stream whose last event has version `actual` (nil: no stream) meets this expectation.
    public func isMet(by actual: UInt64?) -> Bool {
        switch self {
        case .any: true
        case .noStream: actual == nil
        case .exact(let v): actual == v
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .exact(let v): "version \(v)"
        }
    }
}

/// Events for one stream, with what the append expects of it.
public struct StreamWrite: Sendable {
    /// The stream, e.g. `cadre-000017`.
    public var stream: String
    /// The stream's key in the store's index. Hashed when the store needs it,
    /// before it takes its lock, not when the write is made: a ledger makes its
    /// writes on its own thread and the store takes them on another.
    var key: StreamKey { StreamKey(stream) }
    /// What the stream's current version must be.
    public var expectedVersion: ExpectedVersion
    /// The events, in order.
    public var events: [any Event]

    /// Events to append to `stream`.
    public init(stream: String, expectedVersion: ExpectedVersion = .any, events: [any Event]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// One command's writes and metadata, for an append of several commands at
/// once (``EventStore/append(commands:)``).
public struct CommandWrites: Sendable {
    /// The command's events, by stream.
    public var writes: [StreamWrite]
    /// Its business date, operator and command id.
    public var metadata: EventMetadata

    /// A command's writes and metadata.
    public init(_ writes: [StreamWrite], metadata: EventMetadata) {
        self.writes = writes
        self.metadata = metadata
    }
}

/// What an append wrote: the same value again when its command is sent again.
public struct AppendResult: Sendable, Hashable {
    /// The positions of the events written, in the whole log.
    public var positions: Range<UInt64>
    /// For each stream written, the version of its last event written.
    public var streamVersions: [String: UInt64] {
        get { lastVersions.dictionary }
        set { lastVersions = .many(newValue) }
    }
    /// When the events were recorded (microseconds since 1970-01-01 UTC).
    public var recordedAt: Int64
    /// ``streamVersions``, kept without a dictionary for the usual append to one stream.
    var lastVersions: LastVersions

    init(positions: Range<UInt64>, lastVersions: LastVersions, recordedAt: Int64) {
        self.positions = positions
        self.lastVersions = lastVersions
        self.recordedAt = recordedAt
    }

    init(positions: Range<UInt64>, streamVersions: [String: UInt64], recordedAt: Int64) {
        self.init(positions: positions, lastVersions: .many(streamVersions), recordedAt: recordedAt)
    }

    public static func == (a: AppendResult, b: AppendResult) -> Bool {
        a.positions == b.positions && a.recordedAt == b.recordedAt && a.lastVersions == b.lastVersions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(positions)
        hasher.combine(recordedAt)
        hasher.combine(streamVersions)
    }

    /// The last version written of each stream: one stream (most appends) or any number.
    enum LastVersions: Sendable, Equatable {
        case one(String, UInt64)
        case many([String: UInt64])

        var dictionary: [String: UInt64] {
            switch self {
            case .one(let stream, let version): [stream: version]
            case .many(let versions): versions
            }
        }

        static func == (a: LastVersions, b: LastVersions) -> Bool {
            if case .one(let s, let v) = a, case .one(let t, let w) = b { return s == t && v == w }
            return a.dictionary == b.dictionary
        }
    }
}
