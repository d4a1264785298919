import Crypto
import Foundation
@_spi(Internals) import SilverLedgerStorage

extension EventStore {
    /// Rebuilds a projection from the log as of a past point (or now).
    ///
    /// With `usingSnapshot`, a saved snapshot taken at or before that point is
    /// loaded and only the events after it are replayed. A snapshot that is
    /// damaged, or was saved by code with another schema (name, version or
    /// type), is ignored with a log line and the projection is rebuilt from
    /// the log: never a wrong state.
    ///
    /// `progress`, if given, is told the events applied so far and how many
    /// there are to apply, every few hundred events (for a progress bar).
    public func project<P: Projection>(_ type: P.Type = P.self, asOf: AsOf = .now, usingSnapshot: Bool = true,
                                       progress: ((_ applied: UInt64, _ total: UInt64) -> Void)? = nil) throws -> Projected<P> {
        let end = try cutoff(asOf)
        var projected = Projected(projection: P(), position: 0, eventsApplied: 0, usedSnapshot: false)
        if usingSnapshot, let snapshottable = P.self as? any (Projection & Codable).Type,
           let loaded = loadSnapshot(snapshottable, notAfter: end) as? (P, UInt64) {
            projected.projection = loaded.0
            projected.position = loaded.1
            projected.usedSnapshot = true
        }
        try apply(&projected, until: end, progress: progress)
        return projected
    }

    /// Applies the events from `projected.position` up to `end` (exclusive).
    ///
    /// A long run of events whose payloads the projection decodes (or
    /// prepares) is read on a second thread while this one applies them.
    func apply<P: Projection>(_ projected: inout Projected<P>, until end: UInt64,
                              progress: ((_ applied: UInt64, _ total: UInt64) -> Void)? = nil) throws {
        if let prepared = P.self as? any PreparedProjection.Type {
            func open<Q: PreparedProjection>(_: Q.Type) throws {
                // Moved out and back (the state is not copied: one reference each way).
                var q = projected as! Projected<Q>
                defer { projected = q as! Projected<P> }
                try applyPrepared(&q, until: end, progress: progress)
            }
            return try open(prepared)
        }
        // The loop works on plain locals: in this unspecialized generic code every
        // use of `Projected<P>` would look its type metadata up again.
        let decodes = P.decodesPayloads
        var projection = projected.projection
        var position = projected.position
        var applied: UInt64 = 0
        defer {
            // Also after a failure: the state then reflects exactly the events applied.
            projected.projection = projection
            projected.position = position
            projected.eventsApplied += applied
        }
        let count = min(end, log.nextPosition) &- position
        if decodes && position < end && count >= Self.pipelineThreshold && Halves.available {
            try ReadAhead(store: self, from: position, until: end, reading: DecodingReader(types: types)).drain { chunk in
                // Through a buffer pointer: the elements are lent to `apply`, not copied out.
                chunk.taken?.withUnsafeBufferPointer { decoded in
                    for i in decoded.indices { projection.apply(decoded[i].event, decoded: decoded[i].value) }
                }
                position = chunk.end
                applied += UInt64(chunk.count)
                progress?(applied, count)
            }
        } else {
            var decoder = EnvelopeDecoder()
            var payloads = EventTypes.PayloadDecoder(types)
            try log.forEach(from: position, until: end) { p, timestamp, bytes in
                let event = try decoder.event(bytes, position: p, recordedAt: timestamp)
                projection.apply(event, decoded: decodes ? try Self.decodePayload(of: event, slot: decoder.typeSlot, with: &payloads) : nil)
                position = p + 1
                applied += 1
                if applied & 1023 == 0 { progress?(applied, count) }
            }
        }
        progress?(applied, applied)
        position = max(position, min(end, log.nextPosition))
    }

