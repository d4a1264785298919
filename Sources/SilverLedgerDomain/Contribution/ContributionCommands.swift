import Foundation
import SilverLedger

extension DomainError.Code {
    /// The command names a volunteer team that was never formed.
    public static let unknownTeam = DomainError.Code(rawValue: "team.unknown")
    /// The cadre is already a member of the volunteer team.
    public static let alreadyTeamMember = DomainError.Code(rawValue: "team.alreadyMember")
    /// The cadre was not a member of the volunteer team on the date.
    public static let notATeamMember = DomainError.Code(rawValue: "team.notAMember")
}

extension Rules {
    /// The volunteer team was formed by `date`.
    static func team(_ id: String, on date: LedgerDate, in state: DomainState) throws(DomainError) -> ContributionState.VolunteerTeam {
        guard let team = state.contribution.teams[id] else {
            throw DomainError(.unknownTeam, english: "volunteer team \(id) was never formed", chinese: "志愿服务队\(id)未组建", values: ["team": id])
        }
        guard date >= team.formedOn else {
            throw DomainError(.dateBeforeExistence, english: "\(date) is before volunteer team \(id) was formed (\(team.formedOn))",
                              chinese: "日期\(date)早于志愿服务队\(id)的组建日期（\(team.formedOn)）",
                              values: ["team": id, "date": "\(date)", "formedOn": "\(team.formedOn)"])
        }
        return team
    }
}

/// 银发人才库: register a cadre's expertise; registering again replaces the tags.
///
/// At least one tag, none empty, no two alike (after trimming, ignoring case).
public struct RegisterTalent: DomainCommand, Codable {
    public var cadre: CadreID
    /// Expertise tags (专长), e.g. 水利工程, 法律咨询.
    public var expertise: [String]
    public var registeredOn: LedgerDate

    public init(cadre: CadreID, expertise: [String], registeredOn: LedgerDate) {
        self.cadre = cadre
        self.expertise = expertise
        self.registeredOn = registeredOn
    }

    public var date: LedgerDate { registeredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(registeredOn, today: today, "the talent registration", "人才库登记")
        let tags = expertise.map { $0.trimmed }
        guard !tags.isEmpty else {
            throw DomainError(.invalidValue, english: "a talent registration needs at least one expertise tag",
                              chinese: "人才库登记须至少填写一项专长", values: ["cadre": cadre.rawValue])
        }
        var seen = Set<String>()
        for tag in tags {
            try Rules.nonEmpty(tag, "expertise tag", "专长")
            guard seen.insert(tag.lowercased()).inserted else {
                throw DomainError(.duplicateName, english: "expertise tag \(tag) is given twice", chinese: "专长\(tag)重复", values: ["tag": tag])
            }
        }
        try Rules.checkLiving(cadre, on: registeredOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [TalentRegistered(cadre: cadre, expertise: tags, registeredOn: registeredOn)])]
    }
}

/// 银发人才工作站: establish a talent workstation at a unit. Stream `workstation-<id>`; an id is used once.
public struct EstablishWorkstation: DomainCommand, Codable {
    public var workstation: String
    public var unit: String
    public var establishedOn: LedgerDate

    public init(workstation: String, unit: String, establishedOn: LedgerDate) {
        self.workstation = workstation
        self.unit = unit
        self.establishedOn = establishedOn
    }

    public var date: LedgerDate { establishedOn }
    public var stream: String { "workstation-" + workstation }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(workstation, "workstation id", "工作站编号")
        try Rules.nonEmpty(unit, "unit", "所在单位")
        try Rules.notInFuture(establishedOn, today: today, "the workstation", "工作站成立")
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [
            WorkstationEstablished(workstation: workstation, unit: unit, establishedOn: establishedOn),
        ])]
    }
}

/// 组建志愿服务队: form a volunteer team. Stream `team-<id>`; an id is used once.
public struct FormVolunteerTeam: DomainCommand, Codable {
    public var team: String
    public var name: String
    public var formedOn: LedgerDate

    public init(team: String, name: String, formedOn: LedgerDate) {
        self.team = team
        self.name = name
        self.formedOn = formedOn
    }

    public var date: LedgerDate { formedOn }
    public var stream: String { "team-" + team }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(team, "team id", "服务队编号")
        try Rules.nonEmpty(name, "team name", "服务队名称")
        try Rules.notInFuture(formedOn, today: today, "the team's formation", "服务队组建")
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [VolunteerTeamFormed(team: team, name: name, formedOn: formedOn)])]
    }
}

/// 加入志愿服务队: a living cadre joins a team formed by that date, once.
public struct JoinVolunteerTeam: DomainCommand, Codable {
    public var team: String
    public var cadre: CadreID
    public var joinedOn: LedgerDate

    public init(team: String, cadre: CadreID, joinedOn: LedgerDate) {
        self.team = team
        self.cadre = cadre
        self.joinedOn = joinedOn
    }

    public var date: LedgerDate { joinedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(joinedOn, today: today, "joining the team", "加入服务队")
        let record = try Rules.team(team, on: joinedOn, in: state)
        try Rules.checkLiving(cadre, on: joinedOn, in: state)
        if let since = record.members[cadre] {
            throw DomainError(.alreadyTeamMember, english: "cadre \(cadre) has been a member of volunteer team \(team) since \(since)",
                              chinese: "离退休干部\(cadre)已于\(since)加入志愿服务队\(team)",
                              values: ["cadre": cadre.rawValue, "team": team, "joinedOn": "\(since)"])
        }
        return [StreamWrite(stream: "team-" + team, events: [VolunteerTeamJoined(team: team, cadre: cadre, joinedOn: joinedOn)])]
    }
}

