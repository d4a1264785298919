import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// The story "a branch through two terms with a by-election after a
/// secretary's death" (一个支部的两届任期，书记去世后补选), told as commands:
///
/// - 2018: branch B0052 established, seven party members join.
/// - 2021-06-18, 换届: the general meeting (6 of 7 present) elects the
///   committee 赵德明, 钱秀英, 孙立华; the committee elects 赵德明 secretary.
///   The term ends on 2024-06-18.
/// - 2022-03-27: 赵德明 dies (recorded 2022-03-29); his offices are vacated.
/// - 2022-06-18, 补选: the general meeting (5 of 6 present, 冯玉兰 in
///   hospital) elects 李国强 to the committee; the committee elects 钱秀英
///   secretary. A by-elected officer serves the rest of the term (补选的任期与
///   本届相同): the ledger counts terms in whole years from the election, so
///   the by-election, held on the term's anniversary, gives 2 years, ending
///   with the term on 2024-06-18.
/// - 2023-09-01: 王桂芳 joins the branch.
/// - 2024-06-18, 换届: all seven present re-elect the committee, and the
///   committee 钱秀英 secretary, for 3 years (to 2027-06-18).
private func tellBranchTerms(_ ledger: Ledger) async throws {
    func run(_ command: some DomainCommand, _ id: String) async throws {
        try await ledger.execute(command, by: "op-组织员", commandID: id)
    }
    func elect(_ role: BranchRole, _ cadre: CadreID, on day: String, termYears: Int = 3, entitled: Int, present: Int, votes: Int,
               _ id: String) async throws {
        try await run(ElectOfficer(branch: "B0052", role: role, cadre: cadre, electedOn: date(day), termYears: termYears,
                                   entitled: entitled, present: present, votesFor: votes), id)
    }
    func meeting(_ id: String, _ kind: MeetingType, _ topic: String, on day: String, _ attendees: [CadreID],
                 absent: [MeetingAbsence] = []) async throws {
        try await run(RecordMeeting(meeting: id, branch: "B0052", kind: kind, topic: topic, heldOn: date(day),
                                    attendees: attendees, absentees: absent), "story2-\(id)")
    }
    func join(_ id: CadreID, _ name: String, born: String, level: FormerLevel, retired: String, registered: String,
              joined: String, full: String, added: String) async throws {
        try await run(RegisterCadre(cadre: id, name: name, category: .tuixiu, birthDate: date(born), formerLevel: level,
                                    formerUnit: "省卫生厅", retiredOn: date(retired), residence: "杭州市上城区",
                                    registeredOn: date(registered)), "story2-reg-\(id)")
        try await run(RecordPartyMembership(cadre: id, joinedOn: date(joined), fullMemberOn: date(full), recordedOn: date(registered)),
                      "story2-party-\(id)")
        try await run(AddMember(branch: "B0052", cadre: id, addedOn: date(added)), "story2-add-\(id)")
    }

    try await run(EstablishBranch(branch: "B0052", name: "省卫生健康委离退休干部第三党支部", type: .standalone,
                                  parentOrganisation: "省卫生健康委机关党委", establishedOn: date("2018-04-01")), "story2-001")
    for (id, name, born, level, retired, joined, full) in [
        ("C000301", "赵德明", "1948-02-11", FormerLevel.departmental, "2008-03-01", "1975-06-20", "1976-06-20"),
        ("C000302", "钱秀英", "1953-09-05", .county, "2008-10-01", "1978-07-01", "1979-07-01"),
        ("C000303", "孙立华", "1950-12-01", .county, "2010-12-01", "1980-03-15", "1981-03-15"),
        ("C000304", "李国强", "1952-04-18", .county, "2012-05-01", "1982-11-02", "1983-11-02"),
        ("C000305", "吴淑珍", "1957-01-23", .section, "2012-02-01", "1984-06-30", "1985-06-30"),
        ("C000306", "郑志刚", "1954-08-08", .county, "2014-09-01", "1979-12-01", "1980-12-01"),
        ("C000307", "冯玉兰", "1956-03-03", .section, "2011-04-01", "1986-05-04", "1987-05-04"),
    ] {
        try await join(CadreID(id), name, born: born, level: level, retired: retired, registered: "2018-03-20",
                       joined: joined, full: full, added: "2018-04-10")
    }

    // The first term: 7 entitled, 6 present (6 × 5 = 30 > 28).
    try await meeting("B0052-2021-06-18-general", .generalMeeting, "支部委员会换届选举", on: "2021-06-18",
                      ["C000301", "C000302", "C000303", "C000304", "C000306", "C000307"],
                      absent: [MeetingAbsence(cadre: "C000305", reason: "外出探亲")])
    try await elect(.committeeMember, "C000301", on: "2021-06-18", entitled: 7, present: 6, votes: 6, "story2-002")
    try await elect(.committeeMember, "C000302", on: "2021-06-18", entitled: 7, present: 6, votes: 6, "story2-003")
    try await elect(.committeeMember, "C000303", on: "2021-06-18", entitled: 7, present: 6, votes: 5, "story2-004")
    try await meeting("B0052-2021-06-18-committee", .committeeMeeting, "选举支部书记", on: "2021-06-18",
                      ["C000301", "C000302", "C000303"])
    try await elect(.secretary, "C000301", on: "2021-06-18", entitled: 3, present: 3, votes: 3, "story2-005")

    // The secretary dies.
    try await run(RecordDeath(cadre: "C000301", diedOn: date("2022-03-27"), recordedOn: date("2022-03-29")), "story2-006")

    // The by-election, for the rest of the term: 6 entitled, 5 present (5 × 5 = 25 > 24).
    try await meeting("B0052-2022-06-18-general", .generalMeeting, "补选支部委员、书记", on: "2022-06-18",
                      ["C000302", "C000303", "C000304", "C000305", "C000306"],
                      absent: [MeetingAbsence(cadre: "C000307", reason: "住院治疗")])
    try await elect(.committeeMember, "C000304", on: "2022-06-18", termYears: 2, entitled: 6, present: 5, votes: 5, "story2-007")
    try await meeting("B0052-2022-06-18-committee", .committeeMeeting, "补选支部书记", on: "2022-06-18",
                      ["C000302", "C000303", "C000304"])
    try await elect(.secretary, "C000302", on: "2022-06-18", termYears: 2, entitled: 3, present: 3, votes: 3, "story2-008")

    // A new member.
    try await join("C000308", "王桂芳", born: "1963-07-10", level: .section, retired: "2023-07-10", registered: "2023-08-20",
                   joined: "1988-09-01", full: "1989-09-01", added: "2023-09-01")

    // The second term: 7 entitled, all present.
    let all: [CadreID] = ["C000302", "C000303", "C000304", "C000305", "C000306", "C000307", "C000308"]
    try await meeting("B0052-2024-06-18-general", .generalMeeting, "支部委员会换届选举", on: "2024-06-18", all)
    try await elect(.committeeMember, "C000302", on: "2024-06-18", entitled: 7, present: 7, votes: 7, "story2-009")
    try await elect(.committeeMember, "C000303", on: "2024-06-18", entitled: 7, present: 7, votes: 6, "story2-010")
    try await elect(.committeeMember, "C000304", on: "2024-06-18", entitled: 7, present: 7, votes: 6, "story2-011")
    try await meeting("B0052-2024-06-18-committee", .committeeMeeting, "选举支部书记", on: "2024-06-18",
                      ["C000302", "C000303", "C000304"])
    try await elect(.secretary, "C000302", on: "2024-06-18", entitled: 3, present: 3, votes: 3, "story2-012")
}

