import SilverLedger

/// 5. A cadre not visited within the period.
public struct UnvisitedCadre: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var category: CadreCategory
    public var relocated: Bool
    public var lastVisitedOn: LedgerDate?
    /// Days since the last visit, or since registration if never visited.
    public var daysWithoutVisit: Int
}

/// 5. A need found on a visit and not yet resolved.
public struct OpenNeed: Codable, Sendable, Hashable {
    public var need: String
    public var cadre: CadreID
    public var kind: NeedKind
    public var foundOn: LedgerDate
    public var daysOpen: Int
}

extension LedgerView {
    /// 5. Living cadres not visited in the `days` (default 90) before `date`:
    /// lixiu and relocated (易地安置) cadres first, then the longest without a visit, then by id.
    public func unvisited(on date: LedgerDate, days: Int = 90) -> [UnvisitedCadre] {
        state.cadres.values.compactMap { c -> UnvisitedCadre? in
            guard c.isAlive(on: date), c.registeredOn <= date else { return nil }
            let since = c.lastVisitedOn ?? c.registeredOn
            let gap = since.days(to: date)
            guard c.lastVisitedOn == nil ? gap >= days : gap > days else { return nil }
            return UnvisitedCadre(cadre: c.id, name: c.name, category: c.category, relocated: c.relocated,
                                  lastVisitedOn: c.lastVisitedOn, daysWithoutVisit: gap)
        }
        .sorted {
            func first(_ u: UnvisitedCadre) -> Int { u.category == .lixiu || u.relocated ? 0 : 1 }
            return (first($0), -$0.daysWithoutVisit, $0.cadre) < (first($1), -$1.daysWithoutVisit, $1.cadre)
        }
    }

    /// 5. Needs found on visits and not yet resolved on `date`, oldest first.
    public func openNeeds(on date: LedgerDate) -> [OpenNeed] {
        state.needs.compactMap { id, n -> OpenNeed? in
            guard n.resolvedOn == nil, n.foundOn <= date else { return nil }
            return OpenNeed(need: id, cadre: n.cadre, kind: n.kind, foundOn: n.foundOn, daysOpen: n.foundOn.days(to: date))
        }
        .sorted { ($0.foundOn, $0.need) < ($1.foundOn, $1.need) }
    }
}
