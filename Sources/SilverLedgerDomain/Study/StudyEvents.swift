import SilverLedger

/// 学习形式.
public enum StudyFormat: String, Codable, Sendable, CaseIterable {
    /// 集中培训
    case centralTraining
    /// 专题辅导
    case thematicTutorial
    /// 支部学习
    case branchStudy
    /// 上门送学
    case studyAtHome
    /// 流动党校
    case mobilePartySchool
    /// 网上报告会
    case onlineLecture
    /// 读书班
    case readingClass
    /// 示范培训班
    case demonstrationTraining
}

/// 学习: a study session and who attended it.
public struct StudySessionRecorded: Event, Equatable {
    public static let eventType = "StudySessionRecorded"
    public var session: String
    public var organiser: String
    public var format: StudyFormat
    public var topic: String
    public var heldOn: LedgerDate
    /// Hours on that day: more than 0, at most 24.
    public var hours: Double
    public var attendees: [CadreID]
}

/// 党规党纪知识线上竞答: a cadre's quiz score (0-100).
public struct QuizResultRecorded: Event, Equatable {
    public static let eventType = "QuizResultRecorded"
    public var cadre: CadreID
    public var quiz: String
    public var score: Int
    public var takenOn: LedgerDate
}

extension StudySessionRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

extension QuizResultRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

/// The events of study (学习).
enum StudyEvents {
    static let all: [any DomainEvent.Type] = [StudySessionRecorded.self, QuizResultRecorded.self]
}