    /// ``apply(_:until:progress:)`` for a projection that prepares its events.
    private func applyPrepared<P: PreparedProjection>(_ projected: inout Projected<P>, until end: UInt64,
                                                      progress: ((_ applied: UInt64, _ total: UInt64) -> Void)?) throws {
        var projection = projected.projection
        var position = projected.position
        var applied: UInt64 = 0
        defer {
            projected.projection = projection
            projected.position = position
            projected.eventsApplied += applied
        }
        let count = min(end, log.nextPosition) &- position
        if position < end && count >= Self.pipelineThreshold && Halves.available {
            try ReadAhead(store: self, from: position, until: end, reading: PreparingReader<P.Preparer>(types: types)).drain { chunk in
                // Moved out (the chunk keeps nothing): the projection owns the run
                // and may move the values out of it rather than copy them.
                projection.apply(prepared: chunk.taken.take()!)
                position = chunk.end
                applied += UInt64(chunk.count)
                progress?(applied, count)
            }
        } else {
            var reader = PreparingReader<P.Preparer>(types: types)
            var prepared = 0
            var next = position
            func flush() {
                guard prepared > 0 else { return }
                projection.apply(prepared: reader.take())
                position = next
                applied += UInt64(prepared)
                prepared = 0
                progress?(applied, count)
            }
            // On a failure, the events prepared before it are applied first:
            // the state is then that of the position reached.
            defer { flush() }
            try log.forEach(from: position, until: end) { p, timestamp, bytes in
                try reader.read(bytes, position: p, recordedAt: timestamp)
                prepared += 1
                next = p + 1
                if prepared == replayRunLength { flush() }
            }
        }
        progress?(applied, applied)
        position = max(position, min(end, log.nextPosition))
    }

    /// From this many events on, a projection that decodes payloads is fed by a second thread.
    static let pipelineThreshold: UInt64 = 4096

    /// The payload of `event` decoded with `decoder` (`slot`: its type's in the
    /// envelope decoder that read it), or a `corruptedEvent` error naming it.
    static func decodePayload(of event: RecordedEvent, slot: Int, with decoder: inout EventTypes.PayloadDecoder) throws(EventStoreError) -> (any Event)? {
        do { return try decoder.decode(event, slot: slot) } catch {
            throw undecodable(event, error)
        }
    }

    static func undecodable(_ event: RecordedEvent, _ error: any Error) -> EventStoreError {
        EventStoreError(.corruptedEvent, "the payload of the event at position \(event.position) (\(event.eventType) version \(event.schemaVersion)) could not be decoded: \(error)")
    }

    /// The log position (exclusive) that `asOf` stands for: the events before it
    /// are those a projection as of that point includes.
    public func position(asOf: AsOf) throws(EventStoreError) -> UInt64 {
        try cutoff(asOf)
    }

    /// The log position (exclusive) that `asOf` stands for.
    func cutoff(_ asOf: AsOf) throws(EventStoreError) -> UInt64 {
        switch asOf {
        case .now: return log.nextPosition
        case .position(let p): return min(p, log.nextPosition)
        case .recordedAt(let t): return t == .max ? log.nextPosition : try log.position(atOrAfter: t + 1)
        }
    }

    /// Saves a projection's state and position as its snapshot, atomically
    /// (temporary file, sync, rename, directory sync), with the log's chain
    /// hash at that position so that it is only ever used with the same log.
    ///
    /// A state whose encoding passes 32 MiB is not held whole beside the
    /// projection: it is encoded once to measure it, then again straight to
    /// the file in pieces of 1 MiB (the file's bytes are the same). The state
    /// must encode the same way each time (it is a value; a class inside it
    /// that changes between the two passes makes the save fail, saving nothing).
    public func saveSnapshot<P: Projection & Codable>(_ projected: Projected<P>) throws {
        try saveSnapshot(projected, wholeStateLimit: SnapshotFormat.wholeStateLimit)
    }