@Suite("Fixture story: a branch through two terms, a by-election after the secretary's death")
struct BranchTermsStoryTests {
    /// Positions in the fixture (each command writes one event).
    private enum At {
        /// After the first term's secretary is elected (events 0-27).
        static let firstTerm: UInt64 = 28
        /// After the death (event 28).
        static let death: UInt64 = 29
        /// After the by-election (events 29-32).
        static let byElection: UInt64 = 33
        /// Before the second term's general meeting (event 36).
        static let beforeSecondTerm: UInt64 = 36
        /// Every event.
        static let end: UInt64 = 42
    }

    @Test func twoTermsAndAByElection() async throws {
        let text = try await fixtureText("branch-terms.jsonl", tellBranchTerms)
        let dir = fixtureDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, ledger, report) = try await openFixture(text, at: dir)
        defer { try? store.close() }
        #expect(report.positions == 0..<At.end)
        #expect(report.commands == Int(At.end))

        // Now: the second term, 钱秀英 secretary until 2027-06-18.
        let now = try ledger.view()
        let leadership = try #require(now.leadership(of: "B0052"))
        #expect(leadership.secretary?.cadre == "C000302")
        #expect(leadership.secretary?.name == "钱秀英")
        #expect(leadership.secretary?.electedOn == date("2024-06-18"))
        #expect(leadership.secretary?.termEndsOn == date("2027-06-18"))
        #expect(leadership.committee.map(\.cadre) == ["C000302", "C000303", "C000304"])
        #expect(leadership.committee.allSatisfy { $0.termEndsOn == date("2027-06-18") })
        #expect(leadership.termEndsOn == date("2027-06-18"))
        // 赵德明: dead, out of the branch from the day he died; 党龄 counted from 1976-06-20.
        let zhao = try #require(now.profile(of: "C000301", on: date("2022-03-26")))
        #expect(zhao.diedOn == date("2022-03-27"))
        #expect(zhao.branch == "B0052")
        #expect(zhao.partyStandingYears == 45)
        #expect(now.profile(of: "C000301", on: date("2022-03-27"))?.branch == nil)
        // 党龄 ends with the member: 45 years at his death, also when asked later.
        #expect(now.profile(of: "C000301", on: date("2024-06-30"))?.partyStandingYears == 45)
        // 钱秀英 reaches 45 years on 1 July 2024, a day too late for the golden's date.
        #expect(now.profile(of: "C000302", on: date("2024-06-30"))?.partyStandingYears == 44)
        #expect(now.profile(of: "C000302", on: date("2024-07-01"))?.partyStandingYears == 45)
        #expect(now.state.branches["B0052"]?.members.count == 7)
        // The reminders: nothing due now, the next one 90 days before 2027-06-18.
        #expect(now.reelectionReminders(on: date("2024-03-20")).isEmpty)
        #expect(now.reelectionReminders(on: date("2027-03-19")).isEmpty)
        #expect(now.reelectionReminders(on: date("2027-03-20")).map(\.daysLeft) == [90])
        // 2024's summary, section 2 (基层组织建设): the 换届's general and committee meetings and four elections.
        let section2 = now.yearSummary(2024).sections[1]
        #expect(section2.counts == ["MeetingRecorded": 2, "OfficerElected": 4])
        // Every election is in the branch's history, with its command.
        let history = try ledger.auditHistory(of: BranchID("B0052"))
        #expect(history.filter { $0.eventType == "OfficerElected" }.map(\.commandID) == (2...12).filter { $0 != 6 }.map { String(format: "story2-%03d", $0) })
        #expect(try ledger.auditHistory(of: CadreID("C000301")).last?.eventType == "DeathRecorded")

