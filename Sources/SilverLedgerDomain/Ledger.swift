import Foundation
import SilverLedger
@_spi(Internals) import SilverLedgerStorage

/// The bureau's ledger: the single writer that checks each command against the
/// current state and appends its events.
///
/// ```swift
/// let ledger = try Ledger(store: EventStore.open(at: path, types: Ledger.eventTypes))
/// try await ledger.execute(AwardMedal50(cadre: "C000017", awardedOn: LedgerDate("2024-07-01")!),
///                          by: "op-3", commandID: "medal-2024-C000017")
/// ```
///
/// Commands are checked and queued one at a time, so two commands can never
/// both pass a rule only one may pass (the medal twice, two open outflows).
/// A command whose id the store already has is not checked again: it returns
/// the first result. A refused command writes nothing and throws
/// ``DomainError``. The ledger must be the only writer of its store.
public actor Ledger {
    /// Every event type of the domain, registered under its stable name.
    public static let eventTypes: EventTypes = {
        var types = EventTypes()
        func register<E: Event>(_ type: E.Type) { types.register(type) }
        for type in DomainEvents.all { register(type) }
        return types
    }()

    /// Today's date in the bureau's time zone (UTC+8), from the system clock.
    public static let todayInBeijing: @Sendable () -> LedgerDate = {
        LedgerDate(daysSinceEpoch: Int32((Int64(Date().timeIntervalSince1970) + 8 * 3600) / 86_400))
    }

    /// The store the events go to.
    public nonisolated let store: EventStore
    /// The state the rules are checked against: every accepted command included.
    public private(set) var state: DomainState
    /// An append failed after its events were applied to ``state``: rebuild before the next command.
    private var stale = false
    /// Batches checked and queued for the store (``enqueue(_:by:allOrNothing:)``).
    nonisolated let submissions = Submissions()
    /// The commands of the batch queued last, kept until the next is queued so
    /// that they are freed here rather than on the queue's thread: memory freed
    /// by another thread than the one that allocated it costs much more (with
    /// glibc's allocator, its arena's lock and a consolidation of its free lists).
    private var lastQueued: [CommandWrites] = []
    private let today: @Sendable () -> LedgerDate

    /// A ledger over `store` (opened with ``eventTypes``), its state rebuilt from the log.
    public init(store: EventStore, today: @escaping @Sendable () -> LedgerDate = Ledger.todayInBeijing) throws {
        self.store = store
        self.today = today
        self.state = try store.project(DomainState.self).projection
    }

    /// Checks `command` against the current state and appends its events;
    /// returns when they are durable.
    @discardableResult
    public func execute(_ command: some DomainCommand, by recordedBy: String, commandID: String,
                        correlationID: String? = nil, causationID: String? = nil) async throws(DomainError) -> AppendResult {
        // Checked against a store that has taken every queued batch: from here
        // until its events are queued in the store, nothing suspends.
        try await settle()
        if store.knowsCommand(commandID) {
            do {
                if let first = try await store.result(ofCommand: commandID) { return first }
            } catch {
                throw DomainError(.store, english: "the first result of command \(commandID), sent again, could not be read: \(error.message)",
                                  chinese: "无法读取重复指令\(commandID)的首次结果：\(error.message)", values: ["commandID": commandID])
            }
            // Its append failed (no result): judged anew, after whatever was queued meanwhile.
            try await settle()
        }
        try Rules.nonEmpty(recordedBy, "operator", "操作员")
        try Rules.nonEmpty(commandID, "command id", "指令编号")
        let writes = try decide(command)
        let metadata = EventMetadata(businessDate: command.date, recordedBy: recordedBy, commandID: commandID,
                                     correlationID: correlationID, causationID: causationID)
        // Queued before the next command is let in: the log's order is the order of the checks.
        let ticket: AppendTicket
        do { ticket = try store.enqueue(writes, metadata: metadata) } catch {
            if error.code == .wrongExpectedVersion, let stream = error.stream {
                // Commands that create a record under a new id expect its stream not to exist.
                throw DomainError.recordExists(stream, commandID: commandID)
            }
            throw DomainError(.store, english: "the store refused the events of command \(commandID): \(error.message)",
                              chinese: "存储拒绝了指令\(commandID)的事件：\(error.message)", values: ["commandID": commandID])
        }
        state.evolve(writes, on: command.date)
        do {
            return try await ticket.result()
        } catch {
            stale = true
            throw DomainError(.store, english: "the events of command \(commandID) could not be written: \(error.message)",
                              chinese: "指令\(commandID)的事件未能写入：\(error.message)", values: ["commandID": commandID])
        }
    }

    /// Checks each command against the state as the commands before it left
    /// it, and appends the accepted ones together, as one batch; returns when
    /// they are durable, with each command's result in the order sent.
    ///
    /// A refused command writes nothing and does not stop the others: its
    /// place in the results holds its ``DomainError``. A command whose id the
    /// store already has, or that comes twice in the list, gets the first
    /// result. One batch of many commands is far cheaper than one append per
    /// command: importers and bulk loaders use this. If the store refuses the
    /// batch, nothing of it is written and this throws; if the log fails to
    /// write it, this throws and the store must be reopened.
    ///
    /// With `allOrNothing`, one refused command stops the whole batch: nothing
    /// is written, the refused commands' places hold their errors and every
    /// other place a `batch.notWritten` error naming the first refusal.
    public func execute(_ commands: [LedgerCommand], by recordedBy: String,
                        allOrNothing: Bool = false) async throws(DomainError) -> [Result<AppendResult, DomainError>] {
        try await enqueue(commands, by: recordedBy, allOrNothing: allOrNothing).results()
    }

    /// Checks each command as ``execute(_:by:allOrNothing:)`` does and queues
    /// the accepted ones for the store, without waiting for them to be written:
    /// the store takes a batch on another thread while the ledger checks the
    /// next one. Await the ticket's ``LedgerTicket/results()`` for when they are
    /// durable, with each command's result.
    ///
    /// Batches are written in the order they were queued, and each command is
    /// checked against the state with every batch queued before it. A bulk
    /// loader keeps one batch in flight: it queues the next, then awaits the
    /// results of the one before. If a queued batch cannot be written, no batch
    /// queued after it is, and the ledger rebuilds its state from the log before
    /// the next command.
    public func enqueue(_ commands: [LedgerCommand], by recordedBy: String,
                        allOrNothing: Bool = false) async throws(DomainError) -> LedgerTicket {
        try Rules.nonEmpty(recordedBy, "operator", "操作员")
        if stale || submissions.failure != nil { try await settle() }
        // Kept only when it may be needed: while a copy is alive, the first change
        // to each of the state's tables copies the whole table.
        let stateBefore = allOrNothing ? state : nil
        // The commands are checked against a local state, moved out of the actor and
        // back before anything can suspend: an actor's stored property handed to a
        // command's `decide` is copied first (a reference count for each of its
        // tables, for every command).
        var working = DomainState()
        swap(&working, &state)
        let day = today()
        var results = [Result<AppendResult, DomainError>?](repeating: nil, count: commands.count)
        var accepted: [CommandWrites] = []
        accepted.reserveCapacity(commands.count)
        var acceptedFingerprints: [UInt64] = []
        acceptedFingerprints.reserveCapacity(commands.count)
        var acceptedAt: [Int] = []
        acceptedAt.reserveCapacity(commands.count)
        var firstWithID = FingerprintTable<Int>(capacity: commands.count)
        var sentBefore: [Int] = []
        var sameAs: [(Int, Int)] = []
        // What the accepted commands before this one write.
        var versions = StreamVersions(store: store, submissions: submissions, commands: commands.count)
        // Which commands a queued batch or the store has, looked up together (the
        // ledger is the store's only writer); the queued batches first (see ``Submissions``).
        // Each id hashed once: its fingerprint serves every look-up of it, the store's too.
        let ids = commands.map(\.commandID)
        let fingerprints = ids.map(EventStore.fingerprint(ofCommand:))
        let queued = submissions.queued(ids, fingerprints: fingerprints)
        let stored = store.knowsCommands(ids, fingerprints: fingerprints)
        let known = zip(queued, stored).map { $0 || $1 }
        // By index: a command taken out of the list whole would be copied
        // (a reference count for each of its strings and its boxed command).
        for i in commands.indices {
            // One look-up for the usual case, an id not seen before in the batch.
            if let first = firstWithID.insert(ids[i], fingerprint: fingerprints[i], i) {
                sameAs.append((i, first))
                continue
            }
            do throws(DomainError) {
                try Rules.nonEmpty(commands[i].commandID, "command id", "指令编号")
                if let own = commands[i].recordedBy { try Rules.nonEmpty(own, "operator", "操作员") }
                if known[i] {
                    sentBefore.append(i)
                    continue
                }
                let writes = try commands[i].command.decide(working, today: day)
                try versions.check(writes, commandID: commands[i].commandID)
                let date = commands[i].command.date
                working.evolve(writes, on: date)
                accepted.append(CommandWrites(writes, metadata: EventMetadata(
                    businessDate: date, recordedBy: commands[i].recordedBy ?? recordedBy, commandID: commands[i].commandID,
                    correlationID: commands[i].correlationID, causationID: commands[i].causationID)))
                acceptedAt.append(i)
                acceptedFingerprints.append(fingerprints[i])
            } catch {
                results[i] = .failure(error)
            }
        }
        swap(&working, &state)
        if let stateBefore, let refused = results.firstIndex(where: { $0 != nil }), case .failure(let error)? = results[refused] {
            state = stateBefore
            let id = commands[refused].commandID
            let notWritten = DomainError(
                .batchNotWritten, english: "not written: command \(id) of the same all-or-nothing batch was refused (\(error.code))",
                chinese: "未写入：同一批（全部或全不）中的指令\(id)被拒绝（\(error.code)）", values: ["refusedCommand": id, "refusedCode": error.code.rawValue])
            return LedgerTicket(results: results.map { $0 ?? .failure(notWritten) })
        }
        let submission = accepted.isEmpty ? nil
            : submissions.submit(accepted, fingerprints: acceptedFingerprints, streams: versions.writtenStreams, to: store)
        lastQueued = accepted
        return LedgerTicket(store: store, submissions: submissions, submission: submission, accepted: accepted.count, commandIDs: ids,
                            results: results, acceptedAt: acceptedAt, sentBefore: sentBefore, sameAs: sameAs)
    }

    /// Waits until the store has taken every queued batch and, if one of them or
    /// an earlier append failed, rebuilds the state from the log.
    ///
    /// Nothing suspends between its return and the caller's next step: another
    /// call may queue a batch while this one waits, so it waits until none is left.
    private func settle() async throws(DomainError) {
        while !submissions.isEmpty { await submissions.drain() }
        guard stale || submissions.failure != nil else { return }
        try rebuild()
        submissions.clearFailure()
    }

    /// `command.decide` against the state, moved out of the actor for the call
    /// and back (see the batch's `execute`: handed over in place, it is copied).
    private func decide(_ command: some DomainCommand) throws(DomainError) -> [StreamWrite] {
        var working = DomainState()
        swap(&working, &state)
        defer { swap(&working, &state) }
        return try command.decide(working, today: today())
    }

    /// Rebuilds the state from the log after a failed append.
    private func rebuild() throws(DomainError) {
        do { state = try store.project(DomainState.self).projection } catch {
            throw DomainError(.store, english: "the ledger's state could not be rebuilt: \(error)", chinese: "无法重建台账状态：\(error)")
        }
        stale = false
    }
}

