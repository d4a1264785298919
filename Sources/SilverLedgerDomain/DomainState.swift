import SilverLedger

/// What the register knows of one cadre, as the rules need it.
public struct CadreRecord: Codable, Sendable, Hashable {
    /// 入党 and 转正 dates.
    public struct Membership: Codable, Sendable, Hashable {
        public var joinedOn: LedgerDate
        public var fullMemberOn: LedgerDate
    }

    public var id: CadreID
    public var name: String
    public var category: CadreCategory
    public var birthDate: LedgerDate
    public var formerLevel: FormerLevel
    public var formerUnit: String
    public var retiredOn: LedgerDate
    public var residence: String
    public var registeredOn: LedgerDate
    public var membership: Membership?
    public var diedOn: LedgerDate?
    public var medal50AwardedOn: LedgerDate?
    /// The date of the latest visit (走访), if any.
    public var lastVisitedOn: LedgerDate?
    /// The branches the cadre has belonged to, in order; at most the last one is open.
    public var branchStints: [BranchStint] = []
    /// 易地安置: lives outside the area of the unit that serves them (needs regular remote contact).
    public var relocated: Bool = false
    /// Where a relocated cadre lives (安置地); nil unless ``relocated``.
    public var relocationArea: String?
    /// 年老体弱.
    public var frail: Bool = false
    /// 行动不便.
    public var limitedMobility: Bool = false
    /// The dates of the latest residence, relocation and health changes (each is recorded in date order).
    public var residenceChangedOn: LedgerDate?
    public var relocationMarkedOn: LedgerDate?
    public var healthChangedOn: LedgerDate?
    /// 荣誉退休: when it was recorded (once).
    public var honourablyRetiredOn: LedgerDate?
    /// 一人一策: the active care plan (lixiu cadres only).
    public var carePlan: CarePlan?
    /// 政治生日: the date of the latest ceremony (at most one a calendar year, recorded in order).
    public var lastPoliticalBirthdayOn: LedgerDate?
    /// 先进个人, 银发先锋: the honours received (each title, level and year once).
    public var honours: Set<HonourKey> = []

    /// 一人一策: a lixiu cadre's care plan and the contact paired with them (结对联系人).
    public struct CarePlan: Codable, Sendable, Hashable {
        public var contact: String
        public var createdOn: LedgerDate
    }

    /// A time in one branch: from `from`, until `until` (exclusive; nil while it lasts).
    public struct BranchStint: Codable, Sendable, Hashable {
        public var branch: BranchID
        public var from: LedgerDate
        public var until: LedgerDate?

        /// Whether the stint covers `date`.
        public func covers(_ date: LedgerDate) -> Bool { from <= date && until.map { date < $0 } ?? true }
    }

    /// The branch the cadre belongs to now, if any.
    public var currentBranch: BranchID? {
        branchStints.last.flatMap { $0.until == nil ? $0.branch : nil }
    }

    /// The branch the cadre belonged to on `date`, if any.
    public func branch(on date: LedgerDate) -> BranchID? {
        Self.branch(in: branchStints, on: date)
    }

    /// The branch of the stint that covers `date`, if any.
    static func branch(in stints: [BranchStint], on date: LedgerDate) -> BranchID? {
        stints.last { $0.covers(date) }?.branch
    }

    /// Whether the cadre was alive on `date` (a death on that very date counts as not alive).
    public func isAlive(on date: LedgerDate) -> Bool {
        diedOn.map { date < $0 } ?? true
    }

    /// 党龄 in full years on `date`, or nil if the cadre is not a party member.
    public func partyStanding(on date: LedgerDate) -> Int? {
        // After death the standing stays what it was on the day of death.
        membership.map { PartyStanding.years(from: $0.fullMemberOn, to: diedOn.map { min($0, date) } ?? date) }
    }

    /// The latest dated fact the register holds of the cadre (a membership, a
    /// branch, a visit, an honour, a change), if any: a death may not be dated
    /// before it. Meetings and study sessions attended are not kept per cadre
    /// and are not looked at.
    public var latestRecordOn: (date: LedgerDate, what: String, 什么: String)? {
        var latest: (date: LedgerDate, what: String, 什么: String)?
        func consider(_ date: LedgerDate?, _ what: String, _ 什么: String) {
            if let date, latest.map({ date > $0.date }) ?? true { latest = (date, what, 什么) }
        }
        consider(registeredOn, "the registration", "登记")
        consider(membership?.fullMemberOn, "full party membership", "转正")
        for stint in branchStints {
            consider(stint.from, "joining branch \(stint.branch)", "加入党支部\(stint.branch)")
            consider(stint.until, "leaving branch \(stint.branch)", "离开党支部\(stint.branch)")
        }
        consider(lastVisitedOn, "a visit", "走访")
        consider(medal50AwardedOn, "the medal", "纪念章颁发")
        consider(lastPoliticalBirthdayOn, "a political birthday", "政治生日")
        consider(residenceChangedOn, "a change of residence", "居住地变更")
        consider(relocationMarkedOn, "a relocation", "易地安置")
        consider(healthChangedOn, "a change of health", "健康状况变更")
        consider(honourablyRetiredOn, "an honourable retirement", "荣誉退休")
        consider(carePlan?.createdOn, "a care plan", "一人一策")
        return latest
    }
}