    /// ``saveSnapshot(_:)``, a state longer than `wholeStateLimit` bytes encoded in pieces.
    func saveSnapshot<P: Projection & Codable>(_ projected: Projected<P>, wholeStateLimit: Int) throws {
        guard !options.readOnly else {
            throw EventStoreError(.invalidAppend, "the store was opened read-only; the snapshot of \(P.name) was not saved")
        }
        guard let chain = try log.chainHash(through: projected.position) else {
            throw EventStoreError(.invalidAppend, "projection \(P.name) is at position \(projected.position), past the end of the log (\(log.nextPosition)); nothing was saved")
        }
        // Own forms, as the snapshot is read (the same bytes as `Codable`, faster).
        let encoder = BinaryEncoder(usesOwnBinaryForms: true)
        /// Writes the file: the header, the state's `length` bytes as
        /// `state` hands them over, the checksum carried across them.
        func write(length: Int, _ state: (_ piece: (UnsafeRawBufferPointer) throws(StorageError) -> Void) throws(StorageError) -> Void) throws {
            var head = [UInt8]()
            head.append(contentsOf: SnapshotFormat.magic)
            head.append(contentsOf: SnapshotFormat.schemaHash(P.self))
            withUnsafeBytes(of: projected.position.littleEndian) { head.append(contentsOf: $0) }
            head.append(contentsOf: chain)
            withUnsafeBytes(of: UInt64(length).littleEndian) { head.append(contentsOf: $0) }
            try log.writeSnapshot(SnapshotFormat.fileName(P.self)) { (sink) throws(StorageError) in
                try sink.write(head)
                var crc = CRC32C.checksum(head)
                try state { (piece) throws(StorageError) in
                    crc = CRC32C.extend(crc, piece)
                    try sink.write(piece)
                }
                try sink.write(withUnsafeBytes(of: crc.littleEndian) { Array($0) })
            }
        }
        if let state = try encoder.encode(projected.projection, upTo: wholeStateLimit) {
            // One piece, not copied behind the header.
            return try write(length: state.count) { (piece) throws(StorageError) in
                try state.withBytes { (b) throws(StorageError) in try piece(b) }
            }
        }
        // A large state (178 MB for the domain's state of a 300,000-cadre
        // province) is not held whole beside the projection: a first pass
        // measures it, a second writes it to the file in pieces as it is encoded.
        let measure = try encoder.measure(projected.projection, pieceSize: SnapshotFormat.pieceSize)
        try write(length: measure.length) { (piece) throws(StorageError) in
            do {
                try encoder.encode(projected.projection, as: measure, pieceSize: SnapshotFormat.pieceSize) { try piece($0) }
            } catch let error as StorageError {
                throw error
            } catch {
                throw StorageError(.failed, "the state of projection \(P.name) did not encode again as it did when measured; nothing was saved: \(error)")
            }
        }
    }

    /// The snapshot of `P`, if there is a valid one at or before `end`.
    private func loadSnapshot<P: Projection & Codable>(_ type: P.Type, notAfter end: UInt64) -> (P, UInt64)? {
        let name = SnapshotFormat.fileName(P.self)
        let bytes: [UInt8]
        do {
            guard let read = try log.readSnapshot(name) else { return nil }
            bytes = read
        } catch {
            options.logger.warning("cannot read the snapshot; rebuilding from the log", metadata: ["projection": "\(P.name)", "error": "\(error)"])
            return nil
        }
        func reject(_ why: String) -> (P, UInt64)? {
            options.logger.warning("ignoring snapshot: \(why); rebuilding from the log", metadata: ["projection": "\(P.name)", "file": "\(name)"])
            return nil
        }
        let header = SnapshotFormat.headerLength
        guard bytes.count >= header + 4 else { return reject("it is truncated (\(bytes.count) bytes)") }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self)) }
        guard crc == stored else { return reject("its checksum does not match (damaged)") }
        guard Array(bytes[0..<8]) == SnapshotFormat.magic else { return reject("it has the wrong magic") }
        guard Array(bytes[8..<40]) == SnapshotFormat.schemaHash(P.self) else {
            return reject("it was saved by code with another schema (name, version or type of \(P.self))")
        }
        let (position, length) = bytes.withUnsafeBytes {
            (UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 40, as: UInt64.self)),
             UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 80, as: UInt64.self)))
        }
        guard length == UInt64(bytes.count - header - 4) else { return reject("its length field does not match") }
        guard position <= log.nextPosition else { return reject("it is at position \(position), past the end of the log (\(log.nextPosition))") }
        guard position <= end else { return nil }   // taken after the point asked for: not usable here
        do {
            guard try log.chainHash(through: position) == Array(bytes[48..<80]) else {
                return reject("the log's chain hash at position \(position) is not the snapshot's (the log was repaired or replaced since)")
            }
        } catch {
            return reject("the log's chain hash at position \(position) cannot be read (\(error))")
        }
        do {
            // Read in place: a copy of the state's bytes would add their size to the open's peak memory.
            let value = try bytes.withUnsafeBytes {
                try BinaryDecoder(usesOwnBinaryForms: true).decode(P.self, from: UnsafeRawBufferPointer(rebasing: $0[header..<(bytes.count - 4)]))
            }
            return (value, position)
        } catch {
            return reject("its state does not decode (\(error))")
        }
    }
}

enum SnapshotFormat {
    static let magic: [UInt8] = Array("SLSNAP02".utf8)
    /// Magic, schema hash, position, chain hash, state length.
    static let headerLength = 8 + 32 + 8 + 32 + 8
    /// A state whose encoding is longer is encoded twice, the second time
    /// straight to the file in pieces of `pieceSize`, rather than held whole.
    static let wholeStateLimit = 32 << 20
    static let pieceSize = 1 << 20

