import Logging
import Synchronization
import SilverLedgerStorage

/// How an ``EventStore`` is opened.
public struct EventStoreOptions: Sendable {
    /// When an append is acknowledged, relative to the disk.
    public enum Durability: Sendable, Hashable {
        /// Each append is written and synced on its own before it returns. The default.
        case fsyncPerAppend
        /// Appends waiting at the same time share one write and one sync; each returns after it.
        case groupCommit
        /// Appends return once written to the operating system (bulk imports, tests):
        /// a power loss may lose acknowledged appends, never corrupt earlier ones.
        case none

        var storage: SilverLedgerStorage.Durability {
            switch self {
            case .fsyncPerAppend: .fsyncPerAppend
            case .groupCommit: .groupCommit
            case .none: .none
            }
        }
    }

    /// When appends are acknowledged (default: each synced before it returns).
    public var durability: Durability = .fsyncPerAppend
    /// Where the store reports what it does.
    public var logger = Logger(label: "silverledger")
    /// The clock that stamps events (microseconds since 1970-01-01 UTC).
    public var clock: @Sendable () -> Int64 = systemClockMicroseconds

    /// The defaults.
    public init() {}
}

/// An event store: streams of events in one append-only, hash-chained log.
///
/// ```swift
/// var types = EventTypes()
/// types.register(VisitLogged.self)
/// let store = try EventStore.open(at: "/var/lib/bureau/ledger", types: types)
/// let result = try await store.append(
///     [VisitLogged(cadre: "cadre-17", kind: "节日慰问")], to: "cadre-17", expectedVersion: .any,
///     metadata: EventMetadata(businessDate: LedgerDate("2024-02-09")!, recordedBy: "op-3", commandID: "cmd-1"))
/// for event in try store.readStream("cadre-17") { print(event.streamVersion, event.eventType) }
/// ```
///
/// Appends are checked and ordered by one writer: the expected versions of
/// every stream in an append are checked against the versions including all
/// appends accepted before it, so two appends cannot both pass a check that
/// only one may pass. An append is atomic (one batch of the log), durable when
/// it returns, and idempotent by command id, also across reopening.
public final class EventStore: Sendable {
    struct State: Sendable {
        /// The positions of each stream's events; an event's version is its index.
        var streams: [String: [UInt64]] = [:]
        var commands: [String: CommandEntry] = [:]
        /// The position the next accepted event gets (committed and in flight).
        var nextPosition: UInt64 = 0
        var failure: EventStoreError?
        var closed = false
    }

    enum CommandEntry: Sendable {
        case done(AppendResult)
        case pending(PendingAppend)
    }

    /// The event types this store decodes.
    public let types: EventTypes
    let log: any RecordLog
    let options: EventStoreOptions
    let state: Mutex<State>
    /// Held while an append is reserved and handed to the log, so that the log
    /// receives appends in the order their versions were reserved. The log's
    /// completions take only `state`, never this.
    private let submission = Mutex(())

    private init(log: any RecordLog, types: EventTypes, options: EventStoreOptions) throws(EventStoreError) {
        self.log = log
        self.types = types
        self.options = options
        self.state = Mutex(try Self.rebuild(from: log))
    }

    /// Opens (or creates) the store in `directory`.
    public static func open(at directory: String, types: EventTypes, options: EventStoreOptions = EventStoreOptions()) throws(EventStoreError) -> EventStore {
        var logOptions = LogOptions(durability: options.durability.storage)
        logOptions.logger = options.logger
        logOptions.clock = options.clock
        let log: Log
        do throws(StorageError) { log = try Log.open(at: directory, options: logOptions) } catch { throw EventStoreError(error) }
        do throws(EventStoreError) {
            return try EventStore(log: DiskRecordLog(log: log), types: types, options: options)
        } catch {
            try? log.close()
            throw error
        }
    }

