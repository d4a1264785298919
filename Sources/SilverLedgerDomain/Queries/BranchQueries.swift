import SilverLedger

/// 2. Who leads a branch: secretary, deputies, committee, and when their terms end.
public struct BranchLeadership: Codable, Sendable, Hashable {
    /// An office and its holder.
    public struct Holder: Codable, Sendable, Hashable {
        public var cadre: CadreID
        public var name: String
        public var electedOn: LedgerDate
        public var termEndsOn: LedgerDate
    }

    public var branch: BranchID
    public var name: String
    public var secretary: Holder?
    public var deputies: [Holder]
    public var committee: [Holder]
    /// 联络员: the in-service member appointed to help the branch, if any.
    public var liaison: BranchRecord.Liaison?
    /// The earliest end among the terms held (the next 换届).
    public var termEndsOn: LedgerDate?
}

/// 3. A branch whose term ends within the lead time, or has ended: addressed to
/// the branch and to its parent organisation (按期换届"双提醒").
public struct ReelectionReminder: Codable, Sendable, Hashable {
    public var branch: BranchID
    public var branchName: String
    public var parentOrganisation: String
    public var termEndsOn: LedgerDate
    /// Days from the date asked about to the term's end (negative: overdue).
    public var daysLeft: Int
    public var overdue: Bool
}

extension LedgerView {
    /// 2. The leadership of a branch now (in this view); nil if the branch was never established.
    public func leadership(of branch: BranchID) -> BranchLeadership? {
        guard let b = state.branches[branch] else { return nil }
        func holder(_ office: BranchRecord.Office) -> BranchLeadership.Holder {
            .init(cadre: office.cadre, name: state.cadres[office.cadre]?.name ?? "", electedOn: office.electedOn, termEndsOn: office.termEndsOn)
        }
        let deputies = b.deputies.values.sorted { $0.cadre < $1.cadre }.map(holder)
        let committee = b.committee.values.sorted { $0.cadre < $1.cadre }.map(holder)
        let ends = ([b.secretary].compactMap { $0 } + b.deputies.values + b.committee.values).map(\.termEndsOn)
        return BranchLeadership(branch: b.id, name: b.name, secretary: b.secretary.map(holder), deputies: deputies,
                                committee: committee, liaison: b.liaison, termEndsOn: ends.min())
    }

    /// 3. Re-election reminders on `date`: active branches whose secretary's term
    /// ends within `leadDays` (default 90) or has ended, soonest first. A branch
    /// with no secretary is not listed here (it has no term to renew).
    public func reelectionReminders(on date: LedgerDate, leadDays: Int = 90) -> [ReelectionReminder] {
        state.branches.values.compactMap { b -> ReelectionReminder? in
            guard b.isActive(on: date), let secretary = b.secretary else { return nil }
            let days = date.days(to: secretary.termEndsOn)
            guard days <= leadDays else { return nil }
            return ReelectionReminder(branch: b.id, branchName: b.name, parentOrganisation: b.parentOrganisation,
                                      termEndsOn: secretary.termEndsOn, daysLeft: days, overdue: days < 0)
        }
        .sorted { ($0.termEndsOn, $0.branch) < ($1.termEndsOn, $1.branch) }
    }
}
