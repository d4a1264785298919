import Foundation
import SilverLedger

extension DomainError.Code {
    /// A visit with this id was logged before (its needs' ids are taken).
    public static let visitAlreadyLogged = DomainError.Code(rawValue: "visit.alreadyLogged")
    /// The need does not exist, or is already resolved.
    public static let unknownNeed = DomainError.Code(rawValue: "need.unknown")
    /// The need was resolved before.
    public static let needAlreadyResolved = DomainError.Code(rawValue: "need.alreadyResolved")
}

/// 记录走访慰问: log a visit to a living cadre, with at least one visitor and the needs found.
public struct LogVisit: DomainCommand, Codable {
    /// A need as the visitor reports it.
    public struct Need: Codable, Sendable, Hashable {
        public var kind: NeedKind
        public var description: String
        public init(kind: NeedKind, description: String) {
            self.kind = kind
            self.description = description
        }
    }

    public var visit: String
    public var cadre: CadreID
    public var kind: VisitKind
    public var channel: VisitChannel
    public var visitors: [String]
    public var notes: String
    public var needs: [Need]
    public var visitedOn: LedgerDate

    public init(visit: String, cadre: CadreID, kind: VisitKind, channel: VisitChannel, visitors: [String], notes: String = "",
                needs: [Need] = [], visitedOn: LedgerDate) {
        self.visit = visit
        self.cadre = cadre
        self.kind = kind
        self.channel = channel
        self.visitors = visitors
        self.notes = notes
        self.needs = needs
        self.visitedOn = visitedOn
    }

    public var date: LedgerDate { visitedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(visit, "visit id", "走访编号")
        try Rules.notInFuture(visitedOn, today: today, "the visit", "走访")
        try Rules.checkLiving(cadre, on: visitedOn, in: state)
        // The names trimmed; the list copied only if one of them changes.
        var names = visitors
        for i in names.indices {
            let name = names[i].trimmed
            if name.utf8.count != names[i].utf8.count { names[i] = name }
        }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw DomainError(.invalidValue, english: "a visit needs at least one visitor, each named (given: \(visitors))",
                              chinese: "走访须至少有一名走访人，且须写明姓名", values: ["visitors": "\(visitors.count)"])
        }
        if let k = Rules.firstRepeat(in: names) {
            let repeated = names[k]
            throw DomainError(.duplicateName, english: "visitor \(repeated) is named twice", chinese: "走访人\(repeated)重复",
                              values: ["visitor": repeated])
        }
        for need in needs { try Rules.nonEmpty(need.description, "need description", "需求说明") }
        let found = needs.enumerated().map { FoundNeed(id: "\(visit)-\($0.offset + 1)", kind: $0.element.kind, description: $0.element.description) }
        if let taken = found.first(where: { state.needs[$0.id] != nil }) {
            throw DomainError(.visitAlreadyLogged, english: "visit \(visit) is already logged (its need \(taken.id) exists)",
                              chinese: "走访记录\(visit)已存在（需求\(taken.id)已登记）", values: ["visit": visit, "need": taken.id])
        }
        return [StreamWrite(stream: cadre.stream, events: [
            VisitLogged(visit: visit, cadre: cadre, kind: kind, channel: channel, visitors: names, notes: notes, needs: found, visitedOn: visitedOn),
        ])]
    }
}

/// 跟踪落实需求: record what was done about an open need; `resolved` closes it.
public struct FollowUpNeed: DomainCommand, Codable {
    public var need: String
    public var action: String
    public var resolved: Bool
    public var followedUpOn: LedgerDate

    public init(need: String, action: String, resolved: Bool, followedUpOn: LedgerDate) {
        self.need = need
        self.action = action
        self.resolved = resolved
        self.followedUpOn = followedUpOn
    }

    public var date: LedgerDate { followedUpOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        guard let open = state.needs[need] else {
            throw DomainError(.unknownNeed, english: "no visit found need \(need)", chinese: "没有编号为\(need)的走访需求", values: ["need": need])
        }
        if let resolvedOn = open.resolvedOn {
            throw DomainError(.needAlreadyResolved, english: "need \(need) was resolved on \(resolvedOn)",
                              chinese: "需求\(need)已于\(resolvedOn)落实", values: ["need": need, "resolvedOn": "\(resolvedOn)"])
        }
        try Rules.notInFuture(followedUpOn, today: today, "the follow-up", "跟踪落实")
        try Rules.nonEmpty(action, "action", "落实措施")
        try Rules.ordered(open.foundOn, "the visit that found the need", "发现需求的走访日期", followedUpOn, "the follow-up", "跟踪日期")
        return [StreamWrite(stream: open.cadre.stream, events: [
            NeedFollowedUp(cadre: open.cadre, need: need, action: action, resolved: resolved, followedUpOn: followedUpOn),
        ])]
    }
}
