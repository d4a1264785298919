import SilverLedger

extension Rules {
    /// The branch was established by `date` and not dissolved.
    static func activeBranch(_ id: BranchID, on date: LedgerDate, in state: DomainState) throws(DomainError) -> BranchRecord {
        guard let branch = state.branches[id] else {
            throw DomainError(.unknownBranch, english: "branch \(id) was never established", chinese: "党支部\(id)未成立",
                              values: ["branch": id.rawValue])
        }
        guard date >= branch.establishedOn else {
            throw DomainError(.dateBeforeExistence,
                              english: "\(date) is before branch \(id) was established (\(branch.establishedOn))",
                              chinese: "日期\(date)早于党支部\(id)成立日期（\(branch.establishedOn)）",
                              values: ["branch": id.rawValue, "date": "\(date)", "establishedOn": "\(branch.establishedOn)"])
        }
        if let dissolved = branch.dissolvedOn, date >= dissolved {
            throw DomainError(.branchDissolved, english: "branch \(id) was dissolved on \(dissolved) (the command is dated \(date))",
                              chinese: "党支部\(id)已于\(dissolved)撤销（指令日期\(date)）",
                              values: ["branch": id.rawValue, "date": "\(date)", "dissolvedOn": "\(dissolved)"])
        }
        return branch
    }

    /// The cadre belonged to the branch on `date`.
    static func member(_ cadre: CadreRecord, of branch: BranchID, on date: LedgerDate) throws(DomainError) {
        guard cadre.branch(on: date) == branch else {
            let actual = cadre.branch(on: date)
            throw DomainError(.notABranchMember,
                              english: "cadre \(cadre.id) was not a member of branch \(branch) on \(date)" + (actual.map { " (a member of \($0))" } ?? ""),
                              chinese: "\(date)离退休干部\(cadre.id)不是党支部\(branch)的党员" + (actual.map { "（属于\($0)）" } ?? ""),
                              values: ["cadre": cadre.id.rawValue, "branch": branch.rawValue, "date": "\(date)", "memberOf": actual?.rawValue ?? ""])
        }
    }
}

/// 成立党支部.
public struct EstablishBranch: DomainCommand, Codable {
    public var branch: BranchID
    public var name: String
    public var type: BranchType
    public var parentOrganisation: String
    public var establishedOn: LedgerDate

    public init(branch: BranchID, name: String, type: BranchType, parentOrganisation: String, establishedOn: LedgerDate) {
        self.branch = branch
        self.name = name
        self.type = type
        self.parentOrganisation = parentOrganisation
        self.establishedOn = establishedOn
    }

    public var date: LedgerDate { establishedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        guard state.branches[branch] == nil else {
            throw DomainError(.branchAlreadyEstablished, english: "branch \(branch) is already established", chinese: "党支部\(branch)已成立",
                              values: ["branch": branch.rawValue])
        }
        try Rules.nonEmpty(branch.rawValue, "branch id", "支部编号")
        try Rules.nonEmpty(name, "name", "支部名称")
        try Rules.nonEmpty(parentOrganisation, "parent organisation", "上级党组织")
        try Rules.notInFuture(establishedOn, today: today, "the establishment", "成立")
        return [StreamWrite(stream: branch.stream, expectedVersion: .noStream, events: [
            BranchEstablished(branch: branch, name: name, kind: type, parentOrganisation: parentOrganisation, establishedOn: establishedOn),
        ])]
    }
}

/// 党员加入支部: a party member in no branch joins one.
public struct AddMember: DomainCommand, Codable {
    public var branch: BranchID
    public var cadre: CadreID
    public var addedOn: LedgerDate

    public init(branch: BranchID, cadre: CadreID, addedOn: LedgerDate) {
        self.branch = branch
        self.cadre = cadre
        self.addedOn = addedOn
    }

    public var date: LedgerDate { addedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(addedOn, today: today, "joining the branch", "加入支部")
        _ = try Rules.activeBranch(branch, on: addedOn, in: state)
        let record = try Rules.livingCadre(cadre, on: addedOn, in: state)
        try Joining.check(record, joining: branch, on: addedOn)
        return [StreamWrite(stream: branch.stream, events: [MemberAdded(branch: branch, cadre: cadre, addedOn: addedOn)])]
    }
}

/// 党员离开支部.
public struct RemoveMember: DomainCommand, Codable {
    public var branch: BranchID
    public var cadre: CadreID
    public var reason: String
    public var removedOn: LedgerDate

