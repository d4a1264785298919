import Crypto
import SilverLedgerStorage

extension EventStore {
    /// Rebuilds a projection from the log as of a past point (or now).
    ///
    /// With `usingSnapshot`, a saved snapshot taken at or before that point is
    /// loaded and only the events after it are replayed. A snapshot that is
    /// damaged, or was saved by code with another schema (name, version or
    /// type), is ignored with a log line and the projection is rebuilt from
    /// the log: never a wrong state.
    public func project<P: Projection>(_ type: P.Type = P.self, asOf: AsOf = .now, usingSnapshot: Bool = true) throws -> Projected<P> {
        let end = try cutoff(asOf)
        var projected = Projected(projection: P(), position: 0, eventsApplied: 0, usedSnapshot: false)
        if usingSnapshot, let snapshottable = P.self as? any (Projection & Codable).Type,
           let loaded = loadSnapshot(snapshottable, notAfter: end) as? (P, UInt64) {
            projected.projection = loaded.0
            projected.position = loaded.1
            projected.usedSnapshot = true
        }
        try apply(&projected, until: end)
        return projected
    }

    /// Applies the events from `projected.position` up to `end` (exclusive).
    func apply<P: Projection>(_ projected: inout Projected<P>, until end: UInt64) throws {
        // The loop works on plain locals: in this unspecialized generic code every
        // use of `Projected<P>` would look its type metadata up again.
        let decodes = P.decodesPayloads
        let types = self.types
        var projection = projected.projection
        var position = projected.position
        var applied: UInt64 = 0
        defer {
            // Also after a failure: the state then reflects exactly the events applied.
            projected.projection = projection
            projected.position = position
            projected.eventsApplied += applied
        }
        var decoder = EnvelopeDecoder()
        try log.forEach(from: position, until: end) { p, timestamp, bytes in
            let event = try decoder.event(bytes, position: p, recordedAt: timestamp)
            let value: (any Event)?
            do { value = decodes ? try event.decoded(with: types) : nil } catch {
                throw EventStoreError(.corruptedEvent, "the payload of the event at position \(p) (\(event.eventType) version \(event.schemaVersion)) could not be decoded: \(error)")
            }
            projection.apply(event, decoded: value)
            position = p + 1
            applied += 1
        }
        position = max(position, min(end, log.nextPosition))
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