/// 志愿服务: record a team's service: the participants (members of the team,
/// alive on the day, each named once), the activity and the hours (more than
/// 0, at most 24 a day).
public struct RecordVolunteerService: DomainCommand, Codable {
    public var team: String
    public var participants: [CadreID]
    public var activity: String
    public var servedOn: LedgerDate
    /// Hours each participant served that day.
    public var hours: Double

    public init(team: String, participants: [CadreID], activity: String, servedOn: LedgerDate, hours: Double) {
        self.team = team
        self.participants = participants
        self.activity = activity
        self.servedOn = servedOn
        self.hours = hours
    }

    public var date: LedgerDate { servedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(servedOn, today: today, "the volunteer service", "志愿服务")
        try Rules.nonEmpty(activity, "activity", "服务内容")
        guard hours > 0, hours <= 24, hours.isFinite else {
            throw DomainError(.invalidValue, english: "a service of \(hours) hours is out of range (more than 0, at most 24 a day)",
                              chinese: "服务时长\(hours)小时超出范围（须大于0且每天不超过24小时）", values: ["hours": "\(hours)"])
        }
        guard !participants.isEmpty else {
            throw DomainError(.invalidValue, english: "a volunteer service needs at least one participant", chinese: "志愿服务记录须至少有一名参加人员")
        }
        let record = try Rules.team(team, on: servedOn, in: state)
        var seen = Set<CadreID>()
        for cadre in participants {
            guard seen.insert(cadre).inserted else {
                throw DomainError(.duplicateName, english: "participant \(cadre) is named twice", chinese: "参加人员\(cadre)重复",
                                  values: ["cadre": cadre.rawValue])
            }
            try Rules.checkLiving(cadre, on: servedOn, in: state)
            guard let joined = record.members[cadre], joined <= servedOn else {
                let since = record.members[cadre]
                throw DomainError(.notATeamMember,
                                  english: "cadre \(cadre) was not a member of volunteer team \(team) on \(servedOn)" + (since.map { " (joined \($0))" } ?? ""),
                                  chinese: "\(servedOn)离退休干部\(cadre)不是志愿服务队\(team)的队员" + (since.map { "（\($0)加入）" } ?? ""),
                                  values: ["cadre": cadre.rawValue, "team": team, "date": "\(servedOn)", "joinedOn": since.map { "\($0)" } ?? ""])
            }
        }
        return [StreamWrite(stream: "team-" + team, events: [
            VolunteerServiceRecorded(team: team, participants: participants, activity: activity, servedOn: servedOn, hours: hours),
        ])]
    }
}

/// 老党员工作室: establish a studio led by a cadre who is a party member, alive on the date.
/// Stream `studio-<id>`; an id is used once.
public struct EstablishStudio: DomainCommand, Codable {
    public var studio: String
    public var name: String
    public var lead: CadreID
    public var establishedOn: LedgerDate

    public init(studio: String, name: String, lead: CadreID, establishedOn: LedgerDate) {
        self.studio = studio
        self.name = name
        self.lead = lead
        self.establishedOn = establishedOn
    }

    public var date: LedgerDate { establishedOn }
    public var stream: String { "studio-" + studio }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(studio, "studio id", "工作室编号")
        try Rules.nonEmpty(name, "studio name", "工作室名称")
        try Rules.notInFuture(establishedOn, today: today, "the studio", "工作室成立")
        let record = try Rules.livingCadre(lead, on: establishedOn, in: state)
        _ = try Rules.partyMember(record, on: establishedOn, "an old party member studio is led by a party member", "老党员工作室须由党员领办")
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [
            StudioEstablished(studio: studio, name: name, lead: lead, establishedOn: establishedOn),
        ])]
    }
}

/// 银发宣讲微讲堂: record a lecture by a living cadre, with its topic and audience (≥ 0).
/// Stream `lecture-<id>`; an id is used once.
public struct RecordLecture: DomainCommand, Codable {
    public var lecture: String
    public var speaker: CadreID
    public var topic: String
    public var audience: Int
    public var heldOn: LedgerDate

    public init(lecture: String, speaker: CadreID, topic: String, audience: Int, heldOn: LedgerDate) {
        self.lecture = lecture
        self.speaker = speaker
        self.topic = topic
        self.audience = audience
        self.heldOn = heldOn
    }

    public var date: LedgerDate { heldOn }
    public var stream: String { "lecture-" + lecture }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.nonEmpty(lecture, "lecture id", "宣讲编号")
        try Rules.nonEmpty(topic, "topic", "宣讲主题")
        try Rules.notInFuture(heldOn, today: today, "the lecture", "宣讲")
        guard audience >= 0 else {
            throw DomainError(.invalidValue, english: "an audience of \(audience) is negative", chinese: "听众人数\(audience)不能为负数",
                              values: ["audience": "\(audience)"])
        }
        try Rules.checkLiving(speaker, on: heldOn, in: state)
        return [StreamWrite(stream: stream, expectedVersion: .noStream, events: [
            LectureRecorded(lecture: lecture, speaker: speaker, topic: topic, audience: audience, heldOn: heldOn),
        ])]
    }
}
