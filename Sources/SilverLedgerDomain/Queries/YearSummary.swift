import SilverLedger

/// 11. A year's records counted per section of the work plan (the five "聚力"
/// sections), by event type; the register's own records apart.
public struct YearSummary: Codable, Sendable, Hashable {
    /// One section of the plan and its records.
    public struct Section: Codable, Sendable, Hashable {
        /// 1 to 5, as numbered in the plan.
        public var number: Int
        public var title: String
        /// Events of each type dated in the year.
        public var counts: [String: Int]
        public var total: Int
    }

    public var year: Int
    public var sections: [Section]
    /// The register's records (registrations, membership, deaths, changes), which belong to no one section.
    public var register: [String: Int]

    /// The plan's sections and the event types counted under each. Section 5
    /// (the bureau's own staff) keeps no records in the ledger.
    public static let plan: [(number: Int, title: String, types: Set<String>)] = [
        (1, "聚力凝心铸魂，强化思想政治引领",
         ["StudySessionRecorded", "QuizResultRecorded"]),
        (2, "聚力强基固本，强化基层组织建设",
         ["BranchEstablished", "MemberAdded", "MemberRemoved", "MemberTransferred", "OfficerElected", "BranchDissolved",
          "LiaisonAppointed", "DemonstrationDesignated", "DemonstrationReviewed", "BrandRegistered",
          "MeetingRecorded", "StudyDeliveredAtHome", "DemocraticEvaluationRecorded",
          "OutflowRegistered", "InflowAccepted", "MobileMemberReturned"]),
        (3, "聚力中心大局，强化优势作用发挥",
         ["TalentRegistered", "WorkstationEstablished", "VolunteerTeamFormed", "VolunteerTeamJoined", "VolunteerServiceRecorded",
          "StudioEstablished", "LectureRecorded", "HonourRecorded"]),
        (4, "聚力精准提优，强化服务保障工作",
         ["VisitLogged", "NeedFollowedUp", "CarePlanCreated", "HardshipAssistanceRecorded", "HomeCareServiceRecorded",
          "HomeAdaptationRecorded", "Medal50Awarded", "PoliticalBirthdayRecorded"]),
        (5, "聚力赋能提升，强化部门自身建设", []),
    ]
}

extension LedgerView {
    /// 11. The records dated in `year`, per section of the plan.
    public func yearSummary(_ year: Int) -> YearSummary {
        let counts = state.eventsPerYear[year] ?? [:]
        var placed = Set<String>()
        let sections = YearSummary.plan.map { section -> YearSummary.Section in
            let own = counts.filter { section.types.contains($0.key) }
            placed.formUnion(own.keys)
            return .init(number: section.number, title: section.title, counts: own, total: own.values.reduce(0, +))
        }
        return YearSummary(year: year, sections: sections, register: counts.filter { !placed.contains($0.key) })
    }
}
