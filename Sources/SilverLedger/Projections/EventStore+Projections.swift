import Crypto
import Foundation
import SilverLedgerStorage

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
    /// A long run of events whose payloads the projection decodes is read and
    /// decoded on a second thread while this one applies them.
    func apply<P: Projection>(_ projected: inout Projected<P>, until end: UInt64,
                              progress: ((_ applied: UInt64, _ total: UInt64) -> Void)? = nil) throws {
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
            let pipe = DecodedEvents(store: self, from: position, until: end)
            while true {
                switch pipe.next() {
                case .success(let chunk):
                    if chunk.events.isEmpty { break }
                    // Through buffer pointers: the elements are lent to `apply`, not copied out.
                    chunk.events.withUnsafeBufferPointer { events in
                        chunk.values.withUnsafeBufferPointer { values in
                            for i in events.indices { projection.apply(events[i], decoded: values[i]) }
                        }
                    }
                    position = chunk.events[chunk.events.count - 1].position + 1
                    applied += UInt64(chunk.events.count)
                    progress?(applied, count)
                    // Freed on the reading thread: glibc's malloc frees a block into the
                    // arena of the thread that allocated it, under that arena's lock.
                    pipe.recycle(chunk)
                    continue
                case .failure(let error):
                    throw error
                }
                break
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

    /// From this many events on, a projection that decodes payloads is fed by a second thread.
    static let pipelineThreshold: UInt64 = 4096

    /// The payload of `event` decoded with `decoder` (`slot`: its type's in the
    /// envelope decoder that read it), or a `corruptedEvent` error naming it.
    static func decodePayload(of event: RecordedEvent, slot: Int, with decoder: inout EventTypes.PayloadDecoder) throws(EventStoreError) -> (any Event)? {
        do { return try decoder.decode(event, slot: slot) } catch {
            throw undecodable(event, error)
        }
    }

    private static func undecodable(_ event: RecordedEvent, _ error: any Error) -> EventStoreError {
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
    public func saveSnapshot<P: Projection & Codable>(_ projected: Projected<P>) throws {
        guard !options.readOnly else {
            throw EventStoreError(.invalidAppend, "the store was opened read-only; the snapshot of \(P.name) was not saved")
        }
        guard let chain = try log.chainHash(through: projected.position) else {
            throw EventStoreError(.invalidAppend, "projection \(P.name) is at position \(projected.position), past the end of the log (\(log.nextPosition)); nothing was saved")
        }
        var bytes = [UInt8]()
        bytes.append(contentsOf: SnapshotFormat.magic)
        bytes.append(contentsOf: SnapshotFormat.schemaHash(P.self))
        withUnsafeBytes(of: projected.position.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: chain)
        let state = try BinaryEncoder().encode(projected.projection)
        withUnsafeBytes(of: UInt64(state.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: state)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        try log.writeSnapshot(SnapshotFormat.fileName(P.self), bytes)
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
            let value = try BinaryDecoder().decode(P.self, from: Array(bytes[header..<(bytes.count - 4)]))
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

/// The events of a range, read and decoded on a thread of their own and
/// handed over in chunks, at most a few chunks ahead of the reader.
final class DecodedEvents: Sendable {
    /// Events in log order, and their decoded payloads.
    struct Events: Sendable {
        var events: [RecordedEvent] = []
        var values: [(any Event)?] = []

        init(capacity: Int) {
            events.reserveCapacity(capacity)
            values.reserveCapacity(capacity)
        }
    }
    typealias Chunk = Result<Events, any Error>
    private static let chunkSize = 1024
    private static let chunksAhead = 4

    private let free = DispatchSemaphore(value: DecodedEvents.chunksAhead)
    private let ready = DispatchSemaphore(value: 0)
    private let chunks = Locked<[Chunk]>([])
    /// Chunks applied, to be freed by the reading thread.
    private let applied = Locked<[Events]>([])

    /// Starts reading `start..<end` of `store`'s log.
    init(store: EventStore, from start: UInt64, until end: UInt64) {
        let thread = Thread { [self] in
            var decoder = EnvelopeDecoder()
            var payloads = EventTypes.PayloadDecoder(store.types)
            var chunk = Events(capacity: Self.chunkSize)
            do {
                try store.log.forEach(from: start, until: end) { p, timestamp, bytes in
                    let event = try decoder.event(bytes, position: p, recordedAt: timestamp)
                    chunk.values.append(try EventStore.decodePayload(of: event, slot: decoder.typeSlot, with: &payloads))
                    chunk.events.append(consume event)
                    if chunk.events.count == Self.chunkSize {
                        put(.success(chunk))
                        chunk = Events(capacity: Self.chunkSize)
                    }
                }
                if !chunk.events.isEmpty { put(.success(chunk)) }
                put(.success(Events(capacity: 0)))   // the end
            } catch {
                if !chunk.events.isEmpty { put(.success(chunk)) }
                put(.failure(error))
            }
        }
        thread.name = "silverledger-replay"
        thread.start()
    }

    private func put(_ chunk: Chunk) {
        // Drop the chunks applied since the last one here, outside the lock.
        var done = applied.withLock { a -> [Events] in
            defer { a.removeAll() }
            return a
        }
        done.removeAll()
        free.wait()
        chunks.withLock { $0.append(chunk) }
        ready.signal()
    }

    /// Hands an applied chunk back, for the reading thread to free.
    func recycle(_ chunk: Events) {
        applied.withLock { $0.append(chunk) }
    }

    /// The next chunk: events in log order; an empty chunk at the end, or the error that stopped the reading.
    func next() -> Chunk {
        ready.wait()
        let chunk = chunks.withLock { $0.removeFirst() }
        free.signal()
        return chunk
    }
}
