import SilverLedger

/// A request to record something, checked against the current state before
/// anything is written. `decide` is pure: the same state and command give the
/// same events or the same error.
public protocol DomainCommand: Sendable {
    /// The business date the command is about (the events' business date).
    var date: LedgerDate { get }
    /// The events to append, per stream, or the rule the command breaks.
    func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite]
}
