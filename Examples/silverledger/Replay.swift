import ArgumentParser
import SilverLedger
import SilverLedgerDomain

/// `replay`: rebuilds every projection from the log and says what it found and how long it took.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild all projections from the log (no snapshot) and print counts and the time taken.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var view: ViewOptions

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    /// What a replay found.
    struct Result: Encodable {
        var events: UInt64
        var position: UInt64
        var seconds: Double
        var eventsPerSecond: Double
        var cadres: Int
        var living: Int
        var branches: Int
        var openNeeds: Int
        var membersAway: Int
        var eventsByType: [String: Int]
    }

    func run() async throws {
        try await guarded {
            let store = try storeOptions.openForReading()
            defer { try? store.close() }
            let bar = ProgressBar("replaying", unit: "events")
            let started = ContinuousClock.now
            let projected = try store.project(DomainState.self, asOf: view.point, usingSnapshot: false) { applied, total in
                bar.update(Int64(applied), of: Int64(total))
            }
            let took = ContinuousClock.now - started
            bar.finish()
            let state = projected.projection
            let secondsTaken = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            var byType: [String: Int] = [:]
            for counts in state.eventsPerYear.values { for (type, n) in counts { byType[type, default: 0] += n } }
            let today = view.asOfDate ?? Ledger.todayInBeijing()
            let result = Result(
                events: projected.eventsApplied, position: projected.position, seconds: secondsTaken,
                eventsPerSecond: secondsTaken > 0 ? Double(projected.eventsApplied) / secondsTaken : 0,
                cadres: state.cadres.count, living: state.cadres.values.filter { $0.isAlive(on: today) }.count,
                branches: state.branches.count, openNeeds: state.needs.values.filter { $0.resolvedOn == nil }.count,
                membersAway: LedgerView(state: state, position: projected.position).membersAway().count, eventsByType: byType)
            if format == .json { return say(try json(result)) }
            say("replayed \(grouped(result.events)) events (positions 0..<\(grouped(result.position))) in \(seconds(took)), "
                + "\(grouped(Int64(result.eventsPerSecond))) events/s")
            say("  cadres \(grouped(result.cadres)) (\(grouped(result.living)) living), branches \(grouped(result.branches)), "
                + "open needs \(grouped(result.openNeeds)), members away \(grouped(result.membersAway))")
            var table = Table(["event type", "count"], rightAligned: [1])
            for (type, n) in byType.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) { table.add([type, grouped(n)]) }
            say(table.render(indent: "  "))
        }
    }
}
