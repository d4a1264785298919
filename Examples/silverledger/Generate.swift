import ArgumentParser
import SilverLedger
import SilverLedgerDomain

/// `generate`: the domain's generator, into an empty store.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a province's records with the domain generator (seeded, through every rule) into an empty store.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Cadres to register.")
    var cadres = 3_000

    @Option(help: "Party branches (default: one per ten cadres).")
    var branches: Int?

    @Option(help: "Years of records.")
    var years = 3

    @Option(help: "The first year (default: the years end last year).")
    var startYear: Int?

    @Option(help: "The random seed: the same seed and sizes give the same records.")
    var seed: UInt64 = 2024

    func validate() throws {
        guard cadres >= 1 else { throw ValidationError("--cadres must be at least 1 (got \(cadres))") }
        guard years >= 1 && years <= 50 else { throw ValidationError("--years must be 1 to 50 (got \(years))") }
        if let branches, branches < 1 { throw ValidationError("--branches must be at least 1 (got \(branches))") }
    }

    func run() async throws {
        try await guarded {
            let today = Ledger.todayInBeijing()
            let start = startYear ?? (today.components.year - years)
            let report = try await generateProvince(
                into: storeOptions, cadres: cadres, branches: branches ?? max(1, cadres / 10), years: years, startYear: start,
                seed: seed, today: max(today, LedgerDate(year: start + years - 1, month: 12, day: 31)!))
            say(report)
        }
    }
}

/// Generates into the store `options` names (which must be empty); returns a summary to print.
func generateProvince(into options: StoreOptions, cadres: Int, branches: Int, years: Int, startYear: Int, seed: UInt64,
                      today: LedgerDate) async throws -> String {
    // Appends return once written; one sync at close makes the whole province durable.
    let store = try options.openForWriting(durability: .none)
    do {
        guard store.nextPosition == 0 else {
            throw Failure("the store at \(options.path) is not empty (\(grouped(store.nextPosition)) events); generate writes into an empty store only",
                          code: Exit.rejected)
        }
        let ledger = try Ledger(store: store, today: { today })
        var configuration = ProvinceGenerator.Configuration(cadres: cadres, branches: branches, years: years)
        configuration.seed = seed
        configuration.startYear = startYear
        configuration.batchSize = 1_000
        let bar = ProgressBar("generating", unit: "months")
        let started = ContinuousClock.now
        let report = try await ProvinceGenerator(configuration).run(into: ledger) { done, total in
            bar.update(Int64(done), of: Int64(total))
        }
        bar.finish()
        let took = ContinuousClock.now - started
        try store.close()
        return """
            generated \(grouped(report.commands)) commands, \(grouped(report.events)) events into \(options.path) in \(seconds(took))
              \(grouped(cadres)) cadres, \(grouped(branches)) branches, \(startYear)–\(startYear + years - 1), seed \(seed)
              deaths \(grouped(report.deaths)), medals \(grouped(report.medals)), meetings \(grouped(report.meetings)), \
            visits \(grouped(report.visits)), study sessions \(grouped(report.studySessions)), \
            studies at home \(grouped(report.studiesAtHome)), elections \(grouped(report.elections))
            """
    } catch {
        try? store.close()
        throw error
    }
}