/// The state the rules are checked against, rebuilt from the log: a
/// projection like any other, also updated by the ``Ledger`` as it accepts
/// commands.
public struct DomainState: Projection, Codable, Sendable, Equatable {
    public static let name = "domain-state"
    /// Raised whenever the state's shape changes, so that older snapshots are not used.
    public static let schemaVersion = 5

    /// The register: each cadre's record by id.
    public var cadres = CadreTable()
    public var branches: [BranchID: BranchRecord] = [:]
    /// Every need found on a visit, open or resolved, by id.
    public var needs: [String: NeedRecord] = [:]
    /// Meetings and evaluations ("三会一课").
    public var organisationalLife = OrganisationalLifeState()
    /// Outflows and inflows (流动党员).
    public var mobileMembers = MobileMembersState()
    /// Talent, workstations, volunteer teams, studios, lectures (作用发挥).
    public var contribution = ContributionState()
    /// Study hours and quiz scores (学习).
    public var study = StudyState()

    /// A need found on a visit and what became of it.
    public struct NeedRecord: Codable, Sendable, Hashable {
        public var cadre: CadreID
        public var kind: NeedKind
        public var foundOn: LedgerDate
        public var resolvedOn: LedgerDate?
    }

    public init() {}

    public mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        guard let decoded else { return }
        fold(decoded, named: event.eventType, in: event.businessDate.components.year)
    }

    /// Folds `event` in and counts it in `year`, the year of its business
    /// date; its type's `name` is read only for a type not the domain's.
    mutating func fold(_ event: any Event, named name: @autoclosure () -> String, in year: Int) {
        if let index = fold(event) {
            eventCounts.count(index, in: year)
        } else {
            otherEventsPerYear[year, default: [:]][name(), default: 0] += 1
        }
    }

    /// Events of each type per year of their business date, for the year-end summary.
    public var eventsPerYear: [Int: [String: Int]] {
        var result = otherEventsPerYear
        for (year, counts) in zip(eventCounts.years, eventCounts.counts) {
            for (index, count) in counts.enumerated() where count > 0 {
                result[year, default: [:]][DomainEvents.names[index], default: 0] += Int(count)
            }
        }
        return result
    }

    /// Domain events per year of their business date, by their place in the domain's list of types.
    var eventCounts = EventCounts()
    /// Events of other types (registered by the embedding service) per year, by type name.
    var otherEventsPerYear: [Int: [String: Int]] = [:]

    /// Counts of events per year and type, in arrays: counting is on the path of every event applied.
    struct EventCounts: Codable, Sendable, Equatable {
        /// The years counted, ascending, and for each the count per type.
        var years: [Int] = []
        var counts: [[UInt32]] = []
        /// Where the year last counted is (events come mostly in date order).
        private var last = 0

        enum CodingKeys: CodingKey { case years, counts }

        static func == (a: Self, b: Self) -> Bool { a.years == b.years && a.counts == b.counts }

        mutating func count(_ index: Int, in year: Int) {
            if last >= years.count || years[last] != year {
                var i = 0
                while i < years.count && years[i] < year { i += 1 }
                if i == years.count || years[i] != year {
                    years.insert(year, at: i)
                    counts.insert(Array(repeating: 0, count: DomainEvents.all.count), at: i)
                }
                last = i
            }
            counts[last][index] &+= 1
        }
    }

    /// Folds one domain event in; other events leave the state as it is.
    public mutating func evolve(_ event: any Event) {
        fold(event)
    }

    /// Folds one domain event in and returns its place in the domain's list of
    /// types; returns nil, changing nothing, for events of other types.
    @discardableResult
    mutating func fold(_ event: any Event) -> Int? {
        // By the event's type, found in a table: a cast to `any DomainEvent`
        // would search the runtime's conformances for every event.
        func open<E: Event>(_ event: E) -> Int? {
            guard let (index, domainType) = DomainEvents.byType[ObjectIdentifier(E.self)] else { return nil }
            // In place, through its address: a cast would copy the event.
            withUnsafePointer(to: event) { domainType.apply(at: UnsafeRawPointer($0), to: &self) }
            return index
        }
        return open(event)
    }

    /// Changes the record of `cadre`, if registered, in place: `cadres[cadre]?.field = …`
    /// would move the whole record out of the table and back.
    @inline(__always)
    mutating func updateCadre(_ cadre: CadreID, _ change: (inout CadreRecord) -> Void) {
        cadres.update(cadre, change)
    }

    /// ``updateCadre(_:_:)`` for a change that leaves the registration date,
    /// the death and the branch stints as they were (``CadreTable/updateDetails(_:_:)``).
    @inline(__always)
    mutating func updateCadreDetails(_ cadre: CadreID, _ change: (inout CadreRecord) -> Void) {
        cadres.updateDetails(cadre, change)
    }

    /// The cadre joins the branch on `date`.
    mutating func join(_ cadre: CadreID, _ branch: BranchID, on date: LedgerDate) {
        updateCadre(cadre) { $0.branchStints.append(.init(branch: branch, from: date, until: nil)) }
        branches[branch]?.members.insert(cadre)
    }

    /// The cadre leaves the branch (and its offices) on `date`.
    mutating func leave(_ cadre: CadreID, _ branch: BranchID, on date: LedgerDate) {
        updateCadre(cadre) { record in
            if let last = record.branchStints.indices.last, record.branchStints[last].until == nil {
                record.branchStints[last].until = date
            }
        }
        branches[branch]?.members.remove(cadre)
        branches[branch]?.vacate(cadre)
    }
}