    /// A store in memory, with the same behaviour, for tests of code that embeds the library.
    public static func inMemory(types: EventTypes, options: EventStoreOptions = EventStoreOptions()) -> EventStore {
        // An empty log cannot fail to rebuild.
        try! EventStore(log: MemoryRecordLog(clock: options.clock), types: types, options: options)
    }

    /// Reads every envelope once to rebuild the stream and command indexes.
    private static func rebuild(from log: any RecordLog) throws(EventStoreError) -> State {
        var state = State()
        var lastCommand: (id: String, first: UInt64, last: UInt64, versions: [String: UInt64], recordedAt: Int64)?
        func finish() {
            guard let c = lastCommand, state.commands[c.id] == nil else { return }
            state.commands[c.id] = .done(AppendResult(positions: c.first..<(c.last + 1), streamVersions: c.versions, recordedAt: c.recordedAt))
        }
        do {
            try log.forEach(from: 0, until: .max) { position, timestamp, bytes in
                let event = try EnvelopeCodec.decode(bytes, position: position, recordedAt: timestamp)
                let version = UInt64(state.streams[event.streamID]?.count ?? 0)
                guard event.streamVersion == version else {
                    throw EventStoreError(.corruptedEvent, "event at position \(position) has version \(event.streamVersion) in stream \(event.streamID), which is at \(version)", stream: event.streamID)
                }
                state.streams[event.streamID, default: []].append(position)
                let id = event.metadata.commandID
                if let c = lastCommand, c.id == id, c.last + 1 == position {
                    lastCommand!.last = position
                    lastCommand!.versions[event.streamID] = version
                } else {
                    finish()
                    lastCommand = (id, position, position, [event.streamID: version], timestamp)
                }
                state.nextPosition = position + 1
            }
        } catch let error as EventStoreError {
            throw error
        } catch let error as StorageError {
            throw EventStoreError(error)
        } catch {
            throw EventStoreError(.corruptedEvent, "an event could not be decoded: \(error)")
        }
        finish()
        return state
    }

    // MARK: Appending

    /// Appends `events` to one stream, atomically; returns when they are durable.
    ///
    /// Sending the same `metadata.commandID` again writes nothing and returns the first result.
    @discardableResult
    public func append(_ events: [any Event], to stream: String, expectedVersion: ExpectedVersion = .any, metadata: EventMetadata) async throws(EventStoreError) -> AppendResult {
        try await append([StreamWrite(stream: stream, expectedVersion: expectedVersion, events: events)], metadata: metadata)
    }

    /// Appends to several streams in one atomic batch; each stream's expectation
    /// must hold or nothing is written.
    @discardableResult
    public func append(_ writes: [StreamWrite], metadata: EventMetadata) async throws(EventStoreError) -> AppendResult {
        let pending = try reserve(writes, metadata: metadata)
        return try await pending.value()
    }

    /// Checks, encodes and queues an append under the lock; returns what to wait on.
    private func reserve(_ writes: [StreamWrite], metadata: EventMetadata) throws(EventStoreError) -> PendingAppend {
        // Encode outside the lock: it depends on the events only, not on versions.
        var encoded: [(stream: String, type: String, version: Int, payload: [UInt8])] = []
        for write in writes {
            for event in write.events { encoded.append(try encode(event, stream: write.stream)) }
        }
        guard !encoded.isEmpty else { throw EventStoreError(.invalidAppend, "an append needs at least one event (command \(metadata.commandID))") }
        var seen = Set<String>()
        for write in writes where !seen.insert(write.stream).inserted {
            throw EventStoreError(.invalidAppend, "stream \(write.stream) appears twice in one append (command \(metadata.commandID)); put its events in one write", stream: write.stream)
        }
        return try submission.withLock { (_) throws(EventStoreError) -> PendingAppend in
            let reserved = try reserveLocked(writes, encoded: encoded, metadata: metadata)
            guard let records = reserved.records else { return reserved.pending }
            do throws(EventStoreError) {
                try log.submit(records) { [self] result in complete(result, reserved: reserved, commandID: metadata.commandID) }
            } catch {
                // Nothing reached the log and nothing was reserved after it: undo the reservation.
                state.withLock { s in
                    for (stream, _) in reserved.positions { s.streams[stream]!.removeLast() }
                    s.nextPosition = reserved.range.lowerBound
                    s.commands[metadata.commandID] = nil
                }
                throw error
            }
            return reserved.pending
        }
    }