/// A command and the ids it is sent with, in a batch given to a ``Ledger``.
public struct LedgerCommand: Sendable {
    public var command: any DomainCommand
    /// The command's id: the same id sent again is recorded once.
    public var commandID: String
    public var correlationID: String?
    public var causationID: String?
    /// The operator who sends it, if not the one the batch is sent by.
    public var recordedBy: String?

    public init(_ command: any DomainCommand, id commandID: String, correlationID: String? = nil, causationID: String? = nil,
                recordedBy: String? = nil) {
        self.command = command
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
        self.recordedBy = recordedBy
    }
}

/// A batch queued by ``Ledger/enqueue(_:by:allOrNothing:)``: each command's
/// result once the accepted ones are durable.
public struct LedgerTicket: Sendable {
    private let store: EventStore?
    private let submissions: Submissions?
    private let submission: Submission?
    private let accepted: Int
    private let commandIDs: [String]
    /// The refusals, filled in when the batch was checked.
    private let checked: [Result<AppendResult, DomainError>?]
    private let acceptedAt: [Int]
    private let sentBefore: [Int]
    private let sameAs: [(Int, Int)]

    init(store: EventStore, submissions: Submissions, submission: Submission?, accepted: Int, commandIDs: [String],
         results: [Result<AppendResult, DomainError>?], acceptedAt: [Int], sentBefore: [Int], sameAs: [(Int, Int)]) {
        self.store = store
        self.submissions = submissions
        self.submission = submission
        self.accepted = accepted
        self.commandIDs = commandIDs
        self.checked = results
        self.acceptedAt = acceptedAt
        self.sentBefore = sentBefore
        self.sameAs = sameAs
    }

