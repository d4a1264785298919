import SilverLedger

/// 走访慰问的类型.
public enum VisitKind: String, Codable, Sendable, CaseIterable {
    /// 节日慰问
    case festival
    /// 生日慰问
    case birthday
    /// 住院探望
    case hospital
    /// 谈心谈话
    case heartToHeart
    /// 困难帮扶
    case hardship
    /// 定期联系
    case regularContact
}

/// 走访方式: in person, by phone or by video.
public enum VisitChannel: String, Codable, Sendable, CaseIterable {
    case inPerson, phone, video
}

/// A need found on a visit (精准服务).
public enum NeedKind: String, Codable, Sendable, CaseIterable {
    /// 就医
    case medical
    /// 居家养老
    case homeCare
    /// 紧急
    case emergency
    /// 生活困难
    case hardship
    /// 其他
    case other
}

/// A need found on a visit, to be followed up until resolved.
public struct FoundNeed: Codable, Sendable, Hashable {
    /// `<visit id>-<n>`, from 1.
    public var id: String
    public var kind: NeedKind
    public var description: String
}

/// 走访慰问: a visit logged.
public struct VisitLogged: Event, Equatable {
    public static let eventType = "VisitLogged"
    public var visit: String
    public var cadre: CadreID
    public var kind: VisitKind
    public var channel: VisitChannel
    public var visitors: [String]
    public var notes: String
    public var needs: [FoundNeed]
    public var visitedOn: LedgerDate
}

/// 跟踪落实: what was done about a need, and whether that resolved it.
public struct NeedFollowedUp: Event, Equatable {
    public static let eventType = "NeedFollowedUp"
    public var cadre: CadreID
    public var need: String
    public var action: String
    public var resolved: Bool
    public var followedUpOn: LedgerDate
}

extension VisitLogged: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.recordVisit(to: cadre, on: visitedOn, needs: needs)
    }
}

extension NeedFollowedUp: DomainEvent {
    public func apply(to state: inout DomainState) {
        if resolved { state.needs[need]?.resolvedOn = followedUpOn }
    }
}

extension DomainState {
    /// A visit to `cadre` on `date` that found `needs` (``VisitLogged``).
    mutating func recordVisit(to cadre: CadreID, on date: LedgerDate, needs: [FoundNeed]) {
        // Visits may be logged late: keep the latest date, not the latest record.
        updateCadreDetails(cadre) { $0.lastVisitedOn.keepLatest(date) }
        for need in needs { self.needs[need.id] = .init(cadre: cadre, kind: need.kind, foundOn: date) }
    }
}

/// The events of visits and care (走访慰问, 精准服务).
enum CareEvents {
    static let all: [any DomainEvent.Type] = [
        VisitLogged.self, NeedFollowedUp.self,
        CarePlanCreated.self, HardshipAssistanceRecorded.self, HomeCareServiceRecorded.self, HomeAdaptationRecorded.self,
    ]
}