    private struct Reservation: Sendable {
        var pending: PendingAppend
        /// nil: the command was seen before; nothing to write.
        var records: [[UInt8]]?
        var range: Range<UInt64> = 0..<0
        var versions: [String: UInt64] = [:]
        var positions: [(String, UInt64)] = []
    }

    /// Checks the expectations and reserves positions and versions, under the state lock.
    private func reserveLocked(_ writes: [StreamWrite], encoded: [(stream: String, type: String, version: Int, payload: [UInt8])],
                               metadata: EventMetadata) throws(EventStoreError) -> Reservation {
        try state.withLock { (s) throws(EventStoreError) -> Reservation in
            if s.closed { throw EventStoreError(.closed, "the event store is closed") }
            if let failure = s.failure { throw failure }
            switch s.commands[metadata.commandID] {
            case .done(let result)?: return Reservation(pending: PendingAppend(result))
            case .pending(let pending)?: return Reservation(pending: pending)
            case nil: break
            }
            for write in writes {
                let count = UInt64(s.streams[write.stream]?.count ?? 0)
                let actual: UInt64? = count == 0 ? nil : count - 1
                let ok: Bool = switch write.expectedVersion {
                case .any: true
                case .noStream: actual == nil
                case .exact(let v): actual == v
                }
                if !ok {
                    throw EventStoreError(
                        .wrongExpectedVersion,
                        "stream \(write.stream): expected \(write.expectedVersion), but it is at \(actual.map { "version \($0)" } ?? "no stream"); nothing was written (command \(metadata.commandID))",
                        stream: write.stream, expected: write.expectedVersion, actual: actual)
                }
            }
            var records: [[UInt8]] = []
            records.reserveCapacity(encoded.count)
            var versions: [String: UInt64] = [:]
            var positions: [(String, UInt64)] = []
            let first = s.nextPosition
            for (i, e) in encoded.enumerated() {
                let version = versions[e.stream].map { $0 + 1 } ?? UInt64(s.streams[e.stream]?.count ?? 0)
                versions[e.stream] = version
                positions.append((e.stream, first + UInt64(i)))
                var bytes: [UInt8] = []
                EnvelopeCodec.encode(streamID: e.stream, streamVersion: version, eventType: e.type, schemaVersion: e.version,
                                     metadata: metadata, payload: e.payload, into: &bytes)
                records.append(bytes)
            }
            let range = first..<(first + UInt64(encoded.count))
            for (stream, position) in positions { s.streams[stream, default: []].append(position) }
            s.nextPosition = range.upperBound
            let pending = PendingAppend()
            s.commands[metadata.commandID] = .pending(pending)
            return Reservation(pending: pending, records: records, range: range, versions: versions, positions: positions)
        }
    }

    /// The log made a reserved append durable, or failed it.
    private func complete(_ result: Result<(first: UInt64, timestamp: Int64), EventStoreError>, reserved: Reservation, commandID: String) {
        switch result {
        case .success(let (committedFirst, timestamp)):
            guard committedFirst == reserved.range.lowerBound else {
                // The log and the store disagree on positions: never go on from here.
                let error = EventStoreError(.failed, "the log put command \(commandID) at \(committedFirst), the store expected \(reserved.range.lowerBound); reopen the store")
                state.withLock { $0.failure = error }
                reserved.pending.resolve(.failure(error))
                return
            }
            let done = AppendResult(positions: reserved.range, streamVersions: reserved.versions, recordedAt: timestamp)
            state.withLock { $0.commands[commandID] = .done(done) }
            reserved.pending.resolve(.success(done))
        case .failure(let error):
            // Later appends were reserved on top of this one: the store must be reopened.
            let failure = EventStoreError(.failed, "an append failed after it was accepted (\(error.message)); reopen the store", storage: error.storage)
            state.withLock { s in
                if s.failure == nil { s.failure = failure }
                s.commands[commandID] = nil
            }
            reserved.pending.resolve(.failure(error))
        }
    }

