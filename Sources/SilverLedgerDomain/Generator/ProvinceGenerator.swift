import SilverLedger
import SilverLedgerStorage

/// Generates a province's worth of records by issuing real commands through a
/// ``Ledger`` (never around its rules), deterministically from a seed: the
/// same configuration gives the same commands, in the same order.
///
/// ```swift
/// var config = ProvinceGenerator.Configuration(cadres: 3_000, branches: 300, years: 3)
/// let report = try await ProvinceGenerator(config).run(into: ledger)
/// ```
///
/// The proportions follow the work plan: a few lixiu cadres (离休) among many
/// tuixiu (退休), some relocated (易地安置), a yearly death rate, branches
/// electing a secretary every three years, committee and group meetings every
/// month and a general meeting and a party lecture every quarter (each
/// sometimes missed, so that "三会一课" compliance has shortfalls to find;
/// most members who miss one have its study taken to their home),
/// visits, quarterly study sessions, and the "光荣在党50年" medal each 1 July
/// for members who have reached 50 years of standing.
public struct ProvinceGenerator: Sendable {
    /// What to generate.
    public struct Configuration: Sendable, Hashable {
        public var seed: UInt64 = 2024
        public var cadres: Int
        public var branches: Int
        /// The first year; records run from 1 January of it.
        public var startYear: Int = 2015
        public var years: Int
        public var lixiuShare: Double = 0.04
        public var relocatedShare: Double = 0.08
        public var yearlyDeathRate: Double = 0.03
        public var visitsPerCadrePerYear: Double = 2
        /// The chance that a required meeting is not held (a shortfall).
        public var missedMeetingRate: Double = 0.08
        /// How many commands go to the ledger together (``Ledger/execute(_:by:allOrNothing:)``
        /// with a list); 1 sends each alone. The records are the same either way.
        public var batchSize: Int = 1

        public init(cadres: Int, branches: Int, years: Int) {
            self.cadres = cadres
            self.branches = max(1, branches)
            self.years = years
        }

        /// The last day generated: 31 December of the last year.
        public var endDate: LedgerDate { LedgerDate(year: startYear + years - 1, month: 12, day: 31)! }
    }

    /// What was generated.
    public struct Report: Sendable, Hashable {
        public var commands = 0
        public var events: UInt64 = 0
        public var deaths = 0
        public var medals = 0
        public var meetings = 0
        public var visits = 0
        public var studySessions = 0
        public var studiesAtHome = 0
        public var elections = 0
        /// The time spent in the ledger (checking and appending the commands),
        /// as against making them up. Not part of `==`: two runs with the same
        /// records are equal however long they took.
        public var ledgerTime: Duration = .zero

        public init() {}

        /// Every count, the time left out: what `==` and `hash(into:)` compare.
        private var counts: [Int] { [commands, Int(events), deaths, medals, meetings, visits, studySessions, studiesAtHome, elections] }

        public static func == (a: Report, b: Report) -> Bool { a.counts == b.counts }

        public func hash(into hasher: inout Hasher) { hasher.combine(counts) }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Issues every command through `ledger` (whose store must be empty and
    /// whose "today" must be on or after ``Configuration/endDate``); stops at
    /// the first refusal, which would be a fault of the generator. Cadres are
    /// born so that all have retired before the start; the youngest are born
    /// in `startYear - 61`.
    ///
    /// `progress`, if given, is told the months generated so far and how many
    /// there are (`years × 12`), after each month.
    public func run(into ledger: Ledger, progress: ((_ months: Int, _ total: Int) -> Void)? = nil) async throws -> Report {
        var run = Run(configuration: configuration, ledger: ledger, progress: progress)
        try await run.all()
        try await run.flush()
        try await run.finish()
        run.report.events = ledger.store.nextPosition
        return run.report
    }
}


/// One generation: the generator's own light model of who is alive and where,
/// used only to choose plausible commands; the ledger checks every one.
private struct Run {
    let configuration: ProvinceGenerator.Configuration
    let ledger: Ledger
    let progress: ((Int, Int) -> Void)?
    var random: SplitMix64
    var report = ProvinceGenerator.Report()
    var commandNumber = 0

    struct Person {
        var id: CadreID
        var branch: BranchID
        var fullMemberOn: LedgerDate
        var diedOn: LedgerDate?
        var medal = false
    }
    var people: [Person] = []
    var members: [BranchID: [Int]] = [:]
    var branchIDs: [BranchID] = []

    init(configuration: ProvinceGenerator.Configuration, ledger: Ledger, progress: ((Int, Int) -> Void)?) {
        self.configuration = configuration
        self.ledger = ledger
        self.progress = progress
        self.random = SplitMix64(seed: configuration.seed)
    }

    /// Commands waiting to go to the ledger as one batch.
    var batch: [LedgerCommand] = []