    public init(branch: BranchID, cadre: CadreID, reason: String, removedOn: LedgerDate) {
        self.branch = branch
        self.cadre = cadre
        self.reason = reason
        self.removedOn = removedOn
    }

    public var date: LedgerDate { removedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(removedOn, today: today, "leaving the branch", "离开支部")
        try Rules.nonEmpty(reason, "reason", "原因")
        _ = try Rules.activeBranch(branch, on: removedOn, in: state)
        let record = try Rules.livingCadre(cadre, on: removedOn, in: state)
        try Leaving.check(record, leaving: branch, on: removedOn)
        return [StreamWrite(stream: branch.stream, events: [MemberRemoved(branch: branch, cadre: cadre, reason: reason, removedOn: removedOn)])]
    }
}

/// 组织关系转接: a member moves to another branch, in one event.
public struct TransferMember: DomainCommand, Codable {
    public var cadre: CadreID
    public var from: BranchID
    public var to: BranchID
    public var transferredOn: LedgerDate

    public init(cadre: CadreID, from: BranchID, to: BranchID, transferredOn: LedgerDate) {
        self.cadre = cadre
        self.from = from
        self.to = to
        self.transferredOn = transferredOn
    }

    public var date: LedgerDate { transferredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(transferredOn, today: today, "the transfer", "转接")
        guard from != to else {
            throw DomainError(.invalidValue, english: "a transfer must go to another branch (both are \(from))",
                              chinese: "转接的转出与转入支部相同（\(from)）", values: ["branch": from.rawValue])
        }
        _ = try Rules.activeBranch(from, on: transferredOn, in: state)
        _ = try Rules.activeBranch(to, on: transferredOn, in: state)
        let record = try Rules.livingCadre(cadre, on: transferredOn, in: state)
        try Leaving.check(record, leaving: from, on: transferredOn)
        return [StreamWrite(stream: to.stream, events: [MemberTransferred(cadre: cadre, from: from, to: to, transferredOn: transferredOn)])]
    }
}

/// 选举书记、副书记、委员: valid only if the voters present exceed 4/5 of those
/// entitled and the winner's votes exceed half of those present; the winner is
/// a member of the branch on the election date.
public struct ElectOfficer: DomainCommand, Codable {
    /// The default term: 3 years.
    public static let defaultTermYears = 3

    public var branch: BranchID
    public var role: BranchRole
    public var cadre: CadreID
    public var electedOn: LedgerDate
    public var termYears: Int
    public var entitled: Int
    public var present: Int
    public var votesFor: Int

    public init(branch: BranchID, role: BranchRole, cadre: CadreID, electedOn: LedgerDate, termYears: Int = ElectOfficer.defaultTermYears,
                entitled: Int, present: Int, votesFor: Int) {
        self.branch = branch
        self.role = role
        self.cadre = cadre
        self.electedOn = electedOn
        self.termYears = termYears
        self.entitled = entitled
        self.present = present
        self.votesFor = votesFor
    }

    public var date: LedgerDate { electedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(electedOn, today: today, "the election", "选举")
        guard (1...10).contains(termYears) else {
            throw DomainError(.invalidValue, english: "a term of \(termYears) years is out of range (1 to 10)",
                              chinese: "任期\(termYears)年超出范围（1至10年）", values: ["termYears": "\(termYears)"])
        }
        guard entitled >= 1, present >= 0, present <= entitled, votesFor >= 0, votesFor <= present else {
            throw DomainError(.electionCounts,
                              english: "impossible counts: \(entitled) entitled, \(present) present, \(votesFor) votes for (need 1 ≤ entitled, present ≤ entitled, votes ≤ present)",
                              chinese: "票数不合理：应到\(entitled)人，实到\(present)人，赞成\(votesFor)票（须应到≥1，实到≤应到，赞成≤实到）",
                              values: ["entitled": "\(entitled)", "present": "\(present)", "votesFor": "\(votesFor)"])
        }
        // Integers: present > 4/5 × entitled ⇔ 5 × present > 4 × entitled.
        guard 5 * present > 4 * entitled else {
            throw DomainError(.electionQuorum,
                              english: "\(present) of \(entitled) entitled voters present; more than 4/5 must be present: the election is not valid",
                              chinese: "应到\(entitled)人，实到\(present)人，未超过应到人数的五分之四，选举无效",
                              values: ["entitled": "\(entitled)", "present": "\(present)"])
        }
        guard 2 * votesFor > present else {
            throw DomainError(.electionMajority,
                              english: "\(votesFor) votes of \(present) present; more than half are needed to be elected",
                              chinese: "实到\(present)人，得票\(votesFor)票，未超过实到人数的半数，不能当选",
                              values: ["present": "\(present)", "votesFor": "\(votesFor)"])
        }
        _ = try Rules.activeBranch(branch, on: electedOn, in: state)
        let record = try Rules.livingCadre(cadre, on: electedOn, in: state)
        try Rules.member(record, of: branch, on: electedOn)
        return [StreamWrite(stream: branch.stream, events: [
            OfficerElected(branch: branch, role: role, cadre: cadre, electedOn: electedOn, termYears: termYears,
                           entitled: entitled, present: present, votesFor: votesFor),
        ])]
    }
}

