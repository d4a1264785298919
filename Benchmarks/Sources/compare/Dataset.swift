// The data every measure uses: a province generated once by `ProvinceGenerator`
// (fixed seed) through the Ledger into a SilverLedger store, the same events
// in an SQLite table, and the first events held in memory for the appends.
import Foundation
import GRDBSQLite
import SilverLedger
@_spi(Benchmarks) import SilverLedgerStorage
import SilverLedgerDomain

/// One event as an SQLite row: the envelope's fields as columns, the payload as its JSON text.
struct SQLRow: Sendable {
    var position: Int64
    var stream: String
    var version: Int64
    var type: String
    var schemaVersion: Int64
    var recordedAt: Int64
    var businessDate: String
    var recordedBy: String
    var commandID: String
    var correlationID: String?
    var causationID: String?
    var payload: String

    init(_ event: RecordedEvent, payloadJSON: String) {
        position = Int64(event.position)
        stream = event.streamID
        version = Int64(event.streamVersion)
        type = event.eventType
        schemaVersion = Int64(event.schemaVersion)
        recordedAt = event.recordedAt
        businessDate = event.metadata.businessDate.description
        recordedBy = event.metadata.recordedBy
        commandID = event.metadata.commandID
        correlationID = event.metadata.correlationID
        causationID = event.metadata.causationID
        payload = payloadJSON
    }
}

/// An event of the province held in memory for the append measures: the typed
/// value (what SilverLedger appends) and its row (what SQLite inserts).
struct SourceEvent: Sendable {
    var row: SQLRow
    var event: any Event
    var metadata: EventMetadata
}

/// The sizes of a mode.
struct Sizes {
    var cadres: Int
    var branches: Int
    var years: Int
    /// How many of the province's events the append measures replay.
    var appendEvents: Int
    /// Events per writer in the 64-writer measure, for SilverLedger and for GRDB (one sync each: slower).
    var groupCommitPerWriter: Int
    var grdbConcurrentPerWriter: Int
    /// Iterations of the raw 4 KiB write + fdatasync loop.
    var fsyncLoop: Int
    var runs: Int

    static let quick = Sizes(cadres: 4_000, branches: 400, years: 3, appendEvents: 50_000,
                             groupCommitPerWriter: 100, grdbConcurrentPerWriter: 8, fsyncLoop: 500, runs: 5)
    static let full = Sizes(cadres: 140_000, branches: 14_000, years: 10, appendEvents: 1_000_000,
                            groupCommitPerWriter: 400, grdbConcurrentPerWriter: 30, fsyncLoop: 2_000, runs: 3)
}

/// The generated province: a SilverLedger store and the same events in SQLite.
struct Dataset {
    var directory: String
    var storePath: String { directory + "/province" }
    var sqlitePath: String { directory + "/events.sqlite" }
    var events: UInt64 = 0
    /// Seconds the generation took in this run (nil if an earlier run's was reused).
    var generationSeconds: Double?
    var sqliteBuildSeconds: Double?

    init(directory: String) { self.directory = directory }

    private var marker: String { directory + "/province.ready" }
    private var sqliteMarker: String { directory + "/events.sqlite.ready" }

    /// Generates the province into `storePath` unless a complete one of the same configuration is there.
    mutating func prepare(_ sizes: Sizes) async throws {
        let wanted = "cadres=\(sizes.cadres) branches=\(sizes.branches) years=\(sizes.years) seed=2024 batch=1000"
        let found = try? String(contentsOfFile: marker, encoding: .utf8)
        if let found, found.hasPrefix(wanted + " events=") {
            events = UInt64(found.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "") ?? 0
            note("compare: reusing the province in \(storePath) (\(events) events)")
        } else {
            // Only what this runner writes: --dir may hold other things.
            for name in ["province", "province.ready", "events.sqlite", "events.sqlite-wal", "events.sqlite-shm", "events.sqlite.ready"] {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
            }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var config = ProvinceGenerator.Configuration(cadres: sizes.cadres, branches: sizes.branches, years: sizes.years)
            config.batchSize = 1000
            note("compare: generating a province of \(sizes.cadres) cadres, \(sizes.branches) branches, \(sizes.years) years into \(storePath)…")
            var options = EventStoreOptions()
            options.durability = .none
            let store = try EventStore.open(at: storePath, types: Ledger.eventTypes, options: options)
            let end = config.endDate
            let ledger = try Ledger(store: store, today: { end })
            var report = ProvinceGenerator.Report()
            generationSeconds = try await timedAsync { report = try await ProvinceGenerator(config).run(into: ledger) }
            try store.close()
            events = report.events
            try (wanted + " events=\(events)\n").write(toFile: marker, atomically: true, encoding: .utf8)
            note(String(format: "compare: generated %llu events (%d commands) in %.1f s", events, report.commands, generationSeconds!))
        }
        if (try? String(contentsOfFile: sqliteMarker, encoding: .utf8)) != "events=\(events)\n" {
            note("compare: copying the \(events) events into \(sqlitePath)…")
            sqliteBuildSeconds = try timed { try buildSQLite() }
            try "events=\(events)\n".write(toFile: sqliteMarker, atomically: true, encoding: .utf8)
        }
    }

