import SilverLedger
import Testing

@testable import SilverLedgerDomain

@Suite("Contribution (作用发挥): talent, workstations, volunteer teams, studios, lectures")
struct ContributionTests {
    @Test func talentIsRegisteredAndRegisteringAgainReplacesTheTags() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await ledger.execute(RegisterTalent(cadre: "C1", expertise: [" 水利工程 ", "法律咨询"], registeredOn: date("2024-02-01")), by: "op-2", commandID: "t1")
        try await ledger.execute(RegisterTalent(cadre: "C1", expertise: ["书法"], registeredOn: date("2024-05-01")), by: "op", commandID: "t2")
        let events = try ledger.store.readStream(CadreID("C1").stream)
        #expect(events.map(\.eventType) == ["CadreRegistered", "TalentRegistered", "TalentRegistered"])
        #expect(try events[1].decoded(as: TalentRegistered.self, with: Ledger.eventTypes)
            == TalentRegistered(cadre: "C1", expertise: ["水利工程", "法律咨询"], registeredOn: date("2024-02-01")))   // trimmed
        #expect(events[1].metadata.recordedBy == "op-2" && events[1].metadata.businessDate == date("2024-02-01"))
        #expect(try events[2].decoded(as: TalentRegistered.self, with: Ledger.eventTypes)?.expertise == ["书法"])
        // The state keeps the latest tags, for the talent search.
        #expect(await ledger.state.contribution.talent == ["C1": ["书法"]])
    }

    @Test func aVolunteerTeamIsFormedJoinedAndServes() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await register(ledger, "C2")
        try await ledger.execute(FormVolunteerTeam(team: "T1", name: "银发志愿服务队", formedOn: date("2023-01-01")), by: "op", commandID: "form")
        try await ledger.execute(JoinVolunteerTeam(team: "T1", cadre: "C1", joinedOn: date("2023-01-01")), by: "op", commandID: "j1")
        try await ledger.execute(JoinVolunteerTeam(team: "T1", cadre: "C2", joinedOn: date("2023-03-01")), by: "op", commandID: "j2")
        #expect(await ledger.state.contribution.teams["T1"]
            == .init(formedOn: date("2023-01-01"), members: ["C1": date("2023-01-01"), "C2": date("2023-03-01")]))
        // Before C2 joined, C1 alone; from the day C2 joined, both.
        try await ledger.execute(RecordVolunteerService(team: "T1", participants: ["C1"], activity: "社区义诊", servedOn: date("2023-02-15"), hours: 24),
                                 by: "op", commandID: "s1")
        try await ledger.execute(RecordVolunteerService(team: "T1", participants: ["C1", "C2"], activity: "河道巡查", servedOn: date("2023-03-01"), hours: 2.5),
                                 by: "op", commandID: "s2")
        let events = try ledger.store.readStream("team-T1")
        #expect(events.map(\.eventType) == ["VolunteerTeamFormed", "VolunteerTeamJoined", "VolunteerTeamJoined",
                                            "VolunteerServiceRecorded", "VolunteerServiceRecorded"])
        #expect(try events[0].decoded(as: VolunteerTeamFormed.self, with: Ledger.eventTypes)
            == VolunteerTeamFormed(team: "T1", name: "银发志愿服务队", formedOn: date("2023-01-01")))
        #expect(try events[2].decoded(as: VolunteerTeamJoined.self, with: Ledger.eventTypes)
            == VolunteerTeamJoined(team: "T1", cadre: "C2", joinedOn: date("2023-03-01")))
        #expect(try events[4].decoded(as: VolunteerServiceRecorded.self, with: Ledger.eventTypes)
            == VolunteerServiceRecorded(team: "T1", participants: ["C1", "C2"], activity: "河道巡查", servedOn: date("2023-03-01"), hours: 2.5))
        #expect(events[4].metadata.businessDate == date("2023-03-01"))
        // A cadre may be in several teams.
        try await ledger.execute(FormVolunteerTeam(team: "T2", name: "红色宣讲队", formedOn: date("2024-01-01")), by: "op", commandID: "form-2")
        try await ledger.execute(JoinVolunteerTeam(team: "T2", cadre: "C1", joinedOn: date("2024-01-02")), by: "op", commandID: "j3")
        #expect(await ledger.state.contribution.teams.count == 2)
        try await expectRebuiltStateMatches(ledger)
    }

    @Test func workstationsStudiosAndLecturesHaveTheirOwnStreams() async throws {
        let ledger = try ledger()
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1970-01-01", full: "1971-01-01")
        try await register(ledger, "C2")
        try await ledger.execute(EstablishWorkstation(workstation: "W1", unit: "省水利厅", establishedOn: date("2024-01-05")), by: "op", commandID: "w1")
        try await ledger.execute(EstablishStudio(studio: "S1", name: "张老党员工作室", lead: "C1", establishedOn: date("2024-02-01")), by: "op", commandID: "s1")
        // A lecture with no audience counted (e.g. online) is allowed.
        try await ledger.execute(RecordLecture(lecture: "L1", speaker: "C2", topic: "学习贯彻党的二十届三中全会精神", audience: 0, heldOn: date("2024-03-01")),
                                 by: "op", commandID: "l1")
        #expect(try ledger.store.readStream("workstation-W1").first?.decoded(as: WorkstationEstablished.self, with: Ledger.eventTypes)
            == WorkstationEstablished(workstation: "W1", unit: "省水利厅", establishedOn: date("2024-01-05")))
        #expect(try ledger.store.readStream("studio-S1").first?.decoded(as: StudioEstablished.self, with: Ledger.eventTypes)
            == StudioEstablished(studio: "S1", name: "张老党员工作室", lead: "C1", establishedOn: date("2024-02-01")))
        let lecture = try ledger.store.readStream("lecture-L1")
        #expect(lecture.count == 1)
        #expect(try lecture.first?.decoded(as: LectureRecorded.self, with: Ledger.eventTypes)
            == LectureRecorded(lecture: "L1", speaker: "C2", topic: "学习贯彻党的二十届三中全会精神", audience: 0, heldOn: date("2024-03-01")))
        // An id is used once, whatever the command says.
        let reused = await refusal {
            try await ledger.execute(EstablishStudio(studio: "S1", name: "另一个工作室", lead: "C1", establishedOn: date("2024-04-01")), by: "op", commandID: "s1-again")
        }
        #expect(reused?.code == .recordExists)
        #expect(reused?.english == "studio-S1 already exists; an id is used once (command s1-again)")
        #expect(await ledger.state.contribution == ContributionState())
    }

    @Test func invalidContributionRecordsAreRefusedAndWriteNothing() async throws {
        let ledger = try ledger(today: "2024-12-31")
        try await register(ledger, "C1")
        try await member(ledger, "C1", joined: "1970-01-01", full: "1971-01-01")
        try await register(ledger, "C2")                                  // not a party member, not in the team
        try await register(ledger, "C3")
        try await member(ledger, "C3", joined: "1970-01-01", full: "1971-01-01")
        try await register(ledger, "C4")                                  // joins the team late
        try await ledger.execute(EstablishWorkstation(workstation: "W1", unit: "省水利厅", establishedOn: date("2024-01-05")), by: "op", commandID: "w1")
        try await ledger.execute(FormVolunteerTeam(team: "T1", name: "银发志愿服务队", formedOn: date("2023-01-01")), by: "op", commandID: "form")
        try await ledger.execute(JoinVolunteerTeam(team: "T1", cadre: "C1", joinedOn: date("2023-01-01")), by: "op", commandID: "j1")
        try await ledger.execute(JoinVolunteerTeam(team: "T1", cadre: "C3", joinedOn: date("2023-01-01")), by: "op", commandID: "j3")
        try await ledger.execute(JoinVolunteerTeam(team: "T1", cadre: "C4", joinedOn: date("2024-06-01")), by: "op", commandID: "j4")
        try await ledger.execute(RecordDeath(cadre: "C3", diedOn: date("2024-03-01"), recordedOn: date("2024-03-02")), by: "op", commandID: "d3")
        try await ledger.execute(EstablishStudio(studio: "S1", name: "老党员工作室", lead: "C1", establishedOn: date("2024-01-01")), by: "op", commandID: "s1")
        try await ledger.execute(RecordLecture(lecture: "L1", speaker: "C1", topic: "党史", audience: 30, heldOn: date("2024-01-01")), by: "op", commandID: "l1")

        func talent(_ cadre: CadreID = "C1", _ tags: [String] = ["水利"], on: String = "2024-06-01") -> RegisterTalent {
            RegisterTalent(cadre: cadre, expertise: tags, registeredOn: date(on))
        }
        func workstation(_ id: String = "W2", unit: String = "省财政厅", on: String = "2024-06-01") -> EstablishWorkstation {
            EstablishWorkstation(workstation: id, unit: unit, establishedOn: date(on))
        }
        func team(_ id: String = "T2", name: String = "宣讲队", on: String = "2024-06-01") -> FormVolunteerTeam {
            FormVolunteerTeam(team: id, name: name, formedOn: date(on))
        }
        func join(_ team: String = "T1", _ cadre: CadreID = "C2", on: String = "2024-06-01") -> JoinVolunteerTeam {
            JoinVolunteerTeam(team: team, cadre: cadre, joinedOn: date(on))
        }
        func service(_ team: String = "T1", people: [CadreID] = ["C1"], activity: String = "义诊", on: String = "2024-06-01",
                     hours: Double = 2) -> RecordVolunteerService {
            RecordVolunteerService(team: team, participants: people, activity: activity, servedOn: date(on), hours: hours)
        }
        func studio(_ id: String = "S2", name: String = "工作室", lead: CadreID = "C1", on: String = "2024-06-01") -> EstablishStudio {
            EstablishStudio(studio: id, name: name, lead: lead, establishedOn: date(on))
        }
        func lecture(_ id: String = "L2", speaker: CadreID = "C1", topic: String = "党纪", audience: Int = 20, on: String = "2024-06-01") -> RecordLecture {
            RecordLecture(lecture: id, speaker: speaker, topic: topic, audience: audience, heldOn: date(on))
        }
        await expectEachRefusedWritingNothing(ledger, [
            ("talent without tags", talent("C1", []), .invalidValue),
            ("talent with a blank tag", talent("C1", ["水利", " "]), .invalidValue),
            ("talent with a tag twice", talent("C1", ["IT", " it"]), .duplicateName),
            ("talent of an unknown cadre", talent("X9"), .unknownCadre),
            ("talent of the dead", talent("C3"), .cadreDeceased),
            ("talent registered in the future", talent(on: "2025-01-01"), .dateInFuture),
            ("talent registered before the register", talent(on: "2019-01-01"), .dateBeforeExistence),
            ("a workstation without id", workstation(""), .invalidValue),
            ("a workstation without unit", workstation(unit: " "), .invalidValue),
            ("a workstation in the future", workstation(on: "2025-01-01"), .dateInFuture),
            ("a workstation id used again", workstation("W1"), .recordExists),
            ("a team without name", team(name: ""), .invalidValue),
            ("a team without id", team(""), .invalidValue),
            ("a team id used again", team("T1"), .recordExists),
            ("a team formed in the future", team(on: "2025-01-01"), .dateInFuture),
            ("joining an unknown team", join("T9"), .unknownTeam),
            ("joining before the team was formed", join(on: "2022-12-31"), .dateBeforeExistence),
            ("joining twice", join("T1", "C1"), .alreadyTeamMember),
            ("the dead joining", join("T1", "C3", on: "2024-06-01"), .cadreDeceased),
            ("joining in the future", join(on: "2025-01-01"), .dateInFuture),
            ("an unknown cadre joining", join("T1", "X9"), .unknownCadre),
            ("a service of 0 hours", service(hours: 0), .invalidValue),
            ("a service of more than 24 hours", service(hours: 24.5), .invalidValue),
            ("a service of negative hours", service(hours: -1), .invalidValue),
            ("a service of infinite hours", service(hours: .infinity), .invalidValue),
            ("a service of NaN hours", service(hours: .nan), .invalidValue),
            ("a service without participants", service(people: []), .invalidValue),
            ("a participant twice", service(people: ["C1", "C1"]), .duplicateName),
            ("a participant not in the team", service(people: ["C1", "C2"]), .notATeamMember),
            ("a participant before joining", service(people: ["C1", "C4"], on: "2024-05-31"), .notATeamMember),
            ("a dead participant", service(people: ["C1", "C3"]), .cadreDeceased),
            ("an unknown participant", service(people: ["X9"]), .unknownCadre),
            ("a service of an unknown team", service("T9"), .unknownTeam),
            ("a service before the team was formed", service(on: "2022-06-01"), .dateBeforeExistence),
            ("a service without activity", service(activity: " "), .invalidValue),
            ("a service in the future", service(on: "2025-01-01"), .dateInFuture),
            ("a studio led by a cadre who is not a party member", studio(lead: "C2"), .notAPartyMember),
            ("a studio led by the dead", studio(lead: "C3"), .cadreDeceased),
            ("a studio led by an unknown cadre", studio(lead: "X9"), .unknownCadre),
            ("a studio id used again", studio("S1"), .recordExists),
            ("a studio without name", studio(name: ""), .invalidValue),
            ("a studio in the future", studio(on: "2025-01-01"), .dateInFuture),
            ("a lecture with a negative audience", lecture(audience: -1), .invalidValue),
            ("a lecture without topic", lecture(topic: " "), .invalidValue),
            ("a lecture by an unknown speaker", lecture(speaker: "X9"), .unknownCadre),
            ("a lecture by the dead", lecture(speaker: "C3"), .cadreDeceased),
            ("a lecture id used again", lecture("L1"), .recordExists),
            ("a lecture in the future", lecture(on: "2025-01-01"), .dateInFuture),
            ("a lecture before the speaker's registration", lecture(on: "2019-06-01"), .dateBeforeExistence),
        ])
        // The edges that pass.
        try await ledger.execute(service(people: ["C1", "C4"], on: "2024-06-01", hours: 24), by: "op", commandID: "ok-24")
        try await ledger.execute(service(people: ["C1", "C3"], on: "2024-02-29", hours: 0.5), by: "op", commandID: "ok-before-death")
        try await ledger.execute(join("T1", "C2", on: "2024-12-31"), by: "op", commandID: "ok-today")

        let outsider = await refusal { try await ledger.execute(service(people: ["C1", "C4"], on: "2024-05-31"), by: "op", commandID: "x1") }
        #expect(outsider?.code.rawValue == "team.notAMember")
        #expect(outsider?.english == "cadre C4 was not a member of volunteer team T1 on 2024-05-31 (joined 2024-06-01)")
        #expect(outsider?.chinese == "2024-05-31离退休干部C4不是志愿服务队T1的队员（2024-06-01加入）")
        let twice = await refusal { try await ledger.execute(join("T1", "C1"), by: "op", commandID: "x2") }
        #expect(twice?.english == "cadre C1 has been a member of volunteer team T1 since 2023-01-01")
        #expect(twice?.chinese == "离退休干部C1已于2023-01-01加入志愿服务队T1")
        let noTeam = await refusal { try await ledger.execute(join("T9"), by: "op", commandID: "x3") }
        #expect(noTeam?.chinese == "志愿服务队T9未组建")
        let notMember = await refusal { try await ledger.execute(studio(lead: "C2"), by: "op", commandID: "x4") }
        #expect(notMember?.english == "cadre C2 is not a party member (no membership recorded); an old party member studio is led by a party member")
        #expect(notMember?.chinese == "离退休干部C2无党员信息记录，老党员工作室须由党员领办")
        try await expectRebuiltStateMatches(ledger)
    }
}
