import Logging
@_spi(Internals) import SilverLedgerStorage

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
    /// Opens for reading only: takes no lock (so a writer may hold it, and
    /// reads see what it had committed at open), writes nothing, not even the
    /// saved indexes at close; appends and snapshot saves fail.
    public var readOnly = false
    /// Seals the log with this key (``SealKey``, FORMAT.md §19): the writer records
    /// HMAC-SHA-256 seals over the chain head, so that verifying with the key
    /// (`Log.verify(at:options:)` with `sealKey`, or `silverledger verify
    /// --key-file`) detects a log rewritten by someone without it. Nil: no seals.
    public var sealKey: SealKey?
    /// Encrypts a new store with this key (AES-256-GCM, ``EncryptionKey``,
    /// FORMAT.md §20): the events' payloads and envelopes, and the snapshot and
    /// index files. An encrypted store opens only with its key; a wrong or
    /// missing key fails the open with both key ids named. Nil: not encrypted.
    public var encryptionKey: EncryptionKey?
    /// The log's segment size, for tests that want many segments (nil: the log's default).
    package var segmentSize: Int?

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
        /// The positions of each stream's events (committed and in flight).
        var streams = StreamIndex()
        var commands = CommandIndex()
        /// The position the next accepted event gets (committed and in flight).
        var nextPosition: UInt64 = 0
        var failure: EventStoreError?
        var closed = false
        /// How the indexes were built at open: up to where the saved ones covered
        /// (nil if none were used), and how many events were read after that.
        var openedWith: (savedUpTo: UInt64?, eventsRead: UInt64) = (nil, 0)
    }

    typealias CommandEntry = CommandIndex.Entry

    /// Whether the event at `position` belongs to the command `id`: confirms a
    /// fingerprint match of the command index by reading that event's envelope.
    static func isCommand(_ id: String, at position: UInt64, in log: any RecordLog) throws(EventStoreError) -> Bool {
        var found: String?
        do {
            var decoder = EnvelopeDecoder()
            try log.forEach(from: position, until: position + 1) { p, timestamp, bytes in
                found = try decoder.event(bytes, position: p, recordedAt: timestamp).commandID
            }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(.storage, "the event at position \(position) could not be read to check command \(id): \(error)")
        }
        return found == id
    }

    /// The command with this id, if the store has it (called under the state lock).
    func command(_ id: String, in s: State) throws(EventStoreError) -> CommandEntry? {
        try Self.command(id, fingerprint: CommandIndex.fingerprint(id), in: s.commands, log: log)
    }

    /// The command with this id (whose fingerprint is given) in `commands`, a
    /// fingerprint match confirmed by reading `log`.
    static func command(_ id: String, fingerprint: UInt64, in commands: CommandIndex, log: any RecordLog,
                        mayBePending: Bool = true) throws(EventStoreError) -> CommandEntry? {
        try commands.entry(id, fingerprint: fingerprint, mayBePending: mayBePending) { (first) throws(EventStoreError) in try isCommand(id, at: first, in: log) }
    }

    /// The event types this store decodes.
    public let types: EventTypes
    let log: any RecordLog
    let options: EventStoreOptions
    let state: Locked<State>
    /// Held while an append is reserved and handed to the log, so that the log
    /// receives appends in the order their versions were reserved. The log's
    /// completions take only `state`, never this.
    let submission = Locked(())

    private init(log: any RecordLog, types: EventTypes, options: EventStoreOptions) throws(EventStoreError) {
        self.log = log
        self.types = types
        self.options = options
        self.state = Locked(try Self.rebuild(from: log, logger: options.logger))
    }

    /// Opens (or creates) the store in `directory`.
    public static func open(at directory: String, types: EventTypes, options: EventStoreOptions = EventStoreOptions()) throws(EventStoreError) -> EventStore {
        var logOptions = LogOptions(durability: options.durability.storage)
        logOptions.logger = options.logger
        logOptions.clock = options.clock
        logOptions.readOnly = options.readOnly
        logOptions.sealKey = options.sealKey
        logOptions.encryptionKey = options.encryptionKey
        if let segmentSize = options.segmentSize { logOptions.segmentSize = segmentSize }
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

    /// Loads the indexes saved at the last close, if they are valid for this
    /// log, and reads the envelopes after them (all of them if there are none).
    private static func rebuild(from log: any RecordLog, logger: Logger) throws(EventStoreError) -> State {
        var state = State()
        if let saved = loadIndexes(from: log, logger: logger) {
            state.streams = saved.streams
            state.commands = saved.commands
            state.nextPosition = saved.end
            state.openedWith.savedUpTo = saved.end
        }
        var decoder = EnvelopeDecoder()
        var command: (id: String, first: UInt64, count: UInt32)?
        func finish() throws(EventStoreError) {
            guard let c = command else { return }
            guard Int(c.count) <= CommandIndex.maxEvents, c.first <= CommandIndex.maxPosition else {
                logger.warning("command not indexed: too many events or too late a position for the command index; a repeat of it would not be recognised",
                               metadata: ["command": "\(c.id)", "first": "\(c.first)", "count": "\(c.count)"])
                return
            }
            let fingerprint = CommandIndex.fingerprint(c.id)
            guard try Self.command(c.id, fingerprint: fingerprint, in: state.commands, log: log) == nil else { return }
            state.commands.setDone(c.id, fingerprint: fingerprint, first: c.first, count: c.count)
        }
        do {
            try log.forEach(from: state.nextPosition, until: .max) { position, timestamp, bytes in
                let event = try decoder.event(bytes, position: position, recordedAt: timestamp)
                // From the envelope's bytes: no string built per event for the stream or the command.
                let (key, sameCommand) = event.withIDBytes { stream, commandID in
                    (StreamKey(utf8: stream), command.map { $0.id.hasUTF8(commandID) } ?? false)
                }
                let version = state.streams.find(key).count
                guard event.streamVersion == version, position == state.streams.end else {
                    throw EventStoreError(.corruptedEvent, "event at position \(position) has version \(event.streamVersion) in stream \(event.streamID), which is at \(version)", stream: event.streamID)
                }
                _ = state.streams.append(key)
                if let c = command, sameCommand, c.first + UInt64(c.count) == position {
                    command!.count += 1
                } else {
                    try finish()
                    command = (event.commandID, position, 1)
                }
                state.nextPosition = position + 1
                state.openedWith.eventsRead += 1
            }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(.storage, "the log could not be read: \(error)")
        }
        try finish()
        return state
    }

    /// The indexes saved by the last close, if there are any and they belong to this log.
    private static func loadIndexes(from log: any RecordLog, logger: Logger) -> IndexCheckpoint.Contents? {
        func reject(_ why: String) -> IndexCheckpoint.Contents? {
            logger.warning("ignoring the saved stream and command indexes: \(why); reading the whole log instead",
                           metadata: ["file": "snapshots/\(IndexCheckpoint.fileName)"])
            return nil
        }
        let bytes: [UInt8]
        do throws(EventStoreError) {
            guard let read = try log.readSnapshot(IndexCheckpoint.fileName) else { return nil }
            bytes = read
        } catch {
            return reject("it cannot be read (\(error))")
        }
        switch IndexCheckpoint.decode(bytes) {
        case .failure(let error):
            return reject(error.description)
        case .success(let contents):
            guard contents.end <= log.nextPosition else {
                return reject("they cover \(contents.end) events, the log has \(log.nextPosition)")
            }
            do throws(EventStoreError) {
                guard try log.chainHash(through: contents.end) == contents.chain else {
                    return reject("the log's chain hash at position \(contents.end) is not theirs (the log was repaired or replaced)")
                }
            } catch {
                return reject("the log's chain hash at position \(contents.end) cannot be read (\(error))")
            }
            return contents
        }
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
        try await enqueue(writes, metadata: metadata).result()
    }

    /// Checks an append and queues it, without waiting: when this returns, the
    /// append has its place in the log's order (after every append queued
    /// before it, before every one queued after) and its expectations held.
    /// Await the ticket's ``AppendTicket/result()`` for when it is durable.
    ///
    /// A single writer that validates commands against its own state uses this
    /// to fix the order of its appends before it lets the next command in.
    public func enqueue(_ writes: [StreamWrite], metadata: EventMetadata) throws(EventStoreError) -> AppendTicket {
        AppendTicket(store: self, reserved: try reserve(writes, metadata: metadata))
    }

    /// Appends several commands as one atomic batch, each with its own
    /// metadata; returns, when they are durable, each command's result.
    ///
    /// Each command's expectations are checked after the commands before it in
    /// the list. If one does not hold, or a command id is already in the store
    /// or twice in the list, nothing is written. One batch is much cheaper than
    /// one append per command: importers and bulk loaders use this. A list of
    /// 512 events or more is encoded and enveloped in two halves on two cores,
    /// when the machine has them; the records are the same.
    @discardableResult
    public func append(commands: [CommandWrites]) async throws(EventStoreError) -> [AppendResult] {
        try await enqueue(commands: commands).results()
    }

    /// Checks and queues several commands as one atomic batch, without waiting
    /// (see ``enqueue(_:metadata:)`` and ``append(commands:)``).
    public func enqueue(commands: [CommandWrites]) throws(EventStoreError) -> CommandsTicket {
        try reserve(commands, twoCores: true)
    }

    /// ``enqueue(commands:)``, saying whether a long list's payloads and
    /// envelopes may be made on two cores. A caller whose own thread keeps the
    /// other core busy (the domain ledger, deciding the next batch while the
    /// store takes this one) says no: the two halves would only take turns.
    package func enqueue(commands: [CommandWrites], twoCores: Bool) throws(EventStoreError) -> CommandsTicket {
        try reserve(commands, twoCores: twoCores)
    }

    /// Whether the store has the command with this id, written or being written.
    public func knowsCommand(_ commandID: String) -> Bool {
        // A log that cannot be read to confirm a match counts as knowing it:
        // `result(ofCommand:)` then reports the error.
        state.withLock { s in
            do { return try command(commandID, in: s) != nil } catch { return true }
        }
    }

    /// For each of these command ids, whether the store has it, written or being
    /// written: ``knowsCommand(_:)`` for a batch's ids, under one lock.
    public func knowsCommands(_ commandIDs: [String]) -> [Bool] {
        knowsCommands(commandIDs, fingerprints: commandIDs.map(CommandIndex.fingerprint))
    }

    /// ``knowsCommands(_:)`` for ids whose ``fingerprint(ofCommand:)`` the caller has already.
    package func knowsCommands(_ commandIDs: [String], fingerprints: [UInt64]) -> [Bool] {
        precondition(commandIDs.count == fingerprints.count, "\(commandIDs.count) command ids, \(fingerprints.count) fingerprints")
        return state.withLock { s in
            s.commands.knows(commandIDs, fingerprints: fingerprints) { (id, first) throws(EventStoreError) in try Self.isCommand(id, at: first, in: log) }
        }
    }

    /// The 64-bit fingerprint the store files a command id under (FNV-1a over
    /// its UTF-8, then a finalizer; never 0): the same for equal byte
    /// sequences, in every process. Also a cheap first test of whether two
    /// strings may have the same bytes: different fingerprints, different bytes.
    package static func fingerprint(ofCommand id: String) -> UInt64 { CommandIndex.fingerprint(id) }

    enum Reserved: Sendable {
        /// Sent before and written: the result is read back from the log.
        case written(first: UInt64, count: UInt32)
        case pending(PendingAppend)
    }

    /// The payloads of one append, encoded before any lock is taken (they depend on the events only).
    struct Encoded: Sendable {
        var bytes: [UInt8] = []
        /// Where each event's payload ends in `bytes`, and its type's name and schema version.
        var events: [(end: Int, type: String, version: Int)] = []
        /// The event types met so far, each checked against the store's types
        /// once, with its binary writer if it has one (an append has few types).
        var writers: [Writer] = []

        /// How an event type is written. A struct, not a tuple: a function kept
        /// in an array of tuples is reabstracted, and each read of it allocated
        /// a thunk (one allocation per event encoded).
        struct Writer {
            var type: ObjectIdentifier
            /// Whether the type writes its own binary form through `Event`
            /// (``Event/_writeOwnBinaryForm(to:)``); nil before its first event.
            var ownForm: Bool?
            /// When it does not: its `BinaryCodable` writer, found by a cast
            /// (the conformance declared where `Event`'s could not see it), or
            /// nil (the type is written through `Codable`).
            var write: BinaryWriting?
        }

        /// Makes room for about `n` more events (a guess at their payloads' size):
        /// a small append's buffer is then allocated once, not grown five times.
        mutating func reserve(events n: Int) {
            events.reserveCapacity(events.count + n)
            bytes.reserveCapacity(bytes.count + n * EventStore.payloadBytesGuess)
        }

        /// Appends `other`'s payloads after these.
        mutating func append(_ other: Encoded) {
            if events.isEmpty && bytes.isEmpty { self = other; return }   // taken whole, not copied
            let shift = bytes.count
            bytes.append(contentsOf: other.bytes)
            events.append(contentsOf: other.events.lazy.map { ($0.end + shift, $0.type, $0.version) })
        }
    }

    /// Checks and encodes an append, reserves its positions and versions, and
    /// hands it to the log; returns what to wait on.
    private func reserve(_ writes: [StreamWrite], metadata: EventMetadata) throws(EventStoreError) -> Reserved {
        var encoded = Encoded()
        var total = 0
        for w in writes.indices { total += writes[w].events.count }
        if total < Self.parallelEncodingThreshold { encoded.reserve(events: total) }
        try Self.encode(writes, types: types, into: &encoded)
        try Self.checkShape(writes, events: encoded.events.count, command: metadata.commandID)
        let commandID = metadata.commandID
        let fingerprint = CommandIndex.fingerprint(commandID)
        let keys = writes.map(\.key)
        return try submission.withLock { (_) throws(EventStoreError) -> Reserved in
            var bases: [UInt64] = []
            let reservation: Reservation
            switch try state.withLock({ (s) throws(EventStoreError) in
                try Self.reserveLocked(&s, writes, keys: keys[...], count: encoded.events.count, commandID: commandID, fingerprint: fingerprint,
                                       log: log, bases: &bases)
            }) {
            case .repeated(let reserved): return reserved
            case .new(let r): reservation = r
            }
            // The versions are fixed now; build the batch outside the state lock.
            var batch = LogBatch(byteCapacity: encoded.bytes.count + Self.envelopeBytes(writes, metadata))
            var head: [UInt8] = []
            head.reserveCapacity(Self.headBytesGuess)
            let versions = Self.append(writes, encoded, firstEvent: 0, bases: bases[...], metadata, head: &head, to: &batch)
            let pending = reservation.pending
            let first = reservation.first
            let part = CommandsTicket.Part(commandID: commandID, fingerprint: fingerprint,
                                           positions: first..<(first + UInt64(encoded.events.count)), versions: versions)
            do throws(EventStoreError) {
                try log.submit(batch) { [self] result in complete(result, pending: pending, parts: [part]) }
            } catch {
                // Nothing reached the log and nothing was reserved after it: undo the reservation.
                state.withLock { s in Self.undo(&s, writes, first: first, commandID: commandID, fingerprint: fingerprint) }
                throw error
            }
            return .pending(pending)
        }
    }

    /// What an append of several commands needs before any lock is taken (it
    /// depends on the commands alone): the payloads, and for each command its
    /// id's fingerprint and where its events and writes end; for each write,
    /// its stream's key.
    private struct PreparedCommands: Sendable {
        var encoded = Encoded()
        /// Where each command's events end in `encoded.events`.
        var eventEnds: [Int] = []
        /// Where each command's writes end in `keys`.
        var writeEnds: [Int] = []
        var fingerprints: [UInt64] = []
        var keys: [StreamKey] = []

        /// Appends `other`'s commands after these.
        mutating func append(_ other: PreparedCommands) {
            let events = encoded.events.count, writes = keys.count
            encoded.append(other.encoded)
            eventEnds.append(contentsOf: other.eventEnds.lazy.map { $0 + events })
            writeEnds.append(contentsOf: other.writeEnds.lazy.map { $0 + writes })
            fingerprints.append(contentsOf: other.fingerprints)
            keys.append(contentsOf: other.keys)
        }
    }

    /// Encodes and checks `commands[range]` (`events` events in all), hashes
    /// their ids and streams; a single large command's payloads are encoded on
    /// two cores if `parallel`.
    private static func prepare(_ commands: [CommandWrites], _ range: Range<Int>, events: Int, types: EventTypes,
                                parallel: Bool) throws(EventStoreError) -> PreparedCommands {
        var p = PreparedCommands()
        if events < Self.parallelEncodingThreshold || !parallel { p.encoded.reserve(events: events) }
        p.eventEnds.reserveCapacity(range.count)
        p.writeEnds.reserveCapacity(range.count)
        p.fingerprints.reserveCapacity(range.count)
        p.keys.reserveCapacity(range.count)
        // By index, here and below: a command taken out of the list whole
        // would be copied (a reference count for each of its strings and arrays).
        for i in range {
            let start = p.encoded.events.count
            try encode(commands[i].writes, types: types, into: &p.encoded, parallel: parallel)
            try Self.checkShape(commands[i].writes, events: p.encoded.events.count - start, command: commands[i].metadata.commandID)
            p.eventEnds.append(p.encoded.events.count)
            p.fingerprints.append(CommandIndex.fingerprint(commands[i].metadata.commandID))
            for w in commands[i].writes.indices { p.keys.append(commands[i].writes[w].key) }
            p.writeEnds.append(p.keys.count)
        }
        return p
    }

    /// ``prepare(_:_:events:types:parallel:)`` for all of `commands`: with `twoCores`, a
    /// list of many commands is split in two halves of about as many events
    /// each, prepared on two cores at once.
    private static func prepare(_ commands: [CommandWrites], types: EventTypes, twoCores: Bool) throws(EventStoreError) -> PreparedCommands {
        var eventEnds: [Int] = []
        eventEnds.reserveCapacity(commands.count)
        var total = 0
        for i in commands.indices {
            for w in commands[i].writes.indices { total += commands[i].writes[w].events.count }
            eventEnds.append(total)
        }
        guard twoCores, let middle = Self.split(eventEnds) else {
            return try prepare(commands, commands.indices, events: total, types: types, parallel: twoCores)
        }
        let ends = eventEnds
        let (first, second) = Halves.run(commands.count, splitAt: middle) { (range) throws(EventStoreError) -> PreparedCommands in
            try prepare(commands, range, events: ends[range.upperBound - 1] - (range.lowerBound == 0 ? 0 : ends[range.lowerBound - 1]),
                        types: types, parallel: false)
        }
        var prepared = try first.get()
        prepared.append(try second.get())
        return prepared
    }

    /// Where to split a list of commands whose events end at `eventEnds` so
    /// that each half has about as many events; nil if the list is too short
    /// to be worth two cores (or there is one core).
    private static func split(_ eventEnds: [Int]) -> Int? {
        guard eventEnds.count > 1, let total = eventEnds.last, total >= parallelEncodingThreshold, Halves.available else { return nil }
        // The first command whose events reach the middle closes the first half (ends only grow).
        var low = 0, high = eventEnds.count - 1
        while low < high {
            let m = (low + high) / 2
            if 2 * eventEnds[m] >= total { high = m } else { low = m + 1 }
        }
        return min(low + 1, eventEnds.count - 1)
    }

    /// Checks, encodes and reserves several commands, and hands them to the log
    /// as one batch: all of them are written or none.
    ///
    /// Built for bulk: each command id is hashed once (its fingerprint serves
    /// the repeat check, the command index and the completion), one pending
    /// append serves every command, and with `twoCores` a long list's payloads
    /// and envelopes are made on two cores.
    private func reserve(_ commands: [CommandWrites], twoCores: Bool) throws(EventStoreError) -> CommandsTicket {
        guard !commands.isEmpty else { throw EventStoreError(.invalidAppend, "an append of commands needs at least one command") }
        func twice(_ id: String) -> EventStoreError {
            EventStoreError(.invalidAppend, "command \(id) appears twice in one append of commands; nothing was written")
        }
        let prepared = try Self.prepare(commands, types: types, twoCores: twoCores)
        let eventEnds = prepared.eventEnds, writeEnds = prepared.writeEnds, fingerprints = prepared.fingerprints
        var byFingerprint = [UInt64: Int](minimumCapacity: commands.count)
        var fingerprintsCollide = false
        for i in commands.indices {
            if let j = byFingerprint.updateValue(i, forKey: fingerprints[i]) {
                if commands[j].metadata.commandID == commands[i].metadata.commandID { throw twice(commands[i].metadata.commandID) }
                fingerprintsCollide = true
            }
        }
        if fingerprintsCollide {
            // Two different ids share a fingerprint (rare): look for repeats by the ids themselves.
            var ids = Set<String>(minimumCapacity: commands.count)
            for command in commands where !ids.insert(command.metadata.commandID).inserted { throw twice(command.metadata.commandID) }
        }
        let pending = PendingAppend()
        return try submission.withLock { (_) throws(EventStoreError) -> CommandsTicket in
            var bases: [UInt64] = []
            bases.reserveCapacity(prepared.keys.count)
            let firsts = try state.withLock { (s) throws(EventStoreError) -> [UInt64] in
                var firsts: [UInt64] = []
                firsts.reserveCapacity(commands.count)
                // The list's ids are distinct: if nothing else is being written,
                // none of them is pending, and the pending table need not be asked.
                let othersPending = !s.commands.nonePending
                do throws(EventStoreError) {
                    for i in commands.indices {
                        let firstKey = i == 0 ? 0 : writeEnds[i - 1]
                        switch try Self.reserveLocked(&s, commands[i].writes, keys: prepared.keys[firstKey..<writeEnds[i]],
                                                      count: eventEnds[i] - (i == 0 ? 0 : eventEnds[i - 1]),
                                                      commandID: commands[i].metadata.commandID, fingerprint: fingerprints[i], pending: pending,
                                                      mayBePending: othersPending, log: log, bases: &bases) {
                        case .repeated:
                            throw EventStoreError(.invalidAppend, "command \(commands[i].metadata.commandID) is already in the store; send it alone to get its first result. Nothing was written")
                        case .new(let r): firsts.append(r.first)
                        }
                    }
                } catch {
                    for (i, first) in firsts.enumerated().reversed() {
                        Self.undo(&s, commands[i].writes, first: first, commandID: commands[i].metadata.commandID, fingerprint: fingerprints[i])
                    }
                    throw error
                }
                return firsts
            }
            // The versions are fixed now: the envelopes, on two cores for a long list.
            let encoded = prepared.encoded, reservedBases = bases
            @Sendable func envelopes(_ range: Range<Int>) -> (batch: LogBatch, parts: [CommandsTicket.Part]) {
                let firstEvent = range.lowerBound == 0 ? 0 : eventEnds[range.lowerBound - 1]
                let lastEvent = range.isEmpty ? firstEvent : eventEnds[range.upperBound - 1]
                let start = firstEvent == 0 ? 0 : encoded.events[firstEvent - 1].end
                let end = lastEvent == 0 ? 0 : encoded.events[lastEvent - 1].end
                var room = end - start
                for i in range { room += Self.envelopeBytes(commands[i].writes, commands[i].metadata) }
                var batch = LogBatch(byteCapacity: room)
                var parts: [CommandsTicket.Part] = []
                parts.reserveCapacity(range.count)
                var head: [UInt8] = []
                head.reserveCapacity(Self.headBytesGuess)
                for i in range {
                    let firstEvent = i == 0 ? 0 : eventEnds[i - 1]
                    let firstKey = i == 0 ? 0 : writeEnds[i - 1]
                    let versions = Self.append(commands[i].writes, encoded, firstEvent: firstEvent, bases: reservedBases[firstKey..<writeEnds[i]],
                                               commands[i].metadata, head: &head, to: &batch)
                    parts.append(.init(commandID: commands[i].metadata.commandID, fingerprint: fingerprints[i],
                                       positions: firsts[i]..<(firsts[i] + UInt64(eventEnds[i] - firstEvent)), versions: versions))
                }
                return (batch, parts)
            }
            var batch: LogBatch
            var parts: [CommandsTicket.Part]
            if twoCores, let middle = Self.split(eventEnds) {
                let (first, second) = Halves.run(commands.count, splitAt: middle) { (range) -> (batch: LogBatch, parts: [CommandsTicket.Part]) in envelopes(range) }
                (batch, parts) = first.get()
                let rest = second.get()
                batch.append(contentsOf: rest.batch)
                parts.append(contentsOf: rest.parts)
            } else {
                (batch, parts) = envelopes(commands.indices)
            }
            let ticket = CommandsTicket(pending: pending, parts: parts)
            do throws(EventStoreError) {
                try log.submit(batch) { [self] result in complete(result, pending: pending, parts: ticket.parts) }
            } catch {
                state.withLock { s in
                    for (i, first) in firsts.enumerated().reversed() {
                        Self.undo(&s, commands[i].writes, first: first, commandID: commands[i].metadata.commandID, fingerprint: fingerprints[i])
                    }
                }
                throw error
            }
            return ticket
        }
    }

    /// About how many bytes the envelopes of one command's events take with
    /// their records' framing (not their payloads): a batch made with this much
    /// room is not copied as it grows. Each field's length is known without
    /// reading it.
    private static func envelopeBytes(_ writes: [StreamWrite], _ metadata: EventMetadata) -> Int {
        // 64: the type's name (most are shorter than 40 bytes), the numbers and the lengths.
        let perEvent = 64 + metadata.recordedBy.utf8.count + metadata.commandID.utf8.count
            + (metadata.correlationID?.utf8.count ?? 0) + (metadata.causationID?.utf8.count ?? 0)
        var bytes = 0
        for w in writes.indices { bytes += (perEvent + writes[w].stream.utf8.count) * writes[w].events.count }
        return bytes
    }

    /// An append has at least one event (`events` in all) and names each stream once.
    /// Inlined: called once per command, its command id is then read only if it fails.
    @inline(__always)
    private static func checkShape(_ writes: [StreamWrite], events: Int, command: @autoclosure () -> String) throws(EventStoreError) {
        guard events > 0 else { throw EventStoreError(.invalidAppend, "an append needs at least one event (command \(command()))") }
        if writes.count > 1 {
            var seen = Set<String>(minimumCapacity: writes.count)
            for write in writes where !seen.insert(write.stream).inserted {
                throw EventStoreError(.invalidAppend, "stream \(write.stream) appears twice in one append (command \(command())); put its events in one write", stream: write.stream)
            }
        }
    }

    /// Adds one command's events, with their envelopes, to `batch`: its payloads
    /// are those of `encoded.events` from `firstEvent` on, and `bases` holds the
    /// version each write's first event gets. Returns each stream's last version.
    private static func append(_ writes: [StreamWrite], _ encoded: Encoded, firstEvent: Int, bases: ArraySlice<UInt64>,
                               _ metadata: EventMetadata, head: inout [UInt8], to batch: inout LogBatch) -> AppendResult.LastVersions {
        var one: (stream: String, version: UInt64)?
        var many: [String: UInt64] = [:]
        var event = firstEvent
        // By index, fields read in place: a write or an event's entry taken out
        // whole is copied (a reference count for each of its strings and arrays).
        encoded.bytes.withUnsafeBytes { payloads in
            for w in writes.indices where !writes[w].events.isEmpty {
                let base = bases[bases.startIndex + w], count = writes[w].events.count
                for i in 0..<count {
                    let start = event == 0 ? 0 : encoded.events[event - 1].end
                    EnvelopeCodec.encodeHead(streamID: writes[w].stream, streamVersion: base + UInt64(i), eventType: encoded.events[event].type,
                                             schemaVersion: encoded.events[event].version, metadata: metadata, into: &head)
                    let end = encoded.events[event].end
                    head.withUnsafeBytes { batch.append($0, UnsafeRawBufferPointer(rebasing: payloads[start..<end])) }
                    event += 1
                }
                let last = base + UInt64(count) - 1
                if one == nil && many.isEmpty {
                    one = (writes[w].stream, last)
                } else {
                    if let first = one { many[first.stream] = first.version }
                    one = nil
                    many[writes[w].stream] = last
                }
            }
        }
        return one.map { .one($0.stream, $0.version) } ?? .many(many)
    }

    /// Takes back a reservation that never reached the log (the last one made).
    private static func undo(_ s: inout State, _ writes: [StreamWrite], first: UInt64, commandID: String, fingerprint: UInt64) {
        for write in writes { s.streams.unlink(write.stream, count: UInt64(write.events.count)) }
        s.streams.truncate(to: first)
        s.nextPosition = first
        s.commands.removePending(commandID, fingerprint: fingerprint)
    }

    private struct Reservation {
        var pending: PendingAppend
        var first: UInt64
    }

    private enum ReserveOutcome {
        case repeated(Reserved)
        case new(Reservation)
    }

    /// Checks the expectations and reserves positions and versions, appending
    /// to `bases` the version each write's first event gets; called under the state lock.
    /// `mayBePending` false: the caller knows the command is not being written
    /// (a list's commands, with distinct ids, when nothing else was pending).
    private static func reserveLocked(_ s: inout State, _ writes: [StreamWrite], keys: ArraySlice<StreamKey>, count: Int, commandID: String,
                                      fingerprint: UInt64, pending shared: PendingAppend? = nil, mayBePending: Bool = true, log: any RecordLog,
                                      bases: inout [UInt64]) throws(EventStoreError) -> ReserveOutcome {
        if s.closed { throw EventStoreError(.closed, "the event store is closed") }
        if let failure = s.failure { throw failure }
        switch try Self.command(commandID, fingerprint: fingerprint, in: s.commands, log: log, mayBePending: mayBePending) {
        case .done(let first, let count)?: return .repeated(.written(first: first, count: count))
        case .pending(let pending)?: return .repeated(.pending(pending))
        case nil: break
        }
        guard count <= CommandIndex.maxEvents, s.nextPosition <= CommandIndex.maxPosition else {
            throw EventStoreError(.invalidAppend, "command \(commandID) has \(count) events; a command may have at most \(CommandIndex.maxEvents): split it. Nothing was written")
        }
        // By index: a write taken out of the list is a copy.
        func check(_ w: Int, count: UInt64) throws(EventStoreError) {
            let actual: UInt64? = count == 0 ? nil : count - 1
            if !writes[w].expectedVersion.isMet(by: actual) {
                let write = writes[w]
                throw EventStoreError(
                    .wrongExpectedVersion,
                    "stream \(write.stream): expected \(write.expectedVersion), but it is at \(actual.map { "version \($0)" } ?? "no stream"); nothing was written (command \(commandID))",
                    stream: write.stream, expected: write.expectedVersion, actual: actual)
            }
        }
        let first = s.nextPosition
        if writes.count == 1 {
            // The usual append: one stream, no arrays.
            let key = keys[keys.startIndex]
            let (slot, found) = s.streams.find(key)
            try check(0, count: found)
            bases.append(found)
            s.streams.extend(to: first + UInt64(count))
            s.streams.link(key, slot: slot, positions: first..<(first + UInt64(count)))
        } else {
            // Where each existing stream is in the map: found once, used again to link.
            var found: [StreamIndex.Slot?] = []
            found.reserveCapacity(writes.count)
            for w in writes.indices {
                let (slot, count) = s.streams.find(keys[keys.startIndex + w])
                try check(w, count: count)
                bases.append(count)
                found.append(slot)
            }
            s.streams.extend(to: first + UInt64(count))
            // Existing streams first, while the slots found above are still valid;
            // then the new streams (inserting may move the others).
            var position = first
            for w in writes.indices {
                let positions = position..<(position + UInt64(writes[w].events.count))
                if let slot = found[w] { s.streams.link(keys[keys.startIndex + w], slot: slot, positions: positions) }
                position = positions.upperBound
            }
            position = first
            for w in writes.indices {
                let positions = position..<(position + UInt64(writes[w].events.count))
                if found[w] == nil { s.streams.link(keys[keys.startIndex + w], slot: nil, positions: positions) }
                position = positions.upperBound
            }
        }
        s.nextPosition = first + UInt64(count)
        let pending = shared ?? PendingAppend()
        s.commands.setNewPending(commandID, fingerprint: fingerprint, pending)
        return .new(Reservation(pending: pending, first: first))
    }

    /// The log made a reserved append durable, or failed it (an import's, with its versions by stream).
    func complete(_ result: Result<(first: UInt64, timestamp: Int64), EventStoreError>, first: UInt64, count: UInt32,
                  versions: [String: UInt64], pending: PendingAppend, commandID: String) {
        complete(result, pending: pending, parts: [.init(commandID: commandID, fingerprint: CommandIndex.fingerprint(commandID),
                                                          positions: first..<(first + UInt64(count)), versions: .many(versions))])
    }

    /// The log made a reserved append of one or more commands (`parts`, in
    /// order and next to each other) durable, or failed it.
    func complete(_ result: Result<(first: UInt64, timestamp: Int64), EventStoreError>, pending: PendingAppend,
                  parts: [CommandsTicket.Part]) {
        let first = parts[0].positions.lowerBound
        switch result {
        case .success(let (committedFirst, timestamp)):
            guard committedFirst == first else {
                // The log and the store disagree on positions: never go on from here.
                let named = parts.count == 1 ? parts[0].commandID : "\(parts[0].commandID) and \(parts.count - 1) more"
                let error = EventStoreError(.failed, "the log put command \(named) at \(committedFirst), the store expected \(first); reopen the store")
                state.withLock { $0.failure = error }
                pending.resolve(.failure(error))
                return
            }
            state.withLock { s in s.commands.setDone(parts) }
            // A single command's result; a batch's are read from its ticket's parts.
            let whole = AppendResult(positions: first..<parts[parts.count - 1].positions.upperBound,
                                     lastVersions: parts.count == 1 ? parts[0].versions : .many([:]), recordedAt: timestamp)
            pending.resolve(.success(whole))
        case .failure(let error):
            // Later appends were reserved on top of this one: the store must be reopened.
            let failure = EventStoreError(.failed, "an append failed after it was accepted (\(error.message)); reopen the store", storage: error.storage)
            state.withLock { s in
                if s.failure == nil { s.failure = failure }
                for part in parts { s.commands.removePending(part.commandID, fingerprint: part.fingerprint) }
            }
            pending.resolve(.failure(error))
        }
    }

    /// What the command with this id wrote, if the store has it (waiting for it
    /// if it is being written); nil if the store has never seen it.
    ///
    /// Code that validates a command before appending it asks this first: a
    /// command sent again must get its first result, not be judged again
    /// against a state that already holds its own events.
    public func result(ofCommand commandID: String) async throws(EventStoreError) -> AppendResult? {
        switch try state.withLock({ (s) throws(EventStoreError) in try command(commandID, in: s) }) {
        case nil: return nil
        case .done(let first, let count)?: return try result(ofCommandAt: first, count: count)
        case .pending(let pending)?:
            // The pending append may hold several commands: wait for it, then read this one's result.
            _ = try await pending.value()
            return try await result(ofCommand: commandID)
        }
    }

    /// The result of a command already written, read back from its events.
    func result(ofCommandAt first: UInt64, count: UInt32) throws(EventStoreError) -> AppendResult {
        var versions: [String: UInt64] = [:]
        var recordedAt: Int64 = 0
        let end = first + UInt64(count)
        do {
            var decoder = EnvelopeDecoder()
            try log.forEach(from: first, until: end) { position, timestamp, bytes in
                let event = try decoder.decode(bytes, position: position, recordedAt: timestamp)
                if position == first { recordedAt = timestamp }
                versions[event.streamID] = event.streamVersion
            }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStoreError(.corruptedEvent, "the events of a repeated command (positions \(first)..<\(end)) could not be read back: \(error)")
        }
        return AppendResult(positions: first..<end, streamVersions: versions, recordedAt: recordedAt)
    }

    /// The room made for each event's payload before encoding (most of the
    /// domain's are 60–200 bytes), and for an envelope's fields.
    private static let payloadBytesGuess = 128
    private static let headBytesGuess = 192

    /// Below this many events an append's payloads are encoded on the calling thread alone.
    private static let parallelEncodingThreshold = 512

    /// Encodes the payloads of `writes` after those in `encoded`; a large
    /// append's on two cores at once, if `parallel`.
    @inline(__always)
    private static func encode(_ writes: [StreamWrite], types: EventTypes, into encoded: inout Encoded, parallel: Bool = true) throws(EventStoreError) {
        var total = 0
        for w in writes.indices { total += writes[w].events.count }
        guard parallel, total >= Self.parallelEncodingThreshold, Halves.available else {
            // By index: a write taken out of its list is copied (a reference
            // count for its stream's name and its events).
            for w in writes.indices {
                do throws(EncodingFailure) {
                    for e in writes[w].events.indices { try encode(writes[w].events[e], types: types, into: &encoded) }
                } catch {
                    throw error.named(stream: writes[w].stream)
                }
            }
            return
        }
        var items: [(event: any Event, stream: String)] = []
        items.reserveCapacity(total)
        for write in writes {
            for event in write.events { items.append((event, write.stream)) }
        }
        let events = items
        let (first, second) = Halves.run(total) { (range) throws(EventStoreError) -> Encoded in
            var part = Encoded()
            part.events.reserveCapacity(range.count)
            for i in range {
                do throws(EncodingFailure) { try encode(events[i].event, types: types, into: &part) } catch { throw error.named(stream: events[i].stream) }
            }
            return part
        }
        encoded.append(try first.get())
        encoded.append(try second.get())
    }

    /// Why an event could not be encoded; the caller names its stream.
    private enum EncodingFailure: Error {
        case unregistered(type: String, version: Int)
        case encoding(type: String, Error)

        func named(stream: String) -> EventStoreError {
            switch self {
            case .unregistered(let type, let version):
                EventStoreError(.unregisteredEventType, "event type \(type) version \(version) is not registered with this store; register it so it can be read back (stream \(stream))", stream: stream)
            case .encoding(let type, let error):
                EventStoreError(.invalidAppend, "event \(type) for stream \(stream) could not be encoded: \(error)", stream: stream)
            }
        }
    }

    /// Appends `event`'s payload to `encoded` (its stream is named by the
    /// caller if this fails: passing its name here would count a reference to
    /// it for every event).
    private static func encode<E: Event>(_ event: E, types: EventTypes, into encoded: inout Encoded) throws(EncodingFailure) {
        let slot: Int
        if let known = encoded.writers.firstIndex(where: { $0.type == ObjectIdentifier(E.self) }) {
            slot = known
        } else {
            guard types.knows(E.eventType, version: E.schemaVersion) else {
                throw .unregistered(type: E.eventType, version: E.schemaVersion)
            }
            slot = encoded.writers.count
            encoded.writers.append(Encoded.Writer(type: ObjectIdentifier(E.self)))
        }
        do {
            var written = false
            if encoded.writers[slot].ownForm != false {
                // In place through the type's conformance to Event: no copy of the event, no cast.
                written = Self.writing(into: &encoded.bytes) { event._writeOwnBinaryForm(to: &$0) }
                encoded.writers[slot].ownForm = written
                // Not through Event: is it BinaryCodable all the same? Asked once per type and append.
                if !written, let fast = E.self as? any (BinaryCodable & Event).Type { encoded.writers[slot].write = Self.binaryWriting(fast) }
            }
            if !written, let write = encoded.writers[slot].write {
                // The type's writer, found once: a copy of the event, but no cast per event.
                Self.writing(into: &encoded.bytes) { writer in withUnsafePointer(to: event) { write(UnsafeRawPointer($0), &writer) } }
            } else if !written {
                try BinaryEncoder().encode(event, into: &encoded.bytes)
            }
        } catch {
            throw .encoding(type: E.eventType, error)
        }
        encoded.events.append((encoded.bytes.count, E.eventType, E.schemaVersion))
    }

    /// Runs `body` with a binary writer appending to `bytes` (moved in and
    /// back out, not copied).
    private static func writing<R>(into bytes: inout [UInt8], _ body: (inout BinaryWriter) -> R) -> R {
        var writer = BinaryWriter()
        swap(&writer.bytes, &bytes)
        defer { swap(&writer.bytes, &bytes) }
        return body(&writer)
    }

    /// Writes the value at a pointer in its binary form: the value must be of
    /// the type the function was made for (``binaryWriting(_:)``).
    typealias BinaryWriting = @Sendable (UnsafeRawPointer, inout BinaryWriter) -> Void

    /// The binary writer of `type`, for values found at a pointer.
    private static func binaryWriting<B: BinaryCodable & Event>(_ type: B.Type) -> BinaryWriting {
        { pointer, writer in pointer.assumingMemoryBound(to: B.self).pointee.write(to: &writer) }
    }

    // MARK: Reading

    /// The version of the stream's last event, or nil if the stream does not exist.
    public func version(of stream: String) -> UInt64? {
        let key = StreamKey(stream)   // hashed before the lock is taken
        return state.withLock { $0.streams.version(of: key) }
    }

    /// The events of one stream from `version` on, in order; reads only that stream's batches.
    public func readStream(_ stream: String, from version: UInt64 = 0) throws(EventStoreError) -> [RecordedEvent] {
        let committed = log.nextPosition
        let positions = state.withLock { $0.streams.positions(of: stream, from: version, below: committed) }
        var decoder = EnvelopeDecoder()
        return try log.records(at: positions).map { (record) throws(EventStoreError) -> RecordedEvent in
            try decoder.event(record.payload[...], position: record.position, recordedAt: record.timestamp)
        }
    }

    /// Calls `body` with every committed event from `position` up to `end` (exclusive), in log order, in bounded memory.
    ///
    /// An event handed to `body` shares the buffer of the batch it was read
    /// with; to keep events after the call, keep copies of what you need
    /// (or the events of ``readStream(_:from:)``, which own their bytes).
    public func forEachEvent(from position: UInt64 = 0, until end: UInt64 = .max, _ body: (RecordedEvent) throws -> Void) throws {
        var decoder = EnvelopeDecoder()
        try log.forEach(from: position, until: end) { position, timestamp, bytes in
            try body(try decoder.decode(bytes, position: position, recordedAt: timestamp))
        }
    }

    /// One past the last committed position.
    public var nextPosition: UInt64 { log.nextPosition }

    static func decode(_ payload: [UInt8], position: UInt64, timestamp: Int64) throws(EventStoreError) -> RecordedEvent {
        var decoder = EnvelopeDecoder()
        return try decoder.event(payload[...], position: position, recordedAt: timestamp)
    }

    /// Waits for nothing more and closes the log. Appends and reads fail with ``EventStoreError/Code/closed`` after it.
    ///
    /// On disk, the stream and command indexes are saved beside the log
    /// (`snapshots/store.index`) so that the next open reads them instead of every event.
    public func close() throws(EventStoreError) {
        let alreadyClosed = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        // No append is between its reservation and the log after this.
        submission.withLock { _ in }
        try log.close { [self] in
            guard !alreadyClosed, !options.readOnly else { return }
            saveIndexes()
        }
    }

    /// Writes the indexes as of the log's end; called with every append written and none to come.
    private func saveIndexes() {
        let (streams, commands, end, failed, saved) = state.withLock { s in
            (s.streams, s.commands, s.nextPosition, s.failure != nil, s.openedWith.savedUpTo)
        }
        guard !failed, end == log.nextPosition, streams.end == end else { return }
        // Opened from saved indexes and nothing appended since: the file already
        // holds them (writing it again would cost a copy of the indexes in memory).
        guard saved != end else { return }
        do throws(EventStoreError) {
            guard let chain = try log.chainHash(through: end) else { return }
            // Written in pieces as they are encoded: at 22.6M events the file is 543 MB.
            try log.writeSnapshot(IndexCheckpoint.fileName) { (sink) throws(StorageError) in
                try IndexCheckpoint.encode(end: end, chain: chain, streams: streams, commands: commands) { (piece) throws(StorageError) in
                    try sink.write(piece)
                }
            }
        } catch {
            // Only the next open is slower: it reads the whole log.
            options.logger.warning("could not save the stream and command indexes", metadata: ["error": "\(error)"])
        }
    }
}

