import SilverLedger

/// 12. One event in the history of an entity: what, when, who, by which command.
public struct AuditEntry: Codable, Sendable, Hashable {
    public var position: UInt64
    public var stream: String
    public var eventType: String
    public var businessDate: LedgerDate
    /// When it was recorded: microseconds since 1970-01-01 UTC.
    public var recordedAt: Int64
    public var recordedBy: String
    public var commandID: String
    public var correlationID: String?
    public var causationID: String?
    /// The whole event in the JSON form of docs/EVENTS.md.
    public var json: String
}

extension Ledger {
    /// 12. Every event that names the cadre (in its own stream or in another:
    /// a branch it joined, a meeting or session it attended), in log order.
    public nonisolated func auditHistory(of cadre: CadreID, asOf: AsOf = .now) throws -> [AuditEntry] {
        try auditHistory(stream: cadre.stream, asOf: asOf) { Self.mentions($0, cadre) }
    }

    /// 12. Every event that names the branch, in log order.
    public nonisolated func auditHistory(of branch: BranchID, asOf: AsOf = .now) throws -> [AuditEntry] {
        try auditHistory(stream: branch.stream, asOf: asOf) { Self.mentions($0, branch) }
    }

    /// Reads the whole log (as of `asOf`): the entity's own stream, and every other event whose fields name it.
    private nonisolated func auditHistory(stream: String, asOf: AsOf, names: (any Event) -> Bool) throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        try store.forEachEvent(until: store.position(asOf: asOf)) { event in
            let decoded = try event.decoded(with: store.types)
            guard event.streamID == stream || decoded.map(names) == true else { return }
            entries.append(AuditEntry(
                position: event.position, stream: event.streamID, eventType: event.eventType, businessDate: event.metadata.businessDate,
                recordedAt: event.recordedAt, recordedBy: event.metadata.recordedBy, commandID: event.metadata.commandID,
                correlationID: event.metadata.correlationID, causationID: event.metadata.causationID,
                json: try EventJSON.encode(event, types: store.types)))
        }
        return entries
    }

    /// Whether `value`, or any value inside it, is `id`.
    static func mentions<Kind>(_ value: Any, _ id: Identifier<Kind>) -> Bool {
        if let found = value as? Identifier<Kind> { return found == id }
        return Mirror(reflecting: value).children.contains { mentions($0.value, id) }
    }
}
