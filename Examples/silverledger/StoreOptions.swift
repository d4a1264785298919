import ArgumentParser
import Foundation
import Logging
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

/// `--store DIR`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory (default: $SILVERLEDGER_STORE, else ./silverledger-data).", valueName: "DIR"))
    var store: String?

    @Option(help: ArgumentHelp("A key file (64 hex digits, mode 0600; `silverledger keygen` makes one): writers seal the log with it, verify checks the seals (default: $SILVERLEDGER_KEY_FILE).", valueName: "FILE"))
    var keyFile: String?

    @Option(help: ArgumentHelp("An encryption key file (64 hex digits, mode 0600; `silverledger keygen` makes one; keep it apart from the seal key): a new store is created encrypted with it, an encrypted store opens only with it (default: $SILVERLEDGER_ENCRYPTION_KEY_FILE).", valueName: "FILE"))
    var encryptionKeyFile: String?

    /// The seal key of `--key-file` (or `$SILVERLEDGER_KEY_FILE`), if one is given.
    func sealKey() throws -> SealKey? {
        guard let path = Self.given(keyFile, "SILVERLEDGER_KEY_FILE") else { return nil }
        do throws(StorageError) { return try SealKey(contentsOfFile: path) } catch {
            throw Failure(error.message, code: error.code == .io ? Exit.io : Exit.usage)
        }
    }

    /// The encryption key of `--encryption-key-file` (or `$SILVERLEDGER_ENCRYPTION_KEY_FILE`), if one is given.
    func encryptionKey() throws -> EncryptionKey? {
        guard let path = Self.given(encryptionKeyFile, "SILVERLEDGER_ENCRYPTION_KEY_FILE") else { return nil }
        do throws(StorageError) { return try EncryptionKey(contentsOfFile: path) } catch {
            throw Failure(error.message, code: error.code == .io ? Exit.io : Exit.usage)
        }
    }

    /// An option's value, else the environment variable's (an empty one counts as not set).
    private static func given(_ option: String?, _ variable: String) -> String? {
        option ?? ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The directory the options name.
    var path: String {
        store ?? ProcessInfo.processInfo.environment["SILVERLEDGER_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "./silverledger-data"
    }

    /// Whether a store exists there (its manifest is there).
    var exists: Bool { FileManager.default.fileExists(atPath: path + "/STORE") }

    /// Opens the store to write (creating it if need be), taking its writer lock.
    func openForWriting(durability: EventStoreOptions.Durability = .fsyncPerAppend) throws -> EventStore {
        Logs.bootstrap()
        var options = EventStoreOptions()
        options.durability = durability
        options.logger = Logger(label: "silverledger")
        options.sealKey = try sealKey()
        options.encryptionKey = try encryptionKey()
        return try EventStore.open(at: path, types: Ledger.eventTypes, options: options)
    }

    /// Opens an existing store to read: takes no lock, so it works while a writer has the store.
    func openForReading() throws -> EventStore {
        Logs.bootstrap()
        guard exists else {
            throw Failure("no store at \(path) (give --store DIR or set SILVERLEDGER_STORE)", code: Exit.io)
        }
        var options = EventStoreOptions()
        options.readOnly = true
        options.logger = Logger(label: "silverledger")
        options.encryptionKey = try encryptionKey()
        return try EventStore.open(at: path, types: Ledger.eventTypes, options: options)
    }
}

/// `--as-of DATE` / `--until POS`: which view of the log a command reads.
struct ViewOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The records as they stood at the end of DATE (recorded by 24:00 Beijing time).", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: ArgumentHelp("The records before log position POS.", valueName: "POS"))
    var until: UInt64?

    func validate() throws {
        if asOf != nil && until != nil { throw ValidationError("give --as-of or --until, not both") }
        if let asOf, LedgerDate(asOf) == nil { throw ValidationError("--as-of \(asOf) is not a date (YYYY-MM-DD)") }
    }

    /// The date of `--as-of`, if given.
    var asOfDate: LedgerDate? { asOf.flatMap(LedgerDate.init) }

    /// The point of the log to read up to.
    var point: AsOf {
        if let until { return .position(until) }
        if let date = asOfDate { return .recordedAt(endOfDayInBeijing(date)) }
        return .now
    }
}

/// The last microsecond of `date` in Beijing time (UTC+8), as microseconds since 1970 UTC.
func endOfDayInBeijing(_ date: LedgerDate) -> Int64 {
    (Int64(date.daysSinceEpoch) + 1) * 86_400_000_000 - 8 * 3_600_000_000 - 1
}

/// Parses a `YYYY-MM-DD` option value.
func parseDate(_ text: String, option: String) throws -> LedgerDate {
    guard let date = LedgerDate(text) else { throw ValidationError("\(option) \(text) is not a date (YYYY-MM-DD)") }
    return date
}

/// The output formats.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// The library's log lines go to stderr, warnings and worse only: stdout is
/// for the command's output (which may be JSON).
enum Logs {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
    }()

    static func bootstrap() { _ = once }
}

/// Writes `text` to stdout with a line break.
func say(_ text: String = "") { print(text) }

/// `value` as JSON, as LedgerView renders answers (sorted keys, pretty-printed).
func json<T: Encodable>(_ value: T) throws -> String { try LedgerView.json(value) }

/// A time in microseconds since 1970 UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
func timestamp(_ microseconds: Int64) -> String {
    let seconds = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
    let date = Date(timeIntervalSince1970: TimeInterval(seconds.quotient))
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let text = formatter.string(from: date)
    return String(text.dropLast()) + String(format: ".%06dZ", seconds.remainder)
}