/// Commands queued together by ``EventStore/enqueue(commands:)``.
public struct CommandsTicket: Sendable {
    /// One command of the batch: where its events go and its streams' last versions.
    struct Part: Sendable {
        var commandID: String
        /// The command id's ``CommandIndex/fingerprint(_:)``.
        var fingerprint: UInt64
        var positions: Range<UInt64>
        var versions: AppendResult.LastVersions
    }
    let pending: PendingAppend
    let parts: [Part]

    /// Waits until the commands are durable; their results, in the order sent.
    public func results() async throws(EventStoreError) -> [AppendResult] {
        let batch = try await pending.value()
        return parts.map { AppendResult(positions: $0.positions, lastVersions: $0.versions, recordedAt: batch.recordedAt) }
    }
}

/// An append queued by ``EventStore/enqueue(_:metadata:)``.
public struct AppendTicket: Sendable {
    let store: EventStore
    let reserved: EventStore.Reserved

    /// Waits until the append is durable; its result (the first result, if its command was sent before).
    public func result() async throws(EventStoreError) -> AppendResult {
        switch reserved {
        case .written(let first, let count): return try store.result(ofCommandAt: first, count: count)
        case .pending(let pending): return try await pending.value()
        }
    }
}

/// An append accepted and queued; resolved when the log has made it durable (or failed).
typealias PendingAppend = Promise<AppendResult, EventStoreError>
