import ArgumentParser
import SilverLedger
import SilverLedgerDomain

/// `query NAME`: the twelve questions of DOMAIN.md.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer one of the twelve questions of DOMAIN.md, now or as of a past date or position.",
        discussion: """
            NAME is one of: \(Name.allCases.map(\.rawValue).joined(separator: ", ")).
            --as-of DATE reads the records as they stood at the end of DATE (by when they were recorded); \
            --on DATE is the business date the question is asked on (default: the --as-of date, else today in Beijing).
            """)

    enum Name: String, ExpressibleByArgument, CaseIterable {
        case profile, leadership, reelection, medals, visits, compliance, study, mobile, demonstration, talent, volunteers, summary, audit
    }

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var view: ViewOptions

    @Argument(help: "The question.")
    var name: Name

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("The business date the question is asked on.", valueName: "YYYY-MM-DD"))
    var on: String?

    @Option(help: "profile, audit: the cadre's id.")
    var cadre: String?

    @Option(help: "leadership, audit: the branch's id (leadership: every branch if not given).")
    var branch: String?

    @Option(help: "reelection: the lead time in days.")
    var leadDays = 90

    @Option(help: ArgumentHelp("medals: eligible by this date (default: 1 July of the --on year).", valueName: "YYYY-MM-DD"))
    var by: String?

    @Option(help: "visits: the period in days.")
    var days = 90

    @Option(help: "compliance, study, summary: the year (default: the --on year).")
    var year: Int?

    @Option(help: "compliance: the quarter, 1-4 (default: the --on quarter).")
    var quarter: Int?

    @Option(help: "talent: the expertise to search for.")
    var matching: String?

    @Option(help: "table format: rows shown per list (0: all).")
    var limit = 20

    func validate() throws {
        if let on, LedgerDate(on) == nil { throw ValidationError("--on \(on) is not a date (YYYY-MM-DD)") }
        if let by, LedgerDate(by) == nil { throw ValidationError("--by \(by) is not a date (YYYY-MM-DD)") }
        if let quarter, !(1...4).contains(quarter) { throw ValidationError("--quarter must be 1 to 4 (got \(quarter))") }
        if leadDays < 0 { throw ValidationError("--lead-days must not be negative (got \(leadDays))") }
        if days < 0 { throw ValidationError("--days must not be negative (got \(days))") }
        switch name {
        case .profile where cadre == nil: throw ValidationError("query profile needs --cadre ID")
        case .talent where matching == nil: throw ValidationError("query talent needs --matching TEXT")
        case .audit where (cadre == nil) == (branch == nil): throw ValidationError("query audit needs --cadre ID or --branch ID (one of them)")
        default: break
        }
    }

    func run() async throws {
        try await guarded {
            let store = try storeOptions.openForReading()
            defer { try? store.close() }
            let day = on.flatMap(LedgerDate.init) ?? view.asOfDate ?? Ledger.todayInBeijing()
            let rows = limit == 0 ? nil : limit
            if name == .audit {
                let ledger = try Ledger(store: store)
                let entries = try cadre.map { try ledger.auditHistory(of: CadreID($0), asOf: view.point) }
                    ?? ledger.auditHistory(of: BranchID(branch!), asOf: view.point)
                return say(format == .json ? try json(entries) : Reports.audit(entries, of: cadre ?? branch!))
            }
            let projected = try store.project(DomainState.self, asOf: view.point)
            let v = LedgerView(state: projected.projection, position: projected.position)
            let (json, table) = try answer(v, on: day, rows: rows)
            if format == .json { return say(json) }
            say(Terminal.dim("as of position \(grouped(v.position))\(view.asOf.map { " (recorded by the end of \($0))" } ?? ""), asked on \(day)"))
            say(table)
        }
    }

    /// The answer as JSON and as a table.
    func answer(_ v: LedgerView, on day: LedgerDate, rows: Int?) throws -> (String, String) {
        let year = self.year ?? day.components.year
        switch name {
        case .profile:
            guard let profile = v.profile(of: CadreID(cadre!), on: day) else {
                throw Failure("no cadre \(cadre!) in the register as of position \(v.position)", code: Exit.rejected)
            }
            return (try json(profile), Reports.profile(profile))
        case .leadership:
            let list: [BranchLeadership]
            if let branch {
                guard let one = v.leadership(of: BranchID(branch)) else {
                    throw Failure("no branch \(branch) as of position \(v.position)", code: Exit.rejected)
                }
                list = [one]
            } else {
                list = v.state.branches.keys.sorted().compactMap { v.leadership(of: $0) }
            }
            return (try json(list), Reports.leadership(list, limit: rows))
        case .reelection:
            let list = v.reelectionReminders(on: day, leadDays: leadDays)
            return (try json(list), Reports.reelection(list, on: day, leadDays: leadDays, limit: rows))
        case .medals:
            let by = self.by.flatMap(LedgerDate.init) ?? LedgerDate(year: day.components.year, month: 7, day: 1)!
            struct Answer: Encodable { var by: LedgerDate; var candidates: [MedalCandidate]; var awardedPerYear: [Int: Int] }
            let answer = Answer(by: by, candidates: v.medalCandidates(by: by), awardedPerYear: v.medalsPerYear())
            return (try json(answer), Reports.medals(answer.candidates, by: by, perYear: answer.awardedPerYear, limit: rows))
        case .visits:
            struct Answer: Encodable { var on: LedgerDate; var days: Int; var unvisited: [UnvisitedCadre]; var openNeeds: [OpenNeed] }
            let answer = Answer(on: day, days: days, unvisited: v.unvisited(on: day, days: days), openNeeds: v.openNeeds(on: day))
            return (try json(answer), Reports.visits(answer.unvisited, answer.openNeeds, on: day, days: days, limit: rows))
        case .compliance:
            let quarter = self.quarter ?? (day.components.month - 1) / 3 + 1
            let list = v.compliance(year: year, quarter: quarter)
            return (try json(list), Reports.compliance(list, year: year, quarter: quarter, limit: rows))
        case .study:
            struct Answer: Encodable { var year: Int; var hours: [StudyHours]; var attendance: [BranchAttendance]; var quizAverage: Double? }
            let answer = Answer(year: year, hours: v.studyHours(in: year), attendance: v.attendance(in: year), quizAverage: v.quizAverage(in: year))
            return (try json(answer), Reports.study(answer.hours, answer.attendance, quizAverage: answer.quizAverage, year: year, limit: rows))
        case .mobile:
            let list = v.membersAway()
            return (try json(list), Reports.mobile(list, limit: rows))
        case .demonstration:
            let list = v.demonstrationBranches(on: day)
            return (try json(list), Reports.demonstration(list, on: day, limit: rows))
        case .talent:
            let list = v.talent(matching: matching!)
            return (try json(list), Reports.talent(list, matching: matching!, limit: rows))
        case .volunteers:
            struct Answer: Encodable { var people: [VolunteerHours]; var teams: [String: Double] }
            let answer = Answer(people: v.volunteerHours(), teams: v.volunteerHoursByTeam())
            return (try json(answer), Reports.volunteers(answer.people, byTeam: answer.teams, limit: rows))
        case .summary:
            let summary = v.yearSummary(year)
            return (try json(summary), Reports.summary(summary))
        case .audit:
            preconditionFailure("answered in run()")
        }
    }
}
