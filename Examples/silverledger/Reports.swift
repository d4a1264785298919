import Foundation
import SilverLedger
import SilverLedgerDomain

/// The answers of DOMAIN.md's twelve questions as tables, for `query` and `demo`.
enum Reports {
    static func yesNo(_ b: Bool) -> String { b ? "yes" : "no" }
    static func date(_ d: LedgerDate?) -> String { d?.description ?? "-" }
    static func hours(_ h: Double) -> String { h == h.rounded() ? String(Int(h)) : String(format: "%.1f", h) }

    /// Shows the first `limit` rows of a long list, and says how many were left out.
    static func limited(_ table: Table, limit: Int?) -> String {
        guard let limit, table.rows.count > limit else { return table.render() }
        var shown = table
        shown.rows = Array(table.rows.prefix(limit))
        return shown.render() + "\n" + Terminal.dim("… and \(grouped(table.rows.count - limit)) more (--limit 0 shows all)")
    }

    static func profile(_ p: CadreProfile) -> String {
        var t = Table(["profile", p.cadre.rawValue])
        t.add(["name 姓名", p.name])
        t.add(["category 类别", "\(p.category.chinese) \(p.category.rawValue)"])
        t.add(["born 出生", p.birthDate.description])
        t.add(["former level / unit 原职级/单位", "\(p.formerLevel.rawValue) · \(p.formerUnit)"])
        t.add(["retired 离退休", p.retiredOn.description])
        t.add(["residence 居住地", p.residence])
        t.add(["joined party 入党", date(p.joinedPartyOn)])
        t.add(["full member 转正", date(p.fullMemberOn)])
        t.add(["party standing 党龄", p.partyStandingYears.map { "\($0) years on \(p.on)" } ?? "not a party member"])
        t.add(["branch 支部", p.branch?.rawValue ?? "-"])
        t.add(["died 逝世", date(p.diedOn)])
        t.add(["光荣在党50年", date(p.medal50AwardedOn)])
        t.add(["last visited 最近走访", date(p.lastVisitedOn)])
        return t.render()
    }

    static func leadership(_ list: [BranchLeadership], limit: Int?) -> String {
        var t = Table(["branch", "name 支部", "secretary 书记", "deputies 副书记", "committee 委员", "liaison 联络员", "term ends 届满"])
        for l in list {
            t.add([l.branch.rawValue, l.name, l.secretary.map { "\($0.name) (\($0.cadre))" } ?? "vacant 空缺",
                   l.deputies.map(\.name).joined(separator: "、"), l.committee.map(\.name).joined(separator: "、"),
                   l.liaison.map { "\($0.name) · \($0.unit)" } ?? "-", date(l.termEndsOn)])
        }
        return limited(t, limit: limit)
    }

    static func reelection(_ list: [ReelectionReminder], on day: LedgerDate, leadDays: Int, limit: Int?) -> String {
        let overdue = list.filter(\.overdue).count
        var t = Table(["branch", "name 支部", "parent 上级党组织", "term ends 届满", "days left"], rightAligned: [4])
        for r in list {
            t.add([r.branch.rawValue, r.branchName, r.parentOrganisation, r.termEndsOn.description,
                   r.overdue ? Terminal.red("overdue \(-r.daysLeft)") : String(r.daysLeft)])
        }
        return "按期换届双提醒 on \(day), lead \(leadDays) days: \(list.count) branches (\(overdue) overdue), "
            + "each reminder to the branch and its parent organisation\n" + limited(t, limit: limit)
    }

    static func medals(_ candidates: [MedalCandidate], by day: LedgerDate, perYear: [Int: Int], limit: Int?) -> String {
        var t = Table(["cadre", "name 姓名", "full member 转正", "50 years on", "branch"])
        for c in candidates { t.add([c.cadre.rawValue, c.name, c.fullMemberOn.description, c.reachesFiftyOn.description, c.branch?.rawValue ?? "-"]) }
        let awarded = perYear.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return "“光荣在党50年” eligible by \(day) and not yet awarded: \(candidates.count)\n" + limited(t, limit: limit)
            + "\nawarded per year: " + (awarded.isEmpty ? "none" : awarded)
    }

    static func visits(_ unvisited: [UnvisitedCadre], _ needs: [OpenNeed], on day: LedgerDate, days: Int, limit: Int?) -> String {
        let priority = unvisited.filter { $0.category == .lixiu || $0.relocated }.count
        var t = Table(["cadre", "name 姓名", "category", "relocated 易地", "last visit", "days"], rightAligned: [5])
        for u in unvisited {
            t.add([u.cadre.rawValue, u.name, u.category.chinese, u.relocated ? "yes" : "", date(u.lastVisitedOn), grouped(u.daysWithoutVisit)])
        }
        var n = Table(["need", "cadre", "kind", "found on", "days open"], rightAligned: [4])
        for o in needs { n.add([o.need, o.cadre.rawValue, o.kind.rawValue, o.foundOn.description, grouped(o.daysOpen)]) }
        return "not visited in the \(days) days before \(day): \(grouped(unvisited.count)) living cadres (\(priority) lixiu or relocated, listed first)\n"
            + limited(t, limit: limit) + "\n\nopen needs not yet followed up: \(needs.count)\n" + limited(n, limit: limit)
    }

