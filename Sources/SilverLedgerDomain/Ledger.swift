import Foundation
import SilverLedger

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
        if store.knowsCommand(commandID) {
            do {
                if let first = try await store.result(ofCommand: commandID) { return first }
            } catch {
                throw DomainError(.store, english: "the first result of command \(commandID), sent again, could not be read: \(error.message)",
                                  chinese: "无法读取重复指令\(commandID)的首次结果：\(error.message)", values: ["commandID": commandID])
            }
        }
        if stale {
            do { state = try store.project(DomainState.self).projection } catch {
                throw DomainError(.store, english: "the ledger's state could not be rebuilt: \(error)", chinese: "无法重建台账状态：\(error)")
            }
            stale = false
        }
        try Rules.nonEmpty(recordedBy, "operator", "操作员")
        try Rules.nonEmpty(commandID, "command id", "指令编号")
        let writes = try command.decide(state, today: today())
        let metadata = EventMetadata(businessDate: command.date, recordedBy: recordedBy, commandID: commandID,
                                     correlationID: correlationID, causationID: causationID)
        // Queued before the next command is let in: the log's order is the order of the checks.
        let ticket: AppendTicket
        do { ticket = try store.enqueue(writes, metadata: metadata) } catch {
            if error.code == .wrongExpectedVersion, let stream = error.stream {
                // Commands that create a record under a new id expect its stream not to exist.
                throw DomainError(.recordExists, english: "\(stream) already exists; an id is used once (command \(commandID))",
                                  chinese: "记录\(stream)已存在，编号不能重复使用（指令\(commandID)）", values: ["stream": stream, "commandID": commandID])
            }
            throw DomainError(.store, english: "the store refused the events of command \(commandID): \(error.message)",
                              chinese: "存储拒绝了指令\(commandID)的事件：\(error.message)", values: ["commandID": commandID])
        }
        for write in writes {
            for event in write.events {
                state.evolve(event)
                state.count(type(of: event).eventType, on: command.date)
            }
        }
        do {
            return try await ticket.result()
        } catch {
            stale = true
            throw DomainError(.store, english: "the events of command \(commandID) could not be written: \(error.message)",
                              chinese: "指令\(commandID)的事件未能写入：\(error.message)", values: ["commandID": commandID])
        }
    }
}
