import SilverLedger

/// 6. How a branch's quarter measures up to "三会一课": a general meeting
/// (支部党员大会) and a party lecture (党课) at least once a quarter, a committee
/// meeting (支委会) and a group meeting (党小组会) at least once a month.
public struct QuarterCompliance: Codable, Sendable, Hashable {
    /// A requirement and how far the branch fell short of it.
    public struct Shortfall: Codable, Sendable, Hashable {
        public var kind: MeetingType
        public var required: Int
        public var held: Int
        /// For monthly requirements: the months (1-12) without one.
        public var monthsMissing: [Int]
    }

    public var branch: BranchID
    public var year: Int
    public var quarter: Int
    public var generalMeetings: Int
    public var partyLectures: Int
    public var committeeMeetingsPerMonth: [Int]
    public var groupMeetingsPerMonth: [Int]
    public var shortfalls: [Shortfall]
    public var compliant: Bool { shortfalls.isEmpty }
}

/// 8. A member living away, with both responsible organisations (双向共管).
public struct MemberAway: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var homeBranch: BranchID
    public var destination: String
    public var since: LedgerDate
    /// The organisation that accepted the inflow; nil until accepted.
    public var receivingOrganisation: String?
}

/// 9. A demonstration branch and its next review.
public struct DemonstrationStatus: Codable, Sendable, Hashable {
    public var branch: BranchID
    public var name: String
    public var level: DemonstrationLevel
    public var batch: String
    public var designatedOn: LedgerDate
    public var reviewDueOn: LedgerDate
    public var overdue: Bool
}

extension LedgerView {
    /// 6. "三会一课" compliance of every branch active during the quarter (1-4 of `year`), by branch id.
    public func compliance(year: Int, quarter: Int) -> [QuarterCompliance] {
        precondition((1...4).contains(quarter), "a quarter is 1 to 4")
        let months = Array((quarter * 3 - 2)...(quarter * 3))
        let start = LedgerDate(year: year, month: months[0], day: 1)!
        let end = LedgerDate(year: year, month: months[2], day: LedgerDate.daysIn(month: months[2], year: year))!
        return state.branches.values.filter { $0.establishedOn <= end && ($0.dissolvedOn.map { $0 > start } ?? true) }
            .sorted { $0.id < $1.id }
            .map { branch in
                let counts = months.map { state.organisationalLife.meetingsByMonth[branch.id]?.counts(in: year, month: $0) ?? .init() }
                let general = counts.reduce(0) { $0 + Int($1.generalMeetings) }
                let lectures = counts.reduce(0) { $0 + Int($1.partyLectures) }
                let committee = counts.map { Int($0.committeeMeetings) }
                let group = counts.map { Int($0.groupMeetings) }
                var shortfalls: [QuarterCompliance.Shortfall] = []
                if general < 1 { shortfalls.append(.init(kind: .generalMeeting, required: 1, held: general, monthsMissing: [])) }
                if lectures < 1 { shortfalls.append(.init(kind: .partyLecture, required: 1, held: lectures, monthsMissing: [])) }
                for (kind, perMonth) in [(MeetingType.committeeMeeting, committee), (.groupMeeting, group)] {
                    let missing = zip(months, perMonth).filter { $0.1 == 0 }.map(\.0)
                    if !missing.isEmpty {
                        shortfalls.append(.init(kind: kind, required: 3, held: perMonth.reduce(0, +), monthsMissing: missing))
                    }
                }
                return QuarterCompliance(branch: branch.id, year: year, quarter: quarter, generalMeetings: general, partyLectures: lectures,
                                         committeeMeetingsPerMonth: committee, groupMeetingsPerMonth: group, shortfalls: shortfalls)
            }
    }

    /// 8. Members away now (an outflow not closed by a return), living, by since date then id.
    public func membersAway() -> [MemberAway] {
        state.mobileMembers.away.compactMap { id, outflow -> MemberAway? in
            guard let cadre = state.cadres[id], cadre.diedOn == nil else { return nil }
            return MemberAway(cadre: id, name: cadre.name, homeBranch: outflow.fromBranch, destination: outflow.destination,
                              since: outflow.since, receivingOrganisation: outflow.receivingOrganisation)
        }
        .sorted { ($0.since, $0.cadre) < ($1.since, $1.cadre) }
    }

    /// 9. Current demonstration branches with their next review, soonest first;
    /// `overdue` when the review was due before `date`.
    public func demonstrationBranches(on date: LedgerDate) -> [DemonstrationStatus] {
        state.branches.values.compactMap { b -> DemonstrationStatus? in
            guard b.isActive(on: date), let d = b.demonstration, let due = d.reviewDueOn else { return nil }
            return DemonstrationStatus(branch: b.id, name: b.name, level: d.level, batch: d.batch, designatedOn: d.designatedOn,
                                       reviewDueOn: due, overdue: due < date)
        }
        .sorted { ($0.reviewDueOn, $0.branch) < ($1.reviewDueOn, $1.branch) }
    }
}
