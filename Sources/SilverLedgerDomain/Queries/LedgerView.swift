import Foundation
import SilverLedger

/// The records as they stood at one point of the log (now, a position, or a
/// time), with the bureau's questions as methods. Each answer is a plain
/// `Codable` value; ``json(_:)`` renders any of them.
///
/// ```swift
/// let view = try ledger.view(asOf: .recordedAt(endOf2023))
/// for reminder in view.reelectionReminders(on: LedgerDate("2024-01-15")!) { … }
/// ```
public struct LedgerView: Sendable {
    /// The state the answers come from.
    public let state: DomainState
    /// One past the last log position included.
    public let position: UInt64

    public init(state: DomainState, position: UInt64) {
        self.state = state
        self.position = position
    }

    /// An answer as JSON: keys sorted, dates as `YYYY-MM-DD`, pretty-printed.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension Ledger {
    /// The records as of now, a log position or a time (recorded-at), rebuilt from the log.
    public nonisolated func view(asOf: AsOf = .now) throws -> LedgerView {
        let projected = try store.project(DomainState.self, asOf: asOf)
        return LedgerView(state: projected.projection, position: projected.position)
    }
}
