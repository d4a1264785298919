// The SQLite side: the event table, its pragmas, and every SQLite measure,
// once through GRDB (what a Swift user would pick) and once through the raw
// C API (`GRDBSQLite`: sqlite3_prepare_v2 / bind / step / reset).
import Foundation
import GRDB
import GRDBSQLite
import SilverLedger
import SilverLedgerDomain

enum SQLiteSchema {
    /// The event table: the position as the rowid, the envelope's fields as
    /// columns, the payload as JSON text, and a UNIQUE index on (stream, version).
    static let create = """
        CREATE TABLE events(
            position INTEGER PRIMARY KEY,
            stream TEXT NOT NULL,
            version INTEGER NOT NULL,
            type TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL,
            business_date TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            command_id TEXT NOT NULL,
            correlation_id TEXT,
            causation_id TEXT,
            payload TEXT NOT NULL);
        CREATE UNIQUE INDEX events_stream_version ON events(stream, version);
        """
    /// Every commit durable when it returns: in WAL mode, FULL syncs the WAL at each commit
    /// (NORMAL, GRDB's default for a pool, syncs only at checkpoints). The rest are SQLite's defaults
    /// (page_size 4096, cache_size -2000, wal_autocheckpoint 1000).
    static let durablePragmas = ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"]
    /// For building the replay table only (not measured).
    static let bulkPragmas = ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF"]
    static let columns = "stream, version, type, schema_version, recorded_at, business_date, recorded_by, command_id, correlation_id, causation_id, payload"
    /// An append: the position is the next rowid.
    static let insert = "INSERT INTO events(\(columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    static let insertWithPosition = "INSERT INTO events(position, \(columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
    static let selectAll = "SELECT position, \(columns) FROM events ORDER BY position"
    static let selectStream = "SELECT position, \(columns) FROM events WHERE stream = ? ORDER BY version"
}

struct SQLiteFailure: Error, CustomStringConvertible {
    var description: String
}

/// SQLite's "copy the bytes now" destructor.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A connection through the raw C API.
final class RawSQLite {
    let handle: OpaquePointer

    init(path: String, pragmas: [String], readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            throw SQLiteFailure(description: "cannot open \(path)")
        }
        handle = db
        for pragma in pragmas { try exec(pragma) }
    }

    func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "?"
            sqlite3_free(error)
            throw SQLiteFailure(description: "\(sql): \(message)")
        }
    }

    /// The first column of the first row of `sql`, as text.
    func text(_ sql: String) throws -> String {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard sqlite3_step(statement.handle) == SQLITE_ROW, let text = sqlite3_column_text(statement.handle, 0) else { return "" }
        return String(cString: text)
    }

    func prepare(_ sql: String) throws -> RawStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw SQLiteFailure(description: "\(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
        return RawStatement(handle: statement, db: handle)
    }

    func close() { sqlite3_close_v2(handle) }
}

struct RawStatement {
    let handle: OpaquePointer
    let db: OpaquePointer

    func finalize() { sqlite3_finalize(handle) }