        // The twelve questions at the end of the quarter of the second 换届.
        let answers = try StoryAnswers(now, of: ledger, on: date("2024-06-30"), auditing: ["C000301", "C000302"], ["B0052"])
        try expectGolden(answers, "branch-terms.queries.json")

        // As of the first term: 赵德明 secretary to 2024-06-18; the double reminder
        // from 90 days before (2024-03-20), to the branch and its parent organisation.
        let firstTerm = try ledger.view(asOf: .position(At.firstTerm))
        #expect(firstTerm.leadership(of: "B0052")?.secretary?.cadre == "C000301")
        #expect(firstTerm.leadership(of: "B0052")?.secretary?.termEndsOn == date("2024-06-18"))
        #expect(firstTerm.reelectionReminders(on: date("2024-03-19")).isEmpty)
        let reminder = try #require(firstTerm.reelectionReminders(on: date("2024-03-20")).first)
        #expect(reminder.branch == "B0052" && reminder.branchName == "省卫生健康委离退休干部第三党支部")
        #expect(reminder.parentOrganisation == "省卫生健康委机关党委")
        #expect(reminder.termEndsOn == date("2024-06-18") && reminder.daysLeft == 90 && !reminder.overdue)

        // After the death: no secretary (so no reminder), the committee without him.
        let afterDeath = try ledger.view(asOf: .position(At.death))
        #expect(afterDeath.leadership(of: "B0052")?.secretary == nil)
        #expect(afterDeath.leadership(of: "B0052")?.committee.map(\.cadre) == ["C000302", "C000303"])
        #expect(afterDeath.reelectionReminders(on: date("2024-06-18")).isEmpty)
        #expect(afterDeath.state.branches["B0052"]?.members.contains("C000301") == false)