/// 撤销党支部: only a branch with no members left.
public struct DissolveBranch: DomainCommand, Codable {
    public var branch: BranchID
    public var dissolvedOn: LedgerDate

    public init(branch: BranchID, dissolvedOn: LedgerDate) {
        self.branch = branch
        self.dissolvedOn = dissolvedOn
    }

    public var date: LedgerDate { dissolvedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(dissolvedOn, today: today, "the dissolution", "撤销")
        let record = try Rules.activeBranch(branch, on: dissolvedOn, in: state)
        guard record.members.isEmpty else {
            throw DomainError(.branchHasMembers,
                              english: "branch \(branch) still has \(record.members.count) members (\(record.members.sorted().prefix(5).map(\.rawValue).joined(separator: ", "))); move or remove them first",
                              chinese: "党支部\(branch)仍有\(record.members.count)名党员，须先转出或移除",
                              values: ["branch": branch.rawValue, "members": "\(record.members.count)"])
        }
        return [StreamWrite(stream: branch.stream, events: [BranchDissolved(branch: branch, dissolvedOn: dissolvedOn)])]
    }
}

/// A party member joins a branch: in no branch now, and not before their last stint ended.
enum Joining {
    static func check(_ cadre: CadreRecord, joining branch: BranchID, on date: LedgerDate) throws(DomainError) {
        _ = try Rules.partyMember(cadre, on: date, "branches are of party members", "不能加入党支部")
        if let current = cadre.currentBranch {
            throw DomainError(.alreadyInABranch,
                              english: "cadre \(cadre.id) is already a member of branch \(current); a member belongs to one branch at a time (move with a transfer)",
                              chinese: "离退休干部\(cadre.id)已是党支部\(current)的党员，同一时间只能属于一个支部（请办理转接）",
                              values: ["cadre": cadre.id.rawValue, "branch": branch.rawValue, "memberOf": current.rawValue])
        }
        if let last = cadre.branchStints.last, let until = last.until, date < until {
            throw DomainError(.alreadyInABranch,
                              english: "cadre \(cadre.id) was a member of branch \(last.branch) until \(until); joining on \(date) would overlap",
                              chinese: "离退休干部\(cadre.id)在\(until)前属于党支部\(last.branch)，\(date)加入将与之重叠",
                              values: ["cadre": cadre.id.rawValue, "memberOf": last.branch.rawValue, "until": "\(until)", "date": "\(date)"])
        }
    }
}

/// A member leaves a branch: a member of it now, since before the date.
enum Leaving {
    static func check(_ cadre: CadreRecord, leaving branch: BranchID, on date: LedgerDate) throws(DomainError) {
        guard let last = cadre.branchStints.last, last.until == nil, last.branch == branch else {
            throw DomainError(.notABranchMember,
                              english: "cadre \(cadre.id) is not a member of branch \(branch)" + (cadre.currentBranch.map { " (a member of \($0))" } ?? ""),
                              chinese: "离退休干部\(cadre.id)不是党支部\(branch)的党员",
                              values: ["cadre": cadre.id.rawValue, "branch": branch.rawValue, "memberOf": cadre.currentBranch?.rawValue ?? ""])
        }
        guard date > last.from else {
            throw DomainError(.invalidDates,
                              english: "cadre \(cadre.id) joined branch \(branch) on \(last.from); leaving on \(date) must come after",
                              chinese: "离退休干部\(cadre.id)于\(last.from)加入党支部\(branch)，离开日期\(date)须晚于该日",
                              values: ["cadre": cadre.id.rawValue, "from": "\(last.from)", "date": "\(date)"])
        }
    }
}
