import SilverLedger

/// What the rules of contribution (作用发挥) need to know: the volunteer teams
/// and who joined them when. Talent tags, workstations, studios and lectures
/// are not kept here (no rule looks them up; their ids are checked by their
/// streams), so the state stays small for a province's 300,000 cadres.
public struct ContributionState: Codable, Sendable, Hashable {
    /// A volunteer team (志愿服务队) and its members.
    public struct VolunteerTeam: Codable, Sendable, Hashable {
        public var formedOn: LedgerDate
        /// Each member and the date they joined.
        public var members: [CadreID: LedgerDate] = [:]
    }

    /// 先进集体 honours of a branch, by branch, title, level and year (the once-only rule).
    public struct CollectiveHonour: Codable, Sendable, Hashable {
        public var branch: BranchID
        public var honour: HonourKey
    }

    /// Volunteer teams by id.
    public var teams: [String: VolunteerTeam] = [:]
    /// 银发人才库: each registered cadre's expertise tags (the latest registration).
    public var talent: [CadreID: [String]] = [:]
    /// Volunteer hours per team, and per person and team (志愿服务时长).
    public var teamHours: [String: Double] = [:]
    public var personHours: [CadreID: [String: Double]] = [:]
    /// The 先进集体 honours recorded for branches. Kept here rather than in the
    /// branch's record, which belongs to the branches' group.
    public var collectiveHonours: Set<CollectiveHonour> = []

    public init() {}
}

/// 银发人才库: a cadre's expertise registered; registering again replaces the tags.
public struct TalentRegistered: Event, Equatable {
    public static let eventType = "TalentRegistered"
    public var cadre: CadreID
    /// Expertise tags (专长), at least one, trimmed, no two alike.
    public var expertise: [String]
    public var registeredOn: LedgerDate
}

/// 银发人才工作站: a talent workstation established at a unit.
public struct WorkstationEstablished: Event, Equatable {
    public static let eventType = "WorkstationEstablished"
    public var workstation: String
    public var unit: String
    public var establishedOn: LedgerDate
}

/// 志愿服务队: a volunteer team formed.
public struct VolunteerTeamFormed: Event, Equatable {
    public static let eventType = "VolunteerTeamFormed"
    public var team: String
    public var name: String
    public var formedOn: LedgerDate
}

/// A cadre joins a volunteer team.
public struct VolunteerTeamJoined: Event, Equatable {
    public static let eventType = "VolunteerTeamJoined"
    public var team: String
    public var cadre: CadreID
    public var joinedOn: LedgerDate
}

/// 志愿服务: a team's service, who took part and for how many hours (each participant's hours).
public struct VolunteerServiceRecorded: Event, Equatable {
    public static let eventType = "VolunteerServiceRecorded"
    public var team: String
    public var participants: [CadreID]
    public var activity: String
    public var servedOn: LedgerDate
    /// Hours each participant served that day: more than 0, at most 24.
    public var hours: Double
}

/// 老党员工作室: an old party member studio established, led by a party member.
public struct StudioEstablished: Event, Equatable {
    public static let eventType = "StudioEstablished"
    public var studio: String
    public var name: String
    public var lead: CadreID
    public var establishedOn: LedgerDate
}

/// 银发宣讲微讲堂: a lecture given by a cadre.
public struct LectureRecorded: Event, Equatable {
    public static let eventType = "LectureRecorded"
    public var lecture: String
    public var speaker: CadreID
    public var topic: String
    /// How many attended (≥ 0).
    public var audience: Int
    public var heldOn: LedgerDate
}

extension TalentRegistered: DomainEvent {
    public func apply(to state: inout DomainState) { state.contribution.talent[cadre] = expertise }
}

extension WorkstationEstablished: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

extension VolunteerTeamFormed: DomainEvent {
    public func apply(to state: inout DomainState) {
        if state.contribution.teams[team] == nil { state.contribution.teams[team] = .init(formedOn: formedOn) }
    }
}

extension VolunteerTeamJoined: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.contribution.teams[team]?.members[cadre] = joinedOn
    }
}

extension VolunteerServiceRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.contribution.teamHours[team, default: 0] += hours * Double(participants.count)
        for cadre in participants { state.contribution.personHours[cadre, default: [:]][team, default: 0] += hours }
    }
}

extension StudioEstablished: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

extension LectureRecorded: DomainEvent {
    public func apply(to state: inout DomainState) {}
}

/// The events of contribution (作用发挥).
enum ContributionEvents {
    static let all: [any DomainEvent.Type] = [
        TalentRegistered.self, WorkstationEstablished.self, VolunteerTeamFormed.self, VolunteerTeamJoined.self,
        VolunteerServiceRecorded.self, StudioEstablished.self, LectureRecorded.self,
    ]
}