    static func fileName<P: Projection>(_: P.Type) -> String {
        let safe = P.name.unicodeScalars.map { isSafe($0) ? String($0) : "_" }.joined()
        return safe + ".snap"
    }

    /// SHA-256 of the projection's name, schema version and Swift type.
    static func schemaHash<P: Projection>(_: P.Type) -> [UInt8] {
        Array(SHA256.hash(data: Array("\(P.name)\n\(P.schemaVersion)\n\(String(reflecting: P.self))".utf8)))
    }

    private static func isSafe(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s.properties.isAlphabetic || s.properties.numericType != nil || s == "-" || s == "_")
    }
}

/// Events per run handed from the reading thread of a replay to the applying one.
let replayRunLength = 1024

/// Reads the records of a replay and hands over what it read, a run at a time.
protocol ReplayReading: Sendable {
    associatedtype Taken: Sendable
    mutating func read(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws
    /// What was read since the last call, in log order.
    mutating func take() -> Taken
}

/// Each event with its payload decoded.
struct DecodingReader: ReplayReading {
    struct Decoded: Sendable {
        var event: RecordedEvent
        var value: (any Event)?
    }
    private var decoder = EnvelopeDecoder()
    private var payloads: EventTypes.PayloadDecoder
    private var read: [Decoded] = []

    init(types: EventTypes) { payloads = EventTypes.PayloadDecoder(types) }

    mutating func read(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws {
        let event = try decoder.event(record, position: position, recordedAt: recordedAt)
        let value = try EventStore.decodePayload(of: event, slot: decoder.typeSlot, with: &payloads)
        if read.isEmpty { read.reserveCapacity(replayRunLength) }
        read.append(Decoded(event: consume event, value: value))
    }

    mutating func take() -> [Decoded] {
        defer { read = [] }
        return read
    }
}

/// Each event as a ``PreparedProjection``'s preparer reads it.
struct PreparingReader<Preparer: EventPreparer>: ReplayReading {
    private var decoder = EnvelopeDecoder()
    private var payloads: EventTypes.PayloadDecoder
    private var preparer: Preparer

    init(types: EventTypes) {
        payloads = EventTypes.PayloadDecoder(types)
        preparer = Preparer(types: types)
    }

    mutating func read(_ record: ArraySlice<UInt8>, position: UInt64, recordedAt: Int64) throws {
        let event = try decoder.event(record, position: position, recordedAt: recordedAt)
        let slot = decoder.typeSlot
        do {
            try preparer.prepare(event, typeSlot: slot) { try payloads.decode(event, slot: slot) }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw EventStore.undecodable(event, error)
        }
    }

    mutating func take() -> Preparer.Prepared { preparer.take() }
}

/// One record of the log, handed over to the applying thread unread (not
/// nested in ``ReadAhead``: a generic type's metadata would be looked up for
/// every record).
struct UnreadRecord: Sendable {
    var position: UInt64
    var timestamp: Int64
    var bytes: ArraySlice<UInt8>
}

/// The events of a range, read on a thread of their own and handed over in
/// runs, at most a few runs ahead of the applying thread.
///
/// The two threads share the reading: when the reading thread hands over a
/// run and finds that the applying thread has applied every run before it
/// (it is waiting, or about to), it hands over its next run unread, and the
/// applying thread reads that one with a reader of its own before applying
/// it. A rebuild whose reading costs more than its applying so keeps both
/// cores busy; one whose applying costs more keeps runs queued and reads on
/// one thread, as before.
final class ReadAhead<Reading: ReplayReading>: Sendable {
    typealias Taken = Reading.Taken
    /// What was read of a run of events (or the run's records, unread), how
    /// many, and the position after the last one.
    struct Chunk: Sendable {
        /// What was read; nil if the run is handed over unread, or once the applying side has taken it.
        var taken: Taken?
        /// The run's records when the reading thread left them to the applying one.
        var unread: [UnreadRecord]
        var count: Int
        var end: UInt64
    }
    private typealias Handed = Result<Chunk?, any Error>

    /// At most sixteen runs are read ahead: room for the runs read while the
    /// applying thread reads one itself.
    private let free = DispatchSemaphore(value: 16)
    private let ready = DispatchSemaphore(value: 0)
    private let chunks = Locked<[Handed]>([])
    /// Chunks applied, to be freed by the reading thread.
    private let applied = Locked<[Chunk]>([])
    /// Set when the applying side stops early (a record it read is bad): the
    /// reading thread then stops after the run it is reading.
    private let stopped = Locked(false)
    /// A reader as the reading thread's was before it read anything, for the
    /// applying thread's own reading.
    private let fresh: Reading