    /// A batch refused whole (all or nothing): its results are known already.
    init(results: [Result<AppendResult, DomainError>]) {
        self.store = nil
        self.submissions = nil
        self.submission = nil
        self.accepted = 0
        self.commandIDs = []
        self.checked = results
        self.acceptedAt = []
        self.sentBefore = []
        self.sameAs = []
    }

    /// Waits until the accepted commands are durable; each command's result, in
    /// the order sent: its append's, its refusal, or the first result of its id.
    /// Throws if the store refused the batch or could not write it: then none
    /// of it was written, nor any batch queued after it.
    public func results() async throws(DomainError) -> [Result<AppendResult, DomainError>] {
        var results = checked
        guard let store, let submissions else { return results.map { $0 ?? .failure(DomainError(.store, english: "no result", chinese: "无结果")) } }
        if let submission {
            let ticket = try await submission.value()
            do {
                for (i, result) in zip(acceptedAt, try await ticket.results()) { results[i] = .success(result) }
            } catch {
                let failure = DomainError(.store, english: "a batch of \(accepted) commands could not be written: \(error.message)",
                                          chinese: "一批\(accepted)条指令未能写入：\(error.message)", values: ["commands": "\(accepted)"])
                submissions.fail(failure)
                throw failure
            }
        } else if !sentBefore.isEmpty {
            // Their first sending may be in a batch the store has not taken yet.
            await submissions.drain()
        }
        for i in sentBefore {
            let id = commandIDs[i]
            var message = "the store has no result for it"
            do {
                if let first = try await store.result(ofCommand: id) {
                    results[i] = .success(first)
                    continue
                }
            } catch {
                message = error.message
            }
            results[i] = .failure(DomainError(.store, english: "the first result of command \(id), sent again, could not be read: \(message)",
                                              chinese: "无法读取重复指令\(id)的首次结果：\(message)", values: ["commandID": id]))
        }
        for (i, first) in sameAs { results[i] = results[first] }
        // Every place is filled above: by its result, its refusal, or the first command with its id.
        return results.map { $0 ?? .failure(DomainError(.store, english: "no result", chinese: "无结果")) }
    }
}

