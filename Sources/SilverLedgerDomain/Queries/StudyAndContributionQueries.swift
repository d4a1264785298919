import SilverLedger

/// 7. A cadre's study hours in a year.
public struct StudyHours: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var year: Int
    public var hours: Double
}

/// 7. A branch's attendance at its meetings in a year: attendances over attendances and absences.
public struct BranchAttendance: Codable, Sendable, Hashable {
    public var branch: BranchID
    public var year: Int
    public var attendances: Int
    public var absences: Int
    /// nil when no meeting named anyone.
    public var rate: Double?
}

/// 10. A talent found by expertise.
public struct TalentMatch: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var expertise: [String]
}

/// 10. Volunteer hours of a person in each team.
public struct VolunteerHours: Codable, Sendable, Hashable {
    public var cadre: CadreID
    public var name: String
    public var hoursByTeam: [String: Double]
    public var totalHours: Double
}

extension LedgerView {
    /// 7. Study hours per cadre in `year`, most hours first (cadres with none are not listed).
    public func studyHours(in year: Int) -> [StudyHours] {
        state.study.hours.compactMap { id, years -> StudyHours? in
            guard let entry = years.first(where: { $0.year == year }) else { return nil }
            return StudyHours(cadre: id, name: state.cadres[id]?.name ?? "", year: year, hours: entry.hours)
        }
        .sorted { (-$0.hours, $0.cadre) < (-$1.hours, $1.cadre) }
    }

    /// 7. Meeting attendance rate per branch in `year`, by branch id.
    public func attendance(in year: Int) -> [BranchAttendance] {
        state.organisationalLife.meetingsByMonth.map { branch, monthly -> BranchAttendance in
            var attended = 0, absent = 0
            for month in 1...12 {
                let counts = monthly.counts(in: year, month: month)
                attended += Int(counts.attendances)
                absent += Int(counts.absences)
            }
            let total = attended + absent
            return BranchAttendance(branch: branch, year: year, attendances: attended, absences: absent,
                                    rate: total == 0 ? nil : Double(attended) / Double(total))
        }
        .filter { $0.attendances + $0.absences > 0 }
        .sorted { $0.branch < $1.branch }
    }

    /// 7. The average quiz score of a cadre (all quizzes), or of everyone in a year.
    public func quizAverage(of cadre: CadreID) -> Double? { state.study.quizByCadre[cadre]?.average }
    public func quizAverage(in year: Int) -> Double? { state.study.quizByYear[year]?.average }

    /// 10. Registered talent whose expertise contains `text` (case-insensitive), by id.
    public func talent(matching text: String) -> [TalentMatch] {
        let needle = text.lowercased()
        return state.contribution.talent.compactMap { id, tags -> TalentMatch? in
            guard tags.contains(where: { $0.lowercased().contains(needle) }) else { return nil }
            return TalentMatch(cadre: id, name: state.cadres[id]?.name ?? "", expertise: tags)
        }
        .sorted { $0.cadre < $1.cadre }
    }

    /// 10. Volunteer hours per person (and team), most first.
    public func volunteerHours() -> [VolunteerHours] {
        state.contribution.personHours.map { id, teams in
            VolunteerHours(cadre: id, name: state.cadres[id]?.name ?? "", hoursByTeam: teams, totalHours: teams.values.reduce(0, +))
        }
        .sorted { (-$0.totalHours, $0.cadre) < (-$1.totalHours, $1.cadre) }
    }

    /// 10. Volunteer hours per team (each participant's hours added), by team id.
    public func volunteerHoursByTeam() -> [String: Double] { state.contribution.teamHours }
}