    private struct Stopped: Error {}

    /// Starts reading `start..<end` of `store`'s log with `reading`.
    init(store: EventStore, from start: UInt64, until end: UInt64, reading: Reading) {
        fresh = reading
        // Not a static of this class: in the loop it would look up the generic class's metadata for every event.
        let chunkSize = replayRunLength
        let thread = Thread { [self] in
            var reading = reading
            var count = 0
            var next = start
            var unread: [UnreadRecord] = []
            // The applying thread waits for the first run: it reads it itself.
            var leaveUnread = true
            do {
                try store.log.forEach(from: start, until: end) { p, timestamp, bytes in
                    if leaveUnread {
                        if unread.isEmpty { unread.reserveCapacity(chunkSize) }
                        unread.append(UnreadRecord(position: p, timestamp: timestamp, bytes: bytes))
                    } else {
                        try reading.read(bytes, position: p, recordedAt: timestamp)
                    }
                    count += 1
                    next = p + 1
                    if count == chunkSize {
                        leaveUnread = try handOver(&reading, &unread, count: count, end: next)
                        count = 0
                    }
                }
                if count > 0 { _ = try handOver(&reading, &unread, count: count, end: next) }
                put(.success(nil))   // the end
            } catch {
                // What was read before the failure is applied first.
                if count > 0 && !(error is Stopped) { _ = try? handOver(&reading, &unread, count: count, end: next) }
                put(.failure(error))
            }
        }
        thread.name = "silverledger-replay"
        thread.start()
    }

    /// Hands over the run just read (or its records, unread); returns whether
    /// to leave the next run unread: whether no run was waiting to be
    /// applied. Out of line: the per-record closure that calls it would
    /// otherwise build the metadata of `Chunk`, `Chunk?` and `Handed` for
    /// every record (the code is generic, not specialized, when the
    /// projection is another module's).
    @inline(never)
    private func handOver(_ reading: inout Reading, _ unread: inout [UnreadRecord], count: Int, end: UInt64) throws -> Bool {
        let queued = chunks.withLock { $0.count }
        if unread.isEmpty {
            put(.success(Chunk(taken: reading.take(), unread: [], count: count, end: end)))
        } else {
            put(.success(Chunk(taken: nil, unread: unread, count: count, end: end)))
            unread = []
        }
        if stopped.withLock({ $0 }) { throw Stopped() }
        return queued == 0
    }

    private func put(_ chunk: Handed) {
        // Free the chunks applied since the last one here, outside the lock:
        // glibc's malloc frees a block into the arena of the thread that
        // allocated it, under that arena's lock, so this thread frees its own.
        var done = applied.withLock { a -> [Chunk] in
            defer { a.removeAll() }
            return a
        }
        done.removeAll()
        free.wait()
        chunks.withLock { $0.append(chunk) }
        ready.signal()
    }

    /// Calls `body` with each run in log order (reading first the runs handed
    /// over unread), then hands what it left of the run back for the reading
    /// thread to free; throws the error that stopped the reading, after the
    /// runs read before it.
    func drain(_ body: (inout Chunk) -> Void) throws {
        var own = fresh
        while true {
            ready.wait()
            let handed = chunks.withLock { $0.removeFirst() }
            free.signal()
            // `handed` consumed: the chunk is the only owner of what it holds.
            guard var chunk = try (consume handed).get() else { return }
            if chunk.taken == nil {
                var read = 0
                do {
                    for record in chunk.unread {
                        try own.read(record.bytes, position: record.position, recordedAt: record.timestamp)
                        read += 1
                    }
                } catch {
                    // The records before the bad one are applied; the reading thread is stopped.
                    let end = chunk.unread[read].position
                    chunk = Chunk(taken: own.take(), unread: [], count: read, end: end)
                    if read > 0 { body(&chunk) }
                    stop()
                    throw error
                }
                chunk.unread = []
                chunk.taken = own.take()
            }
            body(&chunk)
            applied.withLock { $0.append(chunk) }
        }
    }

    /// Stops the reading thread: takes (and drops) what it hands over until it ends.
    private func stop() {
        stopped.withLock { $0 = true }
        while true {
            ready.wait()
            let handed = chunks.withLock { $0.removeFirst() }
            free.signal()
            switch handed {
            case .success(nil), .failure: return
            case .success: continue
            }
        }
    }
}