    static func compliance(_ list: [QuarterCompliance], year: Int, quarter: Int, limit: Int?) -> String {
        let short = list.filter { !$0.compliant }
        var t = Table(["branch", "general 大会", "lectures 党课", "committee 支委会/月", "group 小组会/月", "short of 不足"])
        for c in short {
            t.add([c.branch.rawValue, String(c.generalMeetings), String(c.partyLectures),
                   c.committeeMeetingsPerMonth.map(String.init).joined(separator: " "), c.groupMeetingsPerMonth.map(String.init).joined(separator: " "),
                   c.shortfalls.map { s in
                       s.monthsMissing.isEmpty ? "\(s.kind.rawValue) \(s.held)/\(s.required)"
                           : "\(s.kind.rawValue) months \(s.monthsMissing.map(String.init).joined(separator: ","))"
                   }.joined(separator: "; ")])
        }
        return "“三会一课” \(year) Q\(quarter): \(list.count - short.count) of \(list.count) branches compliant, \(short.count) short\n"
            + (short.isEmpty ? "" : limited(t, limit: limit))
    }

    static func study(_ hours: [StudyHours], _ attendance: [BranchAttendance], quizAverage: Double?, year: Int, limit: Int?) -> String {
        var h = Table(["cadre", "name 姓名", "hours 学时"], rightAligned: [2])
        for s in hours { h.add([s.cadre.rawValue, s.name, Self.hours(s.hours)]) }
        var a = Table(["branch", "attended", "absent", "rate 出勤率"], rightAligned: [1, 2, 3])
        for b in attendance { a.add([b.branch.rawValue, grouped(b.attendances), grouped(b.absences), b.rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"]) }
        return "study hours \(year): \(hours.count) cadres\n" + limited(h, limit: limit)
            + "\n\nmeeting attendance per branch \(year):\n" + limited(a, limit: limit)
            + "\n\nquiz average \(year): " + (quizAverage.map { String(format: "%.1f", $0) } ?? "no quizzes")
    }

    static func mobile(_ list: [MemberAway], limit: Int?) -> String {
        var t = Table(["cadre", "name 姓名", "home branch 流出支部", "destination 流入地", "since", "receiving 流入党组织"])
        for m in list { t.add([m.cadre.rawValue, m.name, m.homeBranch.rawValue, m.destination, m.since.description, m.receivingOrganisation ?? "not yet accepted 待接收"]) }
        return "流动党员 away now: \(list.count)\n" + limited(t, limit: limit)
    }

    static func demonstration(_ list: [DemonstrationStatus], on day: LedgerDate, limit: Int?) -> String {
        var t = Table(["branch", "name 支部", "level", "batch 批次", "designated", "review due 复审", ""])
        for d in list {
            t.add([d.branch.rawValue, d.name, d.level.rawValue, d.batch, d.designatedOn.description, d.reviewDueOn.description,
                   d.overdue ? Terminal.red("overdue") : ""])
        }
        return "示范党支部 on \(day): \(list.count)\n" + limited(t, limit: limit)
    }

    static func talent(_ list: [TalentMatch], matching: String, limit: Int?) -> String {
        var t = Table(["cadre", "name 姓名", "expertise 专长"])
        for m in list { t.add([m.cadre.rawValue, m.name, m.expertise.joined(separator: "、")]) }
        return "talent matching “\(matching)”: \(list.count)\n" + limited(t, limit: limit)
    }

    static func volunteers(_ list: [VolunteerHours], byTeam: [String: Double], limit: Int?) -> String {
        var t = Table(["cadre", "name 姓名", "hours 时长", "teams"], rightAligned: [2])
        for v in list {
            t.add([v.cadre.rawValue, v.name, hours(v.totalHours), v.hoursByTeam.sorted { $0.key < $1.key }.map { "\($0.key) \(hours($0.value))" }.joined(separator: ", ")])
        }
        var teams = Table(["team 队伍", "hours"], rightAligned: [1])
        for (team, h) in byTeam.sorted(by: { $0.key < $1.key }) { teams.add([team, hours(h)]) }
        return "volunteer hours per person:\n" + limited(t, limit: limit) + "\n\nper team:\n" + limited(teams, limit: limit)
    }

    static func summary(_ s: YearSummary) -> String {
        var t = Table(["section", "records", "by type"], rightAligned: [1])
        for section in s.sections {
            t.add(["\(section.number). \(section.title)", grouped(section.total),
                   section.counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", ")])
        }
        let register = s.register.values.reduce(0, +)
        t.add(["register 台账", grouped(register), s.register.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", ")])
        return "year-end summary \(s.year) (年度工作总结, the five 聚力 sections of the plan)\n" + t.render()
    }

    static func audit(_ entries: [AuditEntry], of entity: String) -> String {
        var t = Table(["pos", "stream", "type", "business date", "operator", "command"], rightAligned: [0])
        for e in entries { t.add([grouped(e.position), e.stream, e.eventType, e.businessDate.description, e.recordedBy, e.commandID]) }
        return "audit history of \(entity): \(entries.count) events\n" + t.render()
    }
}