        // After the by-election: 钱秀英 secretary for the rest of the term; overdue after it.
        let byElection = try ledger.view(asOf: .position(At.byElection))
        #expect(byElection.leadership(of: "B0052")?.secretary?.cadre == "C000302")
        #expect(byElection.leadership(of: "B0052")?.secretary?.electedOn == date("2022-06-18"))
        #expect(byElection.leadership(of: "B0052")?.termEndsOn == date("2024-06-18"))
        #expect(byElection.leadership(of: "B0052")?.committee.map(\.cadre) == ["C000302", "C000303", "C000304"])
        #expect(byElection.reelectionReminders(on: date("2024-03-20")).map(\.daysLeft) == [90])
        let beforeSecondTerm = try ledger.view(asOf: .position(At.beforeSecondTerm))
        let overdue = try #require(beforeSecondTerm.reelectionReminders(on: date("2024-07-01")).first)
        #expect(overdue.overdue && overdue.daysLeft == -13)
        #expect(beforeSecondTerm.state.branches["B0052"]?.members.count == 7)

        // With a snapshot taken right after the death, the same answers.
        try store.saveSnapshot(store.project(DomainState.self, asOf: .position(At.death)))
        let fromSnapshot = try store.project(DomainState.self)
        #expect(fromSnapshot.usedSnapshot)
        #expect(fromSnapshot.eventsApplied == At.end - At.death)
        let snapshotView = LedgerView(state: fromSnapshot.projection, position: fromSnapshot.position)
        #expect(snapshotView.leadership(of: "B0052") == leadership)
        let fromSnapshotAnswers = try StoryAnswers(snapshotView, of: ledger, on: date("2024-06-30"), auditing: ["C000301", "C000302"], ["B0052"])
        #expect(try fromSnapshotAnswers.json() == answers.json())

        // Refused on the loaded store, writing nothing: the dead cannot be elected,
        // and a by-election with 4 of 6 present (4 × 5 = 20, not over 24) is not valid.
        await expectEachRefusedWritingNothing(ledger, [
            ("the dead elected", ElectOfficer(branch: "B0052", role: .secretary, cadre: "C000301", electedOn: date("2024-07-01"),
                                              entitled: 3, present: 3, votesFor: 3), .cadreDeceased),
            ("no quorum", ElectOfficer(branch: "B0052", role: .committeeMember, cadre: "C000305", electedOn: date("2024-07-01"),
                                       entitled: 6, present: 4, votesFor: 4), .electionQuorum),
            // 王桂芳 was registered on 2023-08-20 but joined the branch only on 2023-09-01.
            ("not yet a member", ElectOfficer(branch: "B0052", role: .committeeMember, cadre: "C000308", electedOn: date("2023-08-25"),
                                              entitled: 6, present: 6, votesFor: 6), .notABranchMember),
        ])
        #expect(store.nextPosition == At.end)
        #expect(try ledger.view().leadership(of: "B0052") == leadership)
    }
}
