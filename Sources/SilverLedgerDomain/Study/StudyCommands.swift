import SilverLedger

extension DomainError.Code {
    /// A cadre is named twice in one list (attendees, absentees, visitors).
    public static let duplicateName = DomainError.Code(rawValue: "list.duplicate")
}

/// 记录学习: a study session with its organiser, format, topic, date, hours and attendees.
///
/// Hours are more than 0 and at most 24 (one day); every attendee is a
/// registered cadre, alive on the day, named once.
public struct RecordStudySession: DomainCommand, Codable {
    public var session: String
    public var organiser: String
    public var format: StudyFormat
    public var topic: String
    public var heldOn: LedgerDate
    public var hours: Double
    public var attendees: [CadreID]

    public init(session: String, organiser: String, format: StudyFormat, topic: String, heldOn: LedgerDate, hours: Double, attendees: [CadreID]) {
        self.session = session
        self.organiser = organiser
        self.format = format
        self.topic = topic
        self.heldOn = heldOn
        self.hours = hours
        self.attendees = attendees
    }

    public var date: LedgerDate { heldOn }

    /// Sessions are their own streams: `study-<session>`.
    public var stream: String { "study-" + session }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(session, "session id", "学习编号")
        try Rules.nonEmpty(organiser, "organiser", "组织者")
        try Rules.nonEmpty(topic, "topic", "学习主题")
        try Rules.notInFuture(heldOn, today: today, "the study session", "学习")
        guard hours > 0, hours <= 24, hours.isFinite else {
            throw DomainError(.invalidValue, english: "a session of \(hours) hours is out of range (more than 0, at most 24 a day)",
                              chinese: "学习时长\(hours)小时超出范围（须大于0且每天不超过24小时）", values: ["hours": "\(hours)"])
        }
        guard !attendees.isEmpty else {
            throw DomainError(.invalidValue, english: "a study session needs at least one attendee", chinese: "学习记录须至少有一名参加人员")
        }
        // The attendees before the first one named twice are checked first, as they come.
        let repeated = Rules.firstRepeat(in: attendees)
        let attendees = self.attendees   // read by the closure instead of `self`, which it would copy
        try Rules.checkLiving(repeated ?? attendees.count, { attendees[$0] }, on: heldOn, in: state)
        if let repeated {
            let cadre = attendees[repeated]
            throw DomainError(.duplicateName, english: "attendee \(cadre) is named twice", chinese: "参加人员\(cadre)重复",
                              values: ["cadre": cadre.rawValue])
        }
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [
            StudySessionRecorded(session: session, organiser: organiser, format: format, topic: topic, heldOn: heldOn, hours: hours, attendees: attendees),
        ])]
    }
}

/// 记录竞答成绩: a quiz score from 0 to 100.
public struct RecordQuizResult: DomainCommand, Codable {
    public var cadre: CadreID
    public var quiz: String
    public var score: Int
    public var takenOn: LedgerDate

    public init(cadre: CadreID, quiz: String, score: Int, takenOn: LedgerDate) {
        self.cadre = cadre
        self.quiz = quiz
        self.score = score
        self.takenOn = takenOn
    }

    public var date: LedgerDate { takenOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(quiz, "quiz", "竞答名称")
        try Rules.notInFuture(takenOn, today: today, "the quiz", "竞答")
        guard (0...100).contains(score) else {
            throw DomainError(.invalidValue, english: "a quiz score of \(score) is out of range (0 to 100)",
                              chinese: "竞答成绩\(score)超出范围（0至100分）", values: ["score": "\(score)"])
        }
        try Rules.checkLiving(cadre, on: takenOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [QuizResultRecorded(cadre: cadre, quiz: quiz, score: score, takenOn: takenOn)])]
    }
}