/// The streams the commands accepted so far in a batch write: checks a
/// command's expectations before it is queued, so that a command under an id
/// already used is refused alone (the store would refuse the whole batch).
private struct StreamVersions {
    let store: EventStore
    let submissions: Submissions
    /// Events the batch so far writes to each stream; once the batch is
    /// checked, the index of its streams that ``Submissions`` keeps while it
    /// is queued.
    private(set) var writtenStreams: FingerprintTable<UInt64>

    /// For a batch of `commands` commands (most write one stream).
    init(store: EventStore, submissions: Submissions, commands: Int) {
        self.store = store
        self.submissions = submissions
        writtenStreams = FingerprintTable(capacity: commands)
    }

    /// The version of `stream` (its name's quick fingerprint is `fingerprint`),
    /// once the batch so far is written; for an expectation of `.noStream`,
    /// only whether it exists is looked for.
    private func version(of stream: String, fingerprint: UInt64, expecting expected: ExpectedVersion) -> UInt64? {
        let stored: UInt64?
        if expected == .noStream {
            // Only whether the stream exists matters: a queued batch writing it
            // says so (looked at before the store, see ``Submissions``).
            stored = submissions.writes(stream, fingerprint: fingerprint) ? 0 : store.version(of: stream)
        } else {
            stored = submissions.version(of: stream, fingerprint: fingerprint, in: store)
        }
        guard let n = writtenStreams[stream, fingerprint: fingerprint] else { return stored }
        return stored.map { $0 + n } ?? n - 1
    }

    /// Checks the expectations of a command's writes against the streams as
    /// the store, the queued batches and the batch so far leave them, then
    /// counts the writes in. By index, fields passed one by one: a write
    /// taken out of the list is a copy (a reference count taken on its name
    /// and its events).
    mutating func check(_ writes: [StreamWrite], commandID: String) throws(DomainError) {
        // `.any` needs no look-up (most writes).
        for w in writes.indices where writes[w].expectedVersion != .any {
            let fingerprint = writes[w].stream.quickFingerprint
            guard writes[w].expectedVersion.isMet(by: version(of: writes[w].stream, fingerprint: fingerprint, expecting: writes[w].expectedVersion)) else {
                throw DomainError.recordExists(writes[w].stream, commandID: commandID)
            }
        }
        // Every write checked before any is counted: a refused command counts nothing.
        for w in writes.indices where !writes[w].events.isEmpty {
            writtenStreams.add(writes[w].stream, fingerprint: writes[w].stream.quickFingerprint, UInt64(writes[w].events.count), +)
        }
    }
}

extension DomainError {
    /// A command that creates a record under an id already used.
    static func recordExists(_ stream: String, commandID: String) -> DomainError {
        DomainError(.recordExists, english: "\(stream) already exists; an id is used once (command \(commandID))",
                    chinese: "记录\(stream)已存在，编号不能重复使用（指令\(commandID)）", values: ["stream": stream, "commandID": commandID])
    }
}

extension DomainState {
    /// Folds a command's events in, as the ledger accepts it.
    mutating func evolve(_ writes: [StreamWrite], on date: LedgerDate) {
        let year = date.components.year
        // By index: a write taken out of the list is a copy (a reference count
        // taken on its stream's name and its events). The type's name is asked
        // for only by the events of other types than the domain's.
        for w in writes.indices {
            for e in writes[w].events.indices {
                fold(writes[w].events[e], named: type(of: writes[w].events[e]).eventType, in: year)
            }
        }
    }
}