    /// Binds the row, steps, resets.
    func insert(_ row: SQLRow, withPosition: Bool) throws {
        var i: Int32 = 1
        if withPosition {
            sqlite3_bind_int64(handle, i, row.position)
            i += 1
        }
        sqlite3_bind_text(handle, i, row.stream, -1, transient)
        sqlite3_bind_int64(handle, i + 1, row.version)
        sqlite3_bind_text(handle, i + 2, row.type, -1, transient)
        sqlite3_bind_int64(handle, i + 3, row.schemaVersion)
        sqlite3_bind_int64(handle, i + 4, row.recordedAt)
        sqlite3_bind_text(handle, i + 5, row.businessDate, -1, transient)
        sqlite3_bind_text(handle, i + 6, row.recordedBy, -1, transient)
        sqlite3_bind_text(handle, i + 7, row.commandID, -1, transient)
        if let c = row.correlationID { sqlite3_bind_text(handle, i + 8, c, -1, transient) } else { sqlite3_bind_null(handle, i + 8) }
        if let c = row.causationID { sqlite3_bind_text(handle, i + 9, c, -1, transient) } else { sqlite3_bind_null(handle, i + 9) }
        sqlite3_bind_text(handle, i + 10, row.payload, -1, transient)
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else { throw SQLiteFailure(description: "insert: \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Text column `i` of the current row, decoded as UTF-8 (nil if NULL).
    @inline(__always)
    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
    }

    /// The current row as an event (payload: the JSON text's bytes, not decoded).
    @inline(__always)
    func recordedEvent(payload: [UInt8] = []) -> RecordedEvent {
        RecordedEvent(
            position: UInt64(sqlite3_column_int64(handle, 0)), streamID: text(1)!, streamVersion: UInt64(sqlite3_column_int64(handle, 2)),
            eventType: text(3)!, schemaVersion: Int(sqlite3_column_int64(handle, 4)), recordedAt: sqlite3_column_int64(handle, 5),
            metadata: EventMetadata(businessDate: LedgerDate(text(6)!)!, recordedBy: text(7)!, commandID: text(8)!,
                                    correlationID: text(9), causationID: text(10)),
            payload: payload)
    }
}

/// The GRDB configuration of the measures: WAL; `synchronous=FULL` is set on
/// the writer connection after opening (GRDB sets NORMAL when it enables WAL)
/// and checked.
func grdbConfiguration() -> Configuration {
    var config = Configuration()
    config.journalMode = .wal
    return config
}

/// Makes the writer connection durable per commit and creates the table; checks the pragmas took.
func grdbPrepareDurable(_ db: Database, createTable: Bool) throws {
    try db.execute(sql: "PRAGMA synchronous=FULL")
    if createTable { try db.execute(sql: SQLiteSchema.create) }
    let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous")
    let journal = try String.fetchOne(db, sql: "PRAGMA journal_mode")
    precondition(synchronous == 2 && journal == "wal", "GRDB connection is synchronous=\(synchronous ?? -1), journal_mode=\(journal ?? "?")")
}

extension SQLRow {
    /// The GRDB arguments of an append (no position: the next rowid).
    var arguments: StatementArguments {
        [stream, version, type, schemaVersion, recordedAt, businessDate, recordedBy, commandID, correlationID, causationID, payload]
    }
}

enum SQLiteMeasures {
    static func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    // MARK: 1. Batched durable appends

    /// GRDB: one `DatabaseQueue.write` (one transaction, one commit, one WAL sync) per batch,
    /// a cached prepared statement, `execute(arguments:)` per event. With `encode`, the payload's
    /// JSON is made from the typed event inside the loop (`JSONEncoder`), as an application
    /// holding typed events would; without, the JSON text is ready-made.
    static func grdbBatchedAppend(_ sources: [SourceEvent], _ batches: [Range<Int>], path: String, encode: Bool) throws -> Double {
        removeDatabase(path)
        defer { removeDatabase(path) }
        let queue = try DatabaseQueue(path: path, configuration: grdbConfiguration())
        try queue.writeWithoutTransaction { try grdbPrepareDurable($0, createTable: true) }
        let encoder = JSONEncoder()
        let t = try timed {
            for range in batches {
                try queue.write { db in
                    let statement = try db.cachedStatement(sql: SQLiteSchema.insert)
                    for i in range {
                        if encode {
                            var row = sources[i].row
                            row.payload = String(decoding: try encoder.encode(sources[i].event), as: UTF8.self)
                            try statement.execute(arguments: row.arguments)
                        } else {
                            try statement.execute(arguments: sources[i].row.arguments)
                        }
                    }
                }
            }
        }
        let count = try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") }
        precondition(count == batches.last!.upperBound, "GRDB append wrote \(count ?? 0) rows")
        try queue.close()
        return t
    }

    /// Raw C API: BEGIN, prepared INSERT bound/stepped/reset per event, COMMIT per batch.
    static func rawBatchedAppend(_ sources: [SourceEvent], _ batches: [Range<Int>], path: String) throws -> Double {
        removeDatabase(path)
        defer { removeDatabase(path) }
        let db = try RawSQLite(path: path, pragmas: SQLiteSchema.durablePragmas)
        let synchronous = try db.text("PRAGMA synchronous"), journal = try db.text("PRAGMA journal_mode")
        precondition(synchronous == "2" && journal == "wal", "raw SQLite is synchronous=\(synchronous), journal_mode=\(journal)")
        try db.exec(SQLiteSchema.create)
        let insert = try db.prepare(SQLiteSchema.insert)
        let t = try timed {
            for range in batches {
                try db.exec("BEGIN")
                for i in range { try insert.insert(sources[i].row, withPosition: false) }
                try db.exec("COMMIT")
            }
        }
        insert.finalize()
        let count = try db.text("SELECT count(*) FROM events")
        precondition(count == String(batches.last!.upperBound), "raw append wrote \(count) rows")
        db.close()
        return t
    }

    // MARK: 2. 64 concurrent writers, one event per transaction

    /// GRDB `DatabasePool`: `writers` tasks, each `await pool.write { insert one event }` in a loop.
    static func grdbConcurrent(_ sources: [SourceEvent], writers: Int, perWriter: Int, path: String) async throws -> Double {
        removeDatabase(path)
        defer { removeDatabase(path) }
        let pool = try DatabasePool(path: path, configuration: grdbConfiguration())
        try await pool.writeWithoutTransaction { try grdbPrepareDurable($0, createTable: true) }
        let total = writers * perWriter
        precondition(total <= sources.count, "more writes than events")
        let t = try await timedAsync {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in stride(from: w, to: total, by: writers) {
                            let row = sources[i].row
                            try await pool.write { db in
                                try db.cachedStatement(sql: SQLiteSchema.insert).execute(arguments: row.arguments)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let count = try await pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") }
        precondition(count == total)
        try pool.close()
        return Double(total) / t
    }

    // MARK: 3. Replay into DomainState

    /// GRDB, as an application would: a `Row` cursor in position order; each
    /// row's envelope into a `RecordedEvent`, its JSON payload decoded by
    /// `JSONDecoder` into the typed event, applied to `DomainState`.
    static func grdbReplay(path: String) throws -> (DomainState, Int) {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let decoder = JSONDecoder()
            var state = DomainState()
            var n = 0
            let rows = try Row.fetchCursor(db, sql: SQLiteSchema.selectAll)
            while let row = try rows.next() {
                let (event, decoded) = try decodeRow(row, decoder)
                state.apply(event, decoded: decoded)
                n += 1
            }
            return (state, n)
        }
    }

    @inline(__always)
    static func decodeRow(_ row: Row, _ decoder: JSONDecoder) throws -> (RecordedEvent, any Event) {
        let type: String = row[3]
        guard let entry = domainJSONDecoders[type] else { throw SQLiteFailure(description: "unknown event type \(type)") }
        let schemaVersion: Int = row[4]
        guard schemaVersion == entry.schemaVersion else { throw SQLiteFailure(description: "\(type) version \(schemaVersion) needs an upcaster") }
        let event = RecordedEvent(
            position: row[0], streamID: row[1], streamVersion: row[2], eventType: type, schemaVersion: schemaVersion,
            recordedAt: row[5],
            metadata: EventMetadata(businessDate: LedgerDate(row[6] as String)!, recordedBy: row[7], commandID: row[8],
                                    correlationID: row[9], causationID: row[10]),
            payload: [])
        let decoded = try row.withUnsafeData(atIndex: 11) { try entry.decode(decoder, $0!) }
        return (event, decoded)
    }

    /// GRDB with the reading and JSON decoding on a second thread (chunks of
    /// 256 events, at most four ahead) while this thread applies: the same
    /// shape as SilverLedger's replay.
    static func grdbReplayTwoThreads(path: String) throws -> (DomainState, Int) {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let channel = ChunkChannel()
        let reader = Thread {
            do {
                try queue.read { db in
                    let decoder = JSONDecoder()
                    var chunk: [(RecordedEvent, any Event)] = []
                    chunk.reserveCapacity(256)
                    let rows = try Row.fetchCursor(db, sql: SQLiteSchema.selectAll)
                    while let row = try rows.next() {
                        chunk.append(try decodeRow(row, decoder))
                        if chunk.count == 256 {
                            channel.put(chunk)
                            chunk = []
                            chunk.reserveCapacity(256)
                        }
                    }
                    if !chunk.isEmpty { channel.put(chunk) }
                }
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        reader.start()
        var state = DomainState()
        var n = 0
        while let chunk = try channel.take() {
            for (event, decoded) in chunk { state.apply(event, decoded: decoded) }
            n += chunk.count
        }
        return (state, n)
    }

    /// The raw C API: the same decoding and applying, rows read with sqlite3_step.
    static func rawReplay(path: String) throws -> (DomainState, Int) {
        let db = try RawSQLite(path: path, pragmas: [], readOnly: true)
        defer { db.close() }
        let select = try db.prepare(SQLiteSchema.selectAll)
        defer { select.finalize() }
        let decoder = JSONDecoder()
        var state = DomainState()
        var n = 0
        while sqlite3_step(select.handle) == SQLITE_ROW {
            let event = select.recordedEvent()
            guard let entry = domainJSONDecoders[event.eventType], entry.schemaVersion == event.schemaVersion else {
                throw SQLiteFailure(description: "cannot decode \(event.eventType) version \(event.schemaVersion)")
            }
            let payload = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: sqlite3_column_blob(select.handle, 11)!),
                               count: Int(sqlite3_column_bytes(select.handle, 11)), deallocator: .none)
            state.apply(event, decoded: try entry.decode(decoder, payload))
            n += 1
        }
        return (state, n)
    }

    // MARK: 4. One stream's history

    /// GRDB: `SELECT … WHERE stream = ? ORDER BY version`, each row made a
    /// `RecordedEvent` (payload: the JSON text's bytes, not decoded), as `readStream` returns.
    static func grdbReadStream(_ queue: DatabaseQueue, _ stream: String) throws -> [RecordedEvent] {
        try queue.read { db in
            let statement = try db.cachedStatement(sql: SQLiteSchema.selectStream)
            var out: [RecordedEvent] = []
            let rows = try Row.fetchCursor(statement, arguments: [stream])
            while let row = try rows.next() {
                out.append(RecordedEvent(
                    position: row[0], streamID: row[1], streamVersion: row[2], eventType: row[3], schemaVersion: row[4],
                    recordedAt: row[5],
                    metadata: EventMetadata(businessDate: LedgerDate(row[6] as String)!, recordedBy: row[7], commandID: row[8],
                                            correlationID: row[9], causationID: row[10]),
                    payload: try row.withUnsafeData(atIndex: 11) { [UInt8]($0!) }))
            }
            return out
        }
    }

    static func rawReadStream(_ statement: RawStatement, _ stream: String) -> [RecordedEvent] {
        sqlite3_bind_text(statement.handle, 1, stream, -1, transient)
        defer { sqlite3_reset(statement.handle) }
        var out: [RecordedEvent] = []
        while sqlite3_step(statement.handle) == SQLITE_ROW {
            let p = sqlite3_column_blob(statement.handle, 11)!
            let payload = [UInt8](UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(statement.handle, 11))))
            out.append(statement.recordedEvent(payload: payload))
        }
        return out
    }

    // MARK: 5. Bytes

    /// The database's bytes after `PRAGMA wal_checkpoint(TRUNCATE)`: the file, its WAL and its shm.
    static func bytesAfterCheckpoint(path: String) throws -> Int {
        let db = try RawSQLite(path: path, pragmas: [])
        let result = try db.text("PRAGMA wal_checkpoint(TRUNCATE)")
        precondition(result == "0", "checkpoint busy")
        db.close()
        return fileBytes(path) + fileBytes(path + "-wal") + fileBytes(path + "-shm")
    }
}

/// A bounded hand-off of decoded chunks from a reading thread to the applying one.
final class ChunkChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[(RecordedEvent, any Event)]] = []
    private var done = false
    private var failure: (any Error)?

    func put(_ chunk: [(RecordedEvent, any Event)]) {
        condition.lock()
        while chunks.count >= 4 { condition.wait() }
        chunks.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        done = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk; nil at the end.
    func take() throws -> [(RecordedEvent, any Event)]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !done { condition.wait() }
        if !chunks.isEmpty {
            let chunk = chunks.removeFirst()
            condition.broadcast()
            return chunk
        }
        if let failure { throw failure }
        return nil
    }
}