    private func encode<E: Event>(_ event: E, stream: String) throws(EventStoreError) -> (stream: String, type: String, version: Int, payload: [UInt8]) {
        guard types.knows(E.eventType, version: E.schemaVersion) else {
            throw EventStoreError(.unregisteredEventType, "event type \(E.eventType) version \(E.schemaVersion) is not registered with this store; register it so it can be read back (stream \(stream))", stream: stream)
        }
        do {
            return (stream, E.eventType, E.schemaVersion, try BinaryEncoder().encode(event))
        } catch {
            throw EventStoreError(.invalidAppend, "event \(E.eventType) for stream \(stream) could not be encoded: \(error)", stream: stream)
        }
    }

    // MARK: Reading

    /// The version of the stream's last event, or nil if the stream does not exist.
    public func version(of stream: String) -> UInt64? {
        state.withLock { s in s.streams[stream].map { UInt64($0.count) - 1 } }
    }

    /// The events of one stream from `version` on, in order; reads only that stream's batches.
    public func readStream(_ stream: String, from version: UInt64 = 0) throws(EventStoreError) -> [RecordedEvent] {
        let committed = log.nextPosition
        let positions = state.withLock { s -> [UInt64] in
            guard let all = s.streams[stream], version < UInt64(all.count) else { return [] }
            return Array(all[Int(version)...].prefix { $0 < committed })
        }
        return try log.records(at: positions).map { (record) throws(EventStoreError) -> RecordedEvent in
            try Self.decode(record.payload, position: record.position, timestamp: record.timestamp)
        }
    }

    /// Calls `body` with every committed event from `position` on, in log order, in bounded memory.
    public func forEachEvent(from position: UInt64 = 0, _ body: (RecordedEvent) throws -> Void) throws {
        try log.forEach(from: position, until: .max) { position, timestamp, bytes in
            try body(try EnvelopeCodec.decode(bytes, position: position, recordedAt: timestamp))
        }
    }

    /// One past the last committed position.
    public var nextPosition: UInt64 { log.nextPosition }

    static func decode(_ payload: [UInt8], position: UInt64, timestamp: Int64) throws(EventStoreError) -> RecordedEvent {
        do {
            return try payload.withUnsafeBytes { try EnvelopeCodec.decode($0, position: position, recordedAt: timestamp) }
        } catch {
            throw EventStoreError(.corruptedEvent, "the event at position \(position) could not be decoded: \(error)")
        }
    }

    /// Waits for nothing more and closes the log. Appends and reads fail with ``EventStoreError/Code/closed`` after it.
    public func close() throws(EventStoreError) {
        state.withLock { $0.closed = true }
        try log.close()
    }
}

/// An append accepted and queued; resolved when the log has made it durable (or failed).
final class PendingAppend: Sendable {
    private struct State {
        var result: Result<AppendResult, EventStoreError>?
        var waiters: [CheckedContinuation<Result<AppendResult, EventStoreError>, Never>] = []
    }
    private let state = Mutex(State())

    init() {}

    init(_ result: AppendResult) {
        state.withLock { $0.result = .success(result) }
    }

    func resolve(_ result: Result<AppendResult, EventStoreError>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Result<AppendResult, EventStoreError>, Never>] in
            s.result = result
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    func value() async throws(EventStoreError) -> AppendResult {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<AppendResult, EventStoreError>, Never>) in
            let ready = state.withLock { s -> Result<AppendResult, EventStoreError>? in
                if let r = s.result { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