    mutating func execute(_ command: some DomainCommand) async throws {
        commandNumber += 1
        let id = "gen-\(configuration.seed)-\(commandNumber)"
        report.commands += 1
        guard configuration.batchSize > 1 else {
            let start = ContinuousClock.now
            try await ledger.execute(command, by: "generator", commandID: id)
            report.ledgerTime += ContinuousClock.now - start
            return
        }
        batch.append(LedgerCommand(command, id: id))
        if batch.count >= configuration.batchSize { try await flush() }
    }

    /// The batch queued last, not yet awaited: one batch is in flight, so the
    /// ledger checks the next while the store takes it.
    var inFlight: LedgerTicket?

    /// Queues the commands waiting, then waits for the batch queued before them;
    /// a refusal is the generator's fault and stops it.
    mutating func flush() async throws {
        guard !batch.isEmpty else { return }
        let sent = batch
        batch.removeAll(keepingCapacity: true)
        let start = ContinuousClock.now
        let ticket = try await ledger.enqueue(sent, by: "generator")
        let previous = inFlight
        inFlight = ticket
        if let previous { for result in try await previous.results() { _ = try result.get() } }
        report.ledgerTime += ContinuousClock.now - start
    }

    /// Waits for the batch in flight.
    mutating func finish() async throws {
        guard let last = inFlight else { return }
        inFlight = nil
        let start = ContinuousClock.now
        let results = try await last.results()
        report.ledgerTime += ContinuousClock.now - start
        for result in results { _ = try result.get() }
    }

    func date(_ year: Int, _ month: Int, _ day: Int) -> LedgerDate {
        LedgerDate(year: year, month: month, day: min(day, LedgerDate.daysIn(month: month, year: year)))!
    }

    func alive(_ i: Int, on day: LedgerDate) -> Bool { people[i].diedOn.map { day < $0 } ?? true }

    mutating func all() async throws {
        try await setUp()
        for year in configuration.startYear..<(configuration.startYear + configuration.years) {
            for month in 1...12 {
                try await runMonth(year, month)
                progress?((year - configuration.startYear) * 12 + month, configuration.years * 12)
            }
        }
    }

    /// Day one: the branches, the register, party membership, branch membership, the first elections.
    mutating func setUp() async throws {
        let start = date(configuration.startYear, 1, 1)
        for b in 0..<configuration.branches {
            let id = BranchID(String(format: "B%05d", b + 1))
            branchIDs.append(id)
            try await execute(EstablishBranch(branch: id, name: "离退休干部第\(b + 1)党支部", type: b % 10 == 0 ? .joint : .standalone,
                                              parentOrganisation: "第\(b % 40 + 1)机关党委", establishedOn: start))
        }
        let levels = FormerLevel.allCases
        for c in 0..<configuration.cadres {
            let id = CadreID(String(format: "C%07d", c + 1))
            let lixiu = Double.random(in: 0..<1, using: &random) < configuration.lixiuShare
            // Everyone has retired (at 60) before the start.
            let born = date(lixiu ? Int.random(in: 1926...1932, using: &random) : Int.random(in: 1935...(configuration.startYear - 61), using: &random),
                            Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random))
            let retired = born.adding(years: 60)
            try await execute(RegisterCadre(cadre: id, name: "干部\(c + 1)", category: lixiu ? .lixiu : .tuixiu, birthDate: born,
                                            formerLevel: levels[Int.random(in: 0..<levels.count, using: &random)],
                                            formerUnit: "省直单位\(c % 97 + 1)", retiredOn: retired, residence: "杭州市", registeredOn: start))
            if Double.random(in: 0..<1, using: &random) < configuration.relocatedShare {
                try await execute(MarkRelocated(cadre: id, relocated: true, area: "上海市", markedOn: start))
            }
            // Joined the party between 18 and 40; full membership a year later.
            let joined = born.adding(years: Int.random(in: 18...40, using: &random)).adding(days: Int.random(in: 0..<365, using: &random))
            let full = joined.adding(years: 1)
            try await execute(RecordPartyMembership(cadre: id, joinedOn: joined, fullMemberOn: full, recordedOn: start))
            let branch = branchIDs[people.count % branchIDs.count]
            try await execute(AddMember(branch: branch, cadre: id, addedOn: start))
            members[branch, default: []].append(people.count)
            people.append(Person(id: id, branch: branch, fullMemberOn: full))
        }
        for branch in branchIDs { try await elect(branch, on: date(configuration.startYear, 1, 15)) }
    }

