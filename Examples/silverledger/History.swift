import ArgumentParser
import SilverLedger
import SilverLedgerDomain

/// `history STREAM`: one stream's events, as an auditor reads them.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every event of one stream, with operator, command id, dates and position.",
        discussion: "Streams are named by what they record: cadre-C0000017, branch-B00001, meeting-…, visit-…, study-….")

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The stream, e.g. cadre-C0000017.")
    var stream: String

    @Option(help: "table, json (one object per event, with the event in the JSON form of docs/EVENTS.md) or jsonl (the JSON form, a line per event).")
    var format: HistoryFormat = .table

    enum HistoryFormat: String, ExpressibleByArgument, CaseIterable { case table, json, jsonl }

    struct Entry: Encodable {
        var position: UInt64
        var version: UInt64
        var type: String
        var businessDate: LedgerDate
        var recordedAt: String
        var recordedBy: String
        var commandID: String
        var correlationID: String?
        var causationID: String?
    }

    func run() async throws {
        try await guarded {
            let store = try storeOptions.openForReading()
            defer { try? store.close() }
            guard store.version(of: stream) != nil else {
                throw Failure("no stream \(stream) in \(storeOptions.path)", code: Exit.rejected)
            }
            let events = try store.readStream(stream)
            switch format {
            case .jsonl:
                for event in events { say(try EventJSON.encode(event, types: store.types)) }
            case .json:
                say(try json(events.map(entry)))
            case .table:
                say(Terminal.bold("\(stream): \(events.count) events"))
                var table = Table(["pos", "v", "type", "business date", "recorded at (UTC)", "operator", "command"], rightAligned: [0, 1])
                for e in events.map(entry) {
                    table.add([grouped(e.position), String(e.version), e.type, e.businessDate.description, e.recordedAt, e.recordedBy, e.commandID])
                }
                say(table.render())
            }
        }
    }

    func entry(_ event: RecordedEvent) -> Entry {
        Entry(position: event.position, version: event.streamVersion, type: event.eventType, businessDate: event.metadata.businessDate,
              recordedAt: timestamp(event.recordedAt), recordedBy: event.metadata.recordedBy, commandID: event.metadata.commandID,
              correlationID: event.metadata.correlationID, causationID: event.metadata.causationID)
    }
}