    /// The whole province as an SQLite table, in position order, through the
    /// raw C API, with `synchronous=OFF` (durability does not change the
    /// file's bytes), then checkpointed.
    private func buildSQLite() throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
        let db = try RawSQLite(path: sqlitePath, pragmas: SQLiteSchema.bulkPragmas)
        try db.exec(SQLiteSchema.create)
        let insert = try db.prepare(SQLiteSchema.insertWithPosition)
        let store = try EventStore.open(at: storePath, types: Ledger.eventTypes, options: EventStoreOptions())
        var n = 0
        var json = PayloadJSON()
        try db.exec("BEGIN")
        try store.forEachEvent { event in
            let row = SQLRow(event, payloadJSON: try json.payload(of: event))
            try insert.insert(row, withPosition: true)
            n += 1
            if n % 10_000 == 0 {
                try db.exec("COMMIT")
                try db.exec("BEGIN")
            }
        }
        try db.exec("COMMIT")
        try store.close()
        insert.finalize()
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        precondition(n == Int(events), "copied \(n) of \(events) events")
    }

    /// The first `count` events, typed and as rows.
    func sources(_ count: Int, json: Bool = true) throws -> [SourceEvent] {
        let store = try EventStore.open(at: storePath, types: Ledger.eventTypes, options: EventStoreOptions())
        defer { try? store.close() }
        var out: [SourceEvent] = []
        out.reserveCapacity(count)
        var payloads = PayloadJSON()
        try store.forEachEvent(until: UInt64(count)) { event in
            guard let decoded = try event.decoded(with: Ledger.eventTypes) else {
                fatalError("compare: event \(event.position) of type \(event.eventType) is not a domain event")
            }
            let row = SQLRow(event, payloadJSON: json ? try payloads.payload(of: event, decoded: decoded) : "")
            out.append(SourceEvent(row: row, event: decoded, metadata: event.metadata))
        }
        return out
    }

    /// The stored records (envelopes) of the first `count` events, re-batched by `perBatch`, for the storage `Log`.
    func logBatches(_ count: Int, perBatch: Int = 1000) throws -> [LogBatch] {
        var options = LogOptions(durability: .none)
        options.readOnly = true
        let log = try Log.open(at: storePath, options: options)
        defer { try? log.close() }
        let cursor = try log.cursor(from: 0)
        var batches: [LogBatch] = []
        var batch = LogBatch(byteCapacity: perBatch * 200)
        var n = 0
        while n < count, let view = try cursor.nextBatch() {
            view.forEach { _, _, payload in
                guard n < count else { return }
                batch.append(payload)
                n += 1
                if batch.count == perBatch {
                    batches.append(batch)
                    batch = LogBatch(byteCapacity: perBatch * 200)
                }
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    /// `maxBatches` batches spread evenly over the store's log (every n-th), as
    /// the engine frames them before compression (per record: varint length,
    /// varint time delta, payload), with their record counts: the input of the limits.
    func framedBatches(_ maxBatches: Int) throws -> [(framed: [UInt8], records: Int)] {
        var options = LogOptions(durability: .none)
        options.readOnly = true
        let log = try Log.open(at: storePath, options: options)
        defer { try? log.close() }
        let cursor = try log.cursor(from: 0)
        let every = max(1, Int(log.nextPosition / 1000) / maxBatches)   // batches hold about 1,000 events
        var out: [(framed: [UInt8], records: Int)] = []
        var index = -1
        while out.count < maxBatches, let view = try cursor.nextBatch() {
            index += 1
            guard index % every == 0 else { continue }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(view.uncompressedBytes)
            var last = view.firstTimestamp
            view.forEach { _, timestamp, payload in
                appendVarint(&bytes, UInt64(payload.count))
                appendVarint(&bytes, UInt64(bitPattern: timestamp &- last))
                last = timestamp
                bytes.append(contentsOf: payload)
            }
            out.append((bytes, view.count))
        }
        return out
    }
}

/// The JSON text of an event's payload, as in the JSON form (docs/EVENTS.md):
/// the decoded value through `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes`. The first 1,000 are checked against
/// `EventJSON.encode` (which also proves, slowly, that each line reads back).
struct PayloadJSON {
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private var checked = 0

    mutating func payload(of event: RecordedEvent, decoded: (any Event)? = nil) throws -> String {
        guard let value = try decoded ?? event.decoded(with: Ledger.eventTypes) else {
            fatalError("compare: event \(event.position) of type \(event.eventType) is not a domain event")
        }
        let json = String(decoding: try encoder.encode(value), as: UTF8.self)
        if checked < 1000 {
            checked += 1
            let reference = payloadOfJSONLine(try EventJSON.encode(event, types: Ledger.eventTypes))
            precondition(json == reference, "payload JSON differs from EventJSON's: \(json) against \(reference)")
        }
        return json
    }
}

func appendVarint(_ bytes: inout [UInt8], _ value: UInt64) {
    var v = value
    while v >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    bytes.append(UInt8(v))
}

/// The events grouped as their commands (consecutive events with the same
/// command id; each command's consecutive events of one stream one write),
/// the commands grouped into batches of at least `perBatch` events: a
/// command is never split, so its id stays unique.
func commandBatches(_ sources: [SourceEvent], perBatch: Int = 1000) -> [(commands: [CommandWrites], range: Range<Int>)] {
    var batches: [(commands: [CommandWrites], range: Range<Int>)] = []
    var commands: [CommandWrites] = []
    var batchStart = 0
    var i = 0
    while i < sources.count {
        let id = sources[i].metadata.commandID
        var writes: [StreamWrite] = []
        while i < sources.count && sources[i].metadata.commandID == id {
            let stream = sources[i].row.stream
            var events: [any Event] = []
            while i < sources.count && sources[i].metadata.commandID == id && sources[i].row.stream == stream {
                events.append(sources[i].event)
                i += 1
            }
            writes.append(StreamWrite(stream: stream, expectedVersion: .any, events: events))
        }
        commands.append(CommandWrites(writes, metadata: sources[i - 1].metadata))
        if i - batchStart >= perBatch || i == sources.count {
            batches.append((commands, batchStart..<i))
            commands = []
            batchStart = i
        }
    }
    return batches
}
