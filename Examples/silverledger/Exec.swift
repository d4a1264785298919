import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain

/// `exec`: domain commands as JSON Lines (docs/COMMANDS.md).
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run domain commands given as JSON Lines (docs/COMMANDS.md), one command per line; print the events each produced.",
        discussion: """
            A refused command prints its error (code, rule, values) and writes nothing; the others still run, \
            and the exit code is 65. With --all-or-nothing the whole file is one atomic batch: one refusal and nothing is written.
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The JSON Lines file, or - for stdin.")
    var file = "-"

    @Option(help: "The operator for lines that name none (\"by\").")
    var by = ProcessInfo.processInfo.environment["USER"].map { "op-\($0)" } ?? "op-cli"

    @Flag(help: "Apply the whole file as one atomic batch, or nothing of it.")
    var allOrNothing = false

    @Option(help: "table or json (one JSON object per command, a line each).")
    var format: OutputFormat = .table

    func run() async throws {
        try await guarded {
            let text = try readInput(file)
            // Every line parsed before anything is written.
            let lines = try CommandJSONLine.parseLines(text)
            let store = try storeOptions.openForWriting()
            defer { try? store.close() }
            let ledger = try Ledger(store: store)
            let commands = lines.map { line -> LedgerCommand in
                var command = line.command
                command.recordedBy = command.recordedBy ?? line.recordedBy
                return command
            }
            var results: [Result<AppendResult, DomainError>]
            if allOrNothing {
                results = try await ledger.execute(commands, by: by, allOrNothing: true)
            } else {
                results = []
                for command in commands { results.append(try await execute(command, in: ledger)) }
            }
            var refused = 0
            for (line, result) in zip(lines, results) {
                switch result {
                case .success(let appended):
                    let events = try store.events(in: appended.positions)
                    if format == .json {
                        // The events in the JSON form of EVENTS.md, as objects: spliced in last, after the sorted keys.
                        struct Out: Encodable { var line: Int; var command: String; var id: String; var accepted: Bool }
                        let head = try jsonLine(Out(line: line.lineNumber, command: line.name, id: line.command.commandID, accepted: true))
                        let objects = try events.map { try EventJSON.encode($0, types: store.types) }.joined(separator: ",")
                        say(head.dropLast() + #","events":["# + objects + "]}")
                    } else {
                        say("\(Terminal.green("✓")) line \(line.lineNumber) \(line.name) \(line.command.commandID): \(events.count) event\(events.count == 1 ? "" : "s")")
                        for event in events {
                            say("    \(grouped(event.position))  \(event.streamID) v\(event.streamVersion)  \(event.eventType)  \(event.metadata.businessDate)")
                        }
                    }
                case .failure(let error):
                    refused += 1
                    if format == .json {
                        struct Out: Encodable { var line: Int; var command: String; var id: String; var accepted: Bool; var code: String
                            var english: String; var chinese: String; var values: [String: String] }
                        say(try jsonLine(Out(line: line.lineNumber, command: line.name, id: line.command.commandID, accepted: false,
                                             code: error.code.rawValue, english: error.english, chinese: error.chinese, values: error.values)))
                    } else {
                        say("\(Terminal.red("✗")) line \(line.lineNumber) \(line.name) \(line.command.commandID): \(error.code): \(error.english) / \(error.chinese)"
                            + Failure.values(error.values))
                    }
                }
            }
            if refused > 0 {
                printError(allOrNothing || refused == lines.count
                    ? "\(refused) of \(lines.count) commands refused or not written; nothing was written"
                    : "\(refused) of \(lines.count) commands refused; they wrote nothing, the other \(lines.count - refused) were recorded")
                throw ExitCode(Exit.rejected)
            }
        }
    }
}

extension Exec {
    /// One command: its result, or its refusal; a failing store stops the run.
    func execute(_ command: LedgerCommand, in ledger: Ledger) async throws -> Result<AppendResult, DomainError> {
        do {
            return .success(try await ledger.execute(command.command, by: command.recordedBy ?? by, commandID: command.commandID,
                                                     correlationID: command.correlationID, causationID: command.causationID))
        } catch {
            // (A `catch … where` on the typed error crashes Swift 6.3's SILGen.)
            if error.code == .store { throw error }
            return .failure(error)
        }
    }
}

extension EventStore {
    /// The committed events at `positions`.
    func events(in positions: Range<UInt64>) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try forEachEvent(from: positions.lowerBound, until: positions.upperBound) { events.append($0) }
        return events
    }
}

/// `value` as one line of JSON, keys sorted.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