    /// Elects a secretary among the branch's living members (a valid count).
    mutating func elect(_ branch: BranchID, on day: LedgerDate) async throws {
        let living = (members[branch] ?? []).filter { alive($0, on: day) }
        guard let winner = living.randomElement(using: &random) else { return }
        let entitled = living.count
        let present = entitled - Int(Double(entitled) * 0.1)   // > 4/5 present
        try await execute(ElectOfficer(branch: branch, role: .secretary, cadre: people[winner].id, electedOn: day,
                                       entitled: entitled, present: present, votesFor: present / 2 + 1))
        report.elections += 1
    }

    mutating func runMonth(_ year: Int, _ month: Int) async throws {
        // Deaths, spread over the month.
        let monthlyDeath = configuration.yearlyDeathRate / 12
        for i in people.indices where people[i].diedOn == nil && Double.random(in: 0..<1, using: &random) < monthlyDeath {
            let died = date(year, month, Int.random(in: 1...26, using: &random))
            try await execute(RecordDeath(cadre: people[i].id, diedOn: died, recordedOn: died))
            people[i].diedOn = died
            report.deaths += 1
        }
        // Meetings: committee and group monthly, general meeting and party lecture each quarter.
        var kinds: [(MeetingType, Int)] = [(.committeeMeeting, 6), (.groupMeeting, 12)]
        if month % 3 == 2 { kinds += [(.generalMeeting, 18), (.partyLecture, 22)] }
        for branch in branchIDs {
            let living = (members[branch] ?? []).filter { alive($0, on: date(year, month, 28)) }
            guard !living.isEmpty else { continue }
            for (kind, dayOfMonth) in kinds where Double.random(in: 0..<1, using: &random) >= configuration.missedMeetingRate {
                let heldOn = date(year, month, dayOfMonth)
                var attendees: [CadreID] = [], absentees: [MeetingAbsence] = []
                for i in living {
                    if Double.random(in: 0..<1, using: &random) < 0.1 { absentees.append(MeetingAbsence(cadre: people[i].id, reason: "身体原因")) }
                    else { attendees.append(people[i].id) }
                }
                if attendees.isEmpty { attendees.append(absentees.removeFirst().cadre) }
                report.meetings += 1
                let meeting = "\(branch)-\(year)-\(month)-\(kind.rawValue)"
                try await execute(RecordMeeting(meeting: meeting, branch: branch, kind: kind,
                                                heldOn: heldOn, attendees: attendees, absentees: absentees))
                // Most who missed it have its study taken to their home within days (送学上门).
                for absence in absentees where Double.random(in: 0..<1, using: &random) < 0.8 {
                    let deliveredOn = LedgerDate(daysSinceEpoch: heldOn.daysSinceEpoch + Int32.random(in: 1...5, using: &random))
                    try await execute(DeliverStudyAtHome(meeting: meeting, cadre: absence.cadre, deliveredOn: deliveredOn))
                    report.studiesAtHome += 1
                }
            }
        }
        // Study: each branch once a quarter, its living members.
        if month % 3 == 0 {
            for branch in branchIDs {
                let heldOn = date(year, month, 10)
                let attendees = (members[branch] ?? []).filter { alive($0, on: heldOn) }.map { people[$0].id }
                guard !attendees.isEmpty else { continue }
                report.studySessions += 1
                try await execute(RecordStudySession(session: "\(branch)-\(year)-Q\(month / 3)", organiser: "\(branch)", format: .branchStudy,
                                                     topic: "党的创新理论学习", heldOn: heldOn, hours: 2, attendees: attendees))
            }
        }
        // Visits: about `visitsPerCadrePerYear` a year each.
        let monthlyVisit = configuration.visitsPerCadrePerYear / 12
        for i in people.indices where Double.random(in: 0..<1, using: &random) < monthlyVisit {
            let visitedOn = date(year, month, Int.random(in: 1...28, using: &random))
            guard alive(i, on: visitedOn) else { continue }
            report.visits += 1
            try await execute(LogVisit(visit: "V-\(people[i].id)-\(year)-\(month)", cadre: people[i].id,
                                       kind: month == 1 || month == 2 ? .festival : .regularContact,
                                       channel: Double.random(in: 0..<1, using: &random) < 0.7 ? .inPerson : .phone,
                                       visitors: ["工作人员\(Int.random(in: 1...50, using: &random))"], visitedOn: visitedOn))
        }
        // Elections every three years after the first.
        if month == 1, (year - configuration.startYear) % 3 == 0, year > configuration.startYear {
            for branch in branchIDs { try await elect(branch, on: date(year, 1, 15)) }
        }
        // The medal each 1 July.
        if month == 7 {
            let day = date(year, 7, 1)
            for i in people.indices where !people[i].medal && alive(i, on: day)
                && PartyStanding.years(from: people[i].fullMemberOn, to: day) >= AwardMedal50.requiredYears {
                try await execute(AwardMedal50(cadre: people[i].id, awardedOn: day))
                people[i].medal = true
                report.medals += 1
            }
        }
    }
}
