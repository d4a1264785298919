import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

/// `demo`: the README's main command. A fresh store, a generated province, the
/// four commands the bureau's users named first and one the rules refuse, the
/// main reports, and a verification.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a fresh store, generate a small province, run a few commands (one refused), print the main reports and verify.")

    @Option(help: ArgumentHelp("Where to create the store (must not exist, or be empty; default: a new directory under the system's temporary directory).", valueName: "DIR"))
    var store: String?

    @Option(help: "Cadres to generate.")
    var cadres = 1_000

    @Option(help: "The random seed.")
    var seed: UInt64 = 2024

    /// The demo's calendar: three years of records, then a day in January.
    static let startYear = 2022
    static let years = 3
    static let today = LedgerDate("2025-01-20")!

    func validate() throws {
        guard cadres >= 10 && cadres <= 1_000_000 else { throw ValidationError("--cadres must be 10 to 1,000,000 (got \(cadres))") }
    }

    func run() async throws {
        try await guarded {
            let path = try freshDirectory()
            var storeOptions = StoreOptions()
            storeOptions.store = path
            storeOptions.keyFile = nil   // every option of a hand-made StoreOptions is set
            storeOptions.encryptionKeyFile = nil
            let today = Self.today
            say(Terminal.bold("SilverLedger demo · 老干部工作台账"))
            say("store \(path)")
            say("the demo's calendar: records from \(Self.startYear) to \(Self.startYear + Self.years - 1); today is \(today)\n")

            // 1. A province, through every rule.
            section(1, "Generating a province with the domain generator")
            let generated = try await generateProvince(
                into: storeOptions, cadres: cadres, branches: max(1, cadres / 10), years: Self.years, startYear: Self.startYear,
                seed: seed, today: today)
            say(generated.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n") + "\n")

            // 2. The commands of the day.
            section(2, "Today's commands (each checked against the records, then appended durably)")
            let eventStore = try storeOptions.openForWriting()
            let ledger = try Ledger(store: eventStore, today: { today })
            try await runCommands(ledger, today: today)

            // 3. The reports.
            let view = try ledger.view()
            section(3, "Reports as of \(today) (position \(grouped(view.position)))")
            report("按期换届双提醒 · re-election reminders (90 days' lead)",
                   Reports.reelection(view.reelectionReminders(on: today), on: today, leadDays: 90, limit: 5))
            let medalDay = LedgerDate(year: today.components.year, month: 7, day: 1)!
            report("光荣在党50年 · medal eligibility",
                   Reports.medals(view.medalCandidates(by: medalDay), by: medalDay, perYear: view.medalsPerYear(), limit: 5))
            report("走访慰问 · visit coverage", Reports.visits(view.unvisited(on: today), view.openNeeds(on: today), on: today, days: 90, limit: 5))
            report("三会一课 · compliance, last quarter", Reports.compliance(view.compliance(year: today.components.year - 1, quarter: 4),
                                                                        year: today.components.year - 1, quarter: 4, limit: 5))
            report("年度总结 · year-end summary", Reports.summary(view.yearSummary(today.components.year - 1)))
            try eventStore.close()

            // 4. Verification.
            section(4, "Verification")
            let verification = try Log.verify(at: path)
            say("   checked \(plural(verification.segments, "segment")), \(grouped(verification.batches)) batches, \(grouped(verification.records)) events: "
                + "structure, CRC32C, LZ4, SHA-256 hash chain, index files")
            say("   " + (verification.isIntact ? Terminal.green("✓ intact") : Terminal.red("✗ damaged: \(verification.firstDamage?.description ?? "")"))
                + ", chain head \(verification.chainHead.prefix(16))…")
            say("\nThe store stays in \(path). Try:")
            say("   silverledger query profile --store \(path) --cadre C0000001 --on \(today)")
            say("   silverledger history --store \(path) branch-B00001")
            say("   silverledger verify --store \(path)")
            if !verification.isIntact { throw ExitCode(Exit.corruption) }
        }
    }

    /// The store's directory: the one given (absent or empty), or a new one.
    func freshDirectory() throws -> String {
        let manager = FileManager.default
        if let store {
            if let contents = try? manager.contentsOfDirectory(atPath: store), !contents.isEmpty {
                throw Failure("\(store) is not empty; the demo creates a fresh store (give a new directory)", code: Exit.usage)
            }
            return store
        }
        let stamp = Int(Date().timeIntervalSince1970)
        let path = manager.temporaryDirectory.appendingPathComponent("silverledger-demo-\(stamp)-\(ProcessInfo.processInfo.processIdentifier)").path
        do { try manager.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw Failure("cannot create \(path): \(error.localizedDescription)", code: Exit.io)
        }
        return path
    }

    func section(_ n: Int, _ title: String) { say(Terminal.bold("\(n). \(title)")) }

    func report(_ title: String, _ body: String) {
        say("   " + Terminal.bold(title))
        say(body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "   " + $0 }.joined(separator: "\n") + "\n")
    }

    /// An election, a visit, a medal and a study session, then a medal the rules refuse.
    func runCommands(_ ledger: Ledger, today: LedgerDate) async throws {
        let state = await ledger.state
        let view = LedgerView(state: state, position: ledger.store.nextPosition)
        func living(_ branch: BranchID) -> [CadreID] {
            (state.branches[branch]?.members ?? []).filter { state.cadres[$0]?.isAlive(on: today) == true }.sorted()
        }
        // The branch whose term ended first elects its secretary.
        guard let due = view.reelectionReminders(on: today).first(where: { living($0.branch).count >= 3 }) else {
            throw Failure("the generated province has no branch due for election", code: Exit.io)
        }
        let members = living(due.branch)
        let secretary = members[0]
        let present = members.count - (members.count >= 10 ? 1 : 0)
        try await execute(ledger, "demo-election", "ElectOfficer",
                          "\(due.branch) \(due.branchName) elects \(name(secretary, state)) secretary: \(present) of \(members.count) present, \(present - 1) for",
                          ElectOfficer(branch: due.branch, role: .secretary, cadre: secretary, electedOn: today.adding(days: -5),
                                       entitled: members.count, present: present, votesFor: present - 1))
        // A Spring Festival visit to the lixiu cadre longest without one.
        let unvisited = view.unvisited(on: today)
        let visited = (unvisited.first { $0.category == .lixiu } ?? unvisited.first)?.cadre ?? members[1]
        try await execute(ledger, "demo-visit", "LogVisit", "春节走访 \(name(visited, state)) (\(visited)), in person, with a need found",
                          LogVisit(visit: "V-demo-\(visited)", cadre: visited, kind: .festival, channel: .inPerson, visitors: ["王局长", "李处长"],
                                   notes: "送上新春祝福", needs: [.init(kind: .medical, description: "需协助预约专家门诊")], visitedOn: today.adding(days: -2)))
        // The medal for a member who reached 50 years of standing since the last 1 July.
        if let candidate = view.medalCandidates(by: today).first {
            try await execute(ledger, "demo-medal", "AwardMedal50",
                              "光荣在党50年 for \(candidate.name) (\(candidate.cadre)), full member since \(candidate.fullMemberOn)",
                              AwardMedal50(cadre: candidate.cadre, awardedOn: today))
        }
        // A study session for the branch that just elected.
        try await execute(ledger, "demo-study", "RecordStudySession", "专题辅导 for \(due.branch): \(members.count) attendees, 3 hours",
                          RecordStudySession(session: "S-demo-\(today)", organiser: "省委老干部局", format: .thematicTutorial,
                                             topic: "学习贯彻党的二十届三中全会精神", heldOn: today.adding(days: -1), hours: 3, attendees: members))
        // And one the rules refuse: a medal for a member short of 50 years.
        let short = state.cadres.values.filter {
            $0.isAlive(on: today) && $0.medal50AwardedOn == nil && ($0.partyStanding(on: today) ?? 0) == 49
        }.min { $0.id < $1.id }
        if let short {
            let before = ledger.store.nextPosition
            do {
                try await ledger.execute(AwardMedal50(cadre: short.id, awardedOn: today), by: "op-演示", commandID: "demo-medal-refused")
                say("   " + Terminal.red("✗ expected a refusal"))
            } catch {
                say("   \(Terminal.red("✗")) \(Terminal.pad("AwardMedal50", to: 18)) \(short.name) (\(short.id)): refused")
                say("       \(error.code): \(error.english)")
                say("       \(String(repeating: " ", count: error.code.rawValue.count + 2))\(error.chinese)")
                say("       nothing written: the log still ends at position \(grouped(ledger.store.nextPosition)) (was \(grouped(before)))")
            }
        }
        say("")
    }

    func name(_ cadre: CadreID, _ state: DomainState) -> String { state.cadres[cadre]?.name ?? cadre.rawValue }

    func execute(_ ledger: Ledger, _ id: String, _ type: String, _ what: String, _ command: some DomainCommand) async throws {
        let result = try await ledger.execute(command, by: "op-演示", commandID: id)
        let streams = result.streamVersions.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", ")
        say("   \(Terminal.green("✓")) \(Terminal.pad(type, to: 18)) \(what)")
        say(Terminal.dim("       → position \(grouped(result.positions.lowerBound)), \(streams)"))
    }
}
