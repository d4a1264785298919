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

/// What the study queries need: hours per cadre and year, quiz scores.
public struct StudyState: Codable, Sendable, Hashable {
    /// Hours of study of one cadre in one year.
    public struct YearHours: Codable, Sendable, Hashable {
        public var year: Int
        public var hours: Double
    }

    /// A running sum of quiz scores.
    public struct ScoreSum: Codable, Sendable, Hashable {
        public var total = 0
        public var count = 0
        public var average: Double? { count == 0 ? nil : Double(total) / Double(count) }
    }

    /// By cadre, the years with study hours (a few per cadre).
    public var hours: [CadreID: [YearHours]] = [:]
    /// Quiz scores by cadre, and by year.
    public var quizByCadre: [CadreID: ScoreSum] = [:]
    public var quizByYear: [Int: ScoreSum] = [:]

    public init() {}

    /// A session of `hours` on `date` attended by `cadres` (``StudySessionRecorded``).
    mutating func add(_ hours: Double, to cadres: [CadreID], on date: LedgerDate) {
        let year = date.components.year
        for cadre in cadres { add(hours, to: cadre, in: year) }
    }

    mutating func add(_ hours: Double, to cadre: CadreID, in year: Int) {
        // One lookup, the cadre's years changed in place.
        func add(to years: inout [YearHours]) {
            if let i = years.firstIndex(where: { $0.year == year }) {
                years[i].hours += hours
            } else {
                years.append(.init(year: year, hours: hours))
            }
        }
        add(to: &self.hours[cadre, default: []])
    }
}

extension StudySessionRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.study.add(hours, to: attendees, on: heldOn)
    }
}

extension QuizResultRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.study.quizByCadre[cadre, default: .init()].total += score
        state.study.quizByCadre[cadre, default: .init()].count += 1
        state.study.quizByYear[takenOn.components.year, default: .init()].total += score
        state.study.quizByYear[takenOn.components.year, default: .init()].count += 1
    }
}

/// The events of study (学习).
enum StudyEvents {
    static let all: [any DomainEvent.Type] = [StudySessionRecorded.self, QuizResultRecorded.self]
}
