import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// One value of every command of the domain, in the order of ``CommandJSON/commands``.
private func sampleCommands() -> [any CodableCommand] {
    [
        RegisterCadre(cadre: "C000017", name: "张德明", category: .lixiu, birthDate: date("1929-08-15"), formerLevel: .departmental,
                      formerUnit: "省水利厅", retiredOn: date("1990-09-01"), residence: "杭州市西湖区北山街道", registeredOn: date("1990-10-08")),
        RecordPartyMembership(cadre: "C000017", joinedOn: date("1947-03-01"), fullMemberOn: date("1948-03-01"), recordedOn: date("1990-10-08")),
        CorrectPartyMembership(cadre: "C000017", joinedOn: date("1947-02-15"), fullMemberOn: date("1948-02-15"), reason: "据入党志愿书原件更正",
                               correctedOn: date("2024-01-10")),
        ChangeResidence(cadre: "C000017", residence: "杭州市拱墅区和睦街道", changedOn: date("2024-01-20")),
        MarkRelocated(cadre: "C000025", relocated: true, area: "海南省三亚市", markedOn: date("2024-01-25")),
        ChangeHealth(cadre: "C000017", frail: true, limitedMobility: false, changedOn: date("2024-02-01")),
        RecordDeath(cadre: "C000031", diedOn: date("2024-02-03"), recordedOn: date("2024-02-05")),
        RecordHonourableRetirement(cadre: "C000018", honouredOn: date("2024-02-10")),
        EstablishBranch(branch: "B0012", name: "省水利厅离退休干部第一党支部", type: .standalone, parentOrganisation: "省水利厅机关党委",
                        establishedOn: date("2024-02-26")),
        AddMember(branch: "B0012", cadre: "C000017", addedOn: date("2024-02-27")),
        RemoveMember(branch: "B0013", cadre: "C000025", reason: "易地安置，组织关系转至安置地", removedOn: date("2024-03-01")),
        TransferMember(cadre: "C000018", from: "B0013", to: "B0012", transferredOn: date("2024-03-05")),
        ElectOfficer(branch: "B0012", role: .secretary, cadre: "C000018", electedOn: date("2024-03-15"), termYears: 3,
                     entitled: 23, present: 21, votesFor: 20),
        AppointLiaison(branch: "B0012", name: "李明", unit: "省水利厅人事处", asDeputySecretary: true, appointedOn: date("2024-03-20")),
        DesignateDemonstration(branch: "B0012", batch: "2024年第一批", level: .city, designatedOn: date("2024-04-10")),
        RecordDemonstrationReview(branch: "B0012", outcome: .passed, reviewedOn: date("2024-11-28")),
        RegisterBrand(branch: "B0012", name: "银发护河", method: "“一线三联”工作法", registeredOn: date("2024-05-06")),
        DissolveBranch(branch: "B0013", dissolvedOn: date("2024-03-31")),
        RecordMeeting(meeting: "M-B0012-2024-04", branch: "B0012", kind: .generalMeeting, topic: "学习贯彻党的二十届三中全会精神",
                      heldOn: date("2024-04-02"), attendees: ["C000018"], absentees: [MeetingAbsence(cadre: "C000017", reason: "住院治疗")]),
        DeliverStudyAtHome(meeting: "M-B0012-2024-04", cadre: "C000017", deliveredOn: date("2024-04-05")),
        RecordDemocraticEvaluation(branch: "B0012", cadre: "C000018", year: 2024, rating: .excellent, evaluatedOn: date("2024-12-26")),
        RecordStudySession(session: "S-2024-031", organiser: "省委老干部局", format: .thematicTutorial, topic: "党纪学习教育专题辅导",
                           heldOn: date("2024-05-16"), hours: 3.5, attendees: ["C000017", "C000018"]),
        RecordQuizResult(cadre: "C000018", quiz: "党规党纪知识线上竞答", score: 92, takenOn: date("2024-06-20")),
        LogVisit(visit: "V-2024-0211", cadre: "C000017", kind: .festival, channel: .inPerson, visitors: ["王处长", "李干事"],
                 notes: "春节慰问，精神尚好", needs: [.init(kind: .medical, description: "需要陪同就医")], visitedOn: date("2024-02-08")),
        FollowUpNeed(need: "V-2024-0211-1", action: "联系社区医院，安排家庭医生上门", resolved: true, followedUpOn: date("2024-02-20")),
        CreateCarePlan(cadre: "C000017", contact: "李明", measures: "每月上门探望一次，每周电话联系", createdOn: date("2024-03-01")),
        RecordHardshipAssistance(cadre: "C000018", amountFen: 200_000, purpose: "大病医疗困难补助", assistedOn: date("2024-09-10")),
        RecordHomeCareService(cadre: "C000017", service: "助浴", servedOn: date("2024-06-06")),
        RecordHomeAdaptation(cadre: "C000017", adaptation: "卫生间加装扶手", completedOn: date("2024-05-20")),
        AwardMedal50(cadre: "C000018", awardedOn: date("2024-07-01")),
        RecordPoliticalBirthday(cadre: "C000017", organiser: "省水利厅离退休干部第一党支部", heldOn: date("2024-02-15")),
        RecordHonour(recipient: .branch("B0012"), title: .advancedCollective, level: .province, year: 2024, awardedOn: date("2024-06-28")),
        RegisterTalent(cadre: "C000018", expertise: ["水利工程", "防汛抗旱"], registeredOn: date("2024-03-12")),
        EstablishWorkstation(workstation: "WS-01", unit: "省水利水电勘测设计院", establishedOn: date("2024-04-18")),
        FormVolunteerTeam(team: "T-01", name: "银发护河志愿服务队", formedOn: date("2024-04-20")),
        JoinVolunteerTeam(team: "T-01", cadre: "C000018", joinedOn: date("2024-04-21")),
        RecordVolunteerService(team: "T-01", participants: ["C000018"], activity: "西湖水质巡查", servedOn: date("2024-05-11"), hours: 2.5),
        EstablishStudio(studio: "ST-01", name: "王建国老党员工作室", lead: "C000018", establishedOn: date("2024-07-01")),
        RecordLecture(lecture: "L-2024-07", speaker: "C000018", topic: "讲述治水故事，传承红色基因", audience: 120, heldOn: date("2024-07-05")),
        RegisterOutflow(cadre: "C000017", fromBranch: "B0012", destination: "上海市徐汇区", reason: "随子女居住", since: date("2024-08-01")),
        AcceptInflow(cadre: "C000017", receivingOrganisation: "上海市徐汇区老干部活动中心党支部", acceptedOn: date("2024-08-15")),
        RecordReturn(cadre: "C000017", returnedOn: date("2024-10-08")),
    ]
}

/// The command's fields as JSON with sorted keys: two commands are the same if these are.
private func fieldsJSON(_ command: any CodableCommand) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(command), as: UTF8.self)
}

/// The error `parse` throws for `line`; records an issue if it parses.
private func malformed(_ line: String, lineNumber: Int = 7, sourceLocation: SourceLocation = #_sourceLocation) -> DomainError? {
    do {
        let parsed = try CommandJSONLine.parse(line, lineNumber: lineNumber)
        Issue.record("expected input.malformed, parsed \(parsed.name)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == .malformedInput, sourceLocation: sourceLocation)
        #expect(error.values["line"] == "\(lineNumber)", sourceLocation: sourceLocation)
        #expect(error.english.hasPrefix("line \(lineNumber)"), sourceLocation: sourceLocation)
        #expect(error.chinese.hasPrefix("第\(lineNumber)行"), sourceLocation: sourceLocation)
        for text in [error.english, error.chinese] {
            for leak in ["DecodingError", "CodingKeys", "debugDescription", "Swift."] {
                #expect(!text.contains(leak), "\(text)", sourceLocation: sourceLocation)
            }
        }
        return error
    }
}

/// An election line with `fields` replaced.
private func election(_ fields: String, extra: String = "") -> String {
    #"{"command":"ElectOfficer","id":"cmd-2024-017","by":"op-组织处"\#(extra),"fields":\#(fields)}"#
}

private let electionFields = #"{"branch":"B0012","role":"secretary","cadre":"C000018","electedOn":"2024-03-15","termYears":3,"entitled":23,"present":21,"votesFor":20}"#

/// The text of a file of the package, relative to this one.
private func packageFile(_ path: String, from file: String = #filePath) throws -> String {
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
}

/// Every event in the store, in log order.
private func allEvents(_ store: EventStore) throws -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    try store.forEachEvent { events.append($0) }
    return events
}

@Suite("Commands as JSON Lines (CommandJSON, docs/COMMANDS.md)")
struct CommandJSONTests {
    @Test func theRegistryHoldsEveryCommandOfTheDomainOnceUnderItsTypeName() throws {
        // `grep -rn ": DomainCommand" Sources/SilverLedgerDomain` lists 42 command structs (8 + 10 + 3 + 2 + 6 + 3 + 7 + 3 in the
        // eight groups of DOMAIN.md); the sources are scanned too, so that a new command cannot be left out of the registry.
        #expect(CommandJSON.commands.count == 42)
        #expect(Set(CommandJSON.names).count == CommandJSON.names.count)
        for (name, type) in CommandJSON.commands {
            #expect(name == String(describing: type))
            #expect(CommandJSON.commandType(named: name) == type)
            #expect(CommandJSON.name(of: type) == name)
        }
        var declared: [String] = []
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SilverLedgerDomain")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                if let match = line.firstMatch(of: /struct (\w+): DomainCommand\b/) { declared.append(String(match.1)) }
            }
        }
        #expect(declared.count == 42)
        #expect(Set(declared) == Set(CommandJSON.names))
        #expect(CommandJSON.commandType(named: "electOfficer") == nil)
    }

    @Test func everyCommandIsWrittenAsOneLineAndReadBackTheSame() throws {
        let samples = sampleCommands()
        #expect(samples.map { CommandJSON.name(of: type(of: $0)) } == CommandJSON.names.map { Optional($0) })
        for (i, sample) in samples.enumerated() {
            let line = CommandJSONLine(sample, id: "cmd-2024-\(i)", recordedBy: "op-组织处", correlationID: "import-2024", causationID: "cmd-2024-0")
            let json = line.json()
            #expect(!json.contains("\n"))
            #expect(json.hasPrefix(#"{"by":"op-组织处","causationID":"cmd-2024-0","command":""#))
            let read = try CommandJSONLine.parse(json, lineNumber: i + 1)
            #expect(read.name == CommandJSON.names[i])
            #expect(type(of: read.domainCommand) == type(of: sample))
            #expect(try fieldsJSON(read.domainCommand) == fieldsJSON(sample), "\(read.name)")
            #expect(read.json() == json)
            #expect(read.id == "cmd-2024-\(i)" && read.command.commandID == "cmd-2024-\(i)")
            #expect(read.recordedBy == "op-组织处")
            #expect(read.command.correlationID == "import-2024" && read.command.causationID == "cmd-2024-0")
            #expect(read.lineNumber == i + 1)
            #expect(read.command.command.date == sample.date)
        }
    }

    @Test func theOptionalKeysMayBeLeftOutOrNull() throws {
        let line = CommandJSONLine(AwardMedal50(cadre: "C000017", awardedOn: date("2024-07-01")), id: "medal-2024-C000017")
        #expect(line.json() == #"{"command":"AwardMedal50","fields":{"awardedOn":"2024-07-01","cadre":"C000017"},"id":"medal-2024-C000017"}"#)
        let read = try CommandJSONLine.parse(#"{"id":"m1","command":"AwardMedal50","by":null,"correlationID":null,"fields":{"cadre":"C1","awardedOn":"2024-07-01"}}"#,
                                             lineNumber: 1)
        #expect(read.recordedBy == nil && read.command.correlationID == nil && read.command.causationID == nil)
        // An honour goes to a cadre or to a branch: one key of the two.
        let honour = try CommandJSONLine.parse(#"{"command":"RecordHonour","id":"h1","fields":{"recipient":{"cadre":"C1"},"title":"silverPioneer","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#,
                                               lineNumber: 1)
        #expect((honour.domainCommand as? RecordHonour)?.recipient == .cadre("C1"))
    }

    @Test func parseLinesSkipsBlankAndCommentLinesAndCountsEveryLine() throws {
        let text = "# 2024 imports\r\n\n" + election(electionFields) + "\r\n   \n  # a comment\n"
            + #"{"command":"AwardMedal50","id":"m1","fields":{"cadre":"C1","awardedOn":"2024-07-01"}}"# + "\n"
        let lines = try CommandJSONLine.parseLines(text)
        #expect(lines.map(\.name) == ["ElectOfficer", "AwardMedal50"])
        #expect(lines.map(\.lineNumber) == [3, 6])
        #expect(lines[0].recordedBy == "op-组织处" && lines[1].recordedBy == nil)
        #expect(try CommandJSONLine.parseLines("").isEmpty)
        #expect(try CommandJSONLine.parseLines("\u{FEFF}# with a byte order mark\n").isEmpty)
        // All lines are read first: one bad line and none is returned.
        do {
            _ = try CommandJSONLine.parseLines(text + election(#"{"branch":"B0012"}"#) + "\n" + "not json\n")
            Issue.record("expected input.malformed")
        } catch {
            #expect(error.code == .malformedInput)
            #expect(error.values["line"] == "7")
        }
    }

    @Test func aLineThatIsNotAJSONObjectIsRefused() {
        // Foundation's reader says what is wrong in the value "detail" (in English, worded per platform), not in the message.
        let cut = malformed(#"{"command":"ElectOfficer","id":"#)
        #expect(cut?.english == "line 7: not valid JSON")
        #expect(cut?.chinese == "第7行：不是有效的JSON")
        #expect(cut?.values["expected"] == "an object {...}")
        #expect(cut?.values["detail"]?.isEmpty == false)
        for line in ["", "ElectOfficer B0012 C000018", #"{'command':'ElectOfficer'}"#, election(electionFields) + " {}",
                     election(electionFields.replacingOccurrences(of: "23", with: "023"))] {
            #expect(malformed(line)?.english == "line 7: not valid JSON", "\(line)")
        }
        // Foundation's reader on Linux lets a trailing comma pass; the line is refused all the same, for what it lacks.
        #expect(malformed(#"{"command":"ElectOfficer",}"#) != nil)
        let array = malformed(#"[{"command":"ElectOfficer"}]"#)
        #expect(array?.values["expected"] == "an object {...}")
        #expect(array?.values["given"] == "an array")
        #expect(malformed(#""ElectOfficer""#)?.english == #"line 7: expected a JSON object {…}, got "ElectOfficer""#)
        // A key given twice is not detected: Foundation's readers keep one of the values (docs/COMMANDS.md).
    }

    @Test func theRequiredKeysMustBeThereAndOfTheirTypes() {
        let noCommand = malformed(#"{"id":"cmd-1","fields":{}}"#)
        #expect(noCommand?.values["field"] == "command")
        #expect(noCommand?.english.contains(#"missing field "command""#) == true)
        #expect(noCommand?.chinese.contains(#"缺少字段"command""#) == true)
        let noID = malformed(#"{"command":"ElectOfficer","fields":\#(electionFields)}"#)
        #expect(noID?.values["field"] == "id")
        #expect(noID?.values["command"] == "ElectOfficer")
        #expect(noID?.english.hasPrefix("line 7 (ElectOfficer): missing field \"id\"") == true)
        let noFields = malformed(#"{"command":"ElectOfficer","id":"cmd-1"}"#)
        #expect(noFields?.values["field"] == "fields")
        #expect(noFields?.values["expected"] == "an object {...}")
        let fieldsNotAnObject = malformed(#"{"command":"ElectOfficer","id":"cmd-1","fields":[]}"#)
        #expect(fieldsNotAnObject?.values["field"] == "fields")
        #expect(fieldsNotAnObject?.values["given"] == "an array")
        let numericID = malformed(#"{"command":"ElectOfficer","id":17,"fields":\#(electionFields)}"#)
        #expect(numericID?.values["field"] == "id")
        #expect(numericID?.values["expected"] == "a non-empty string")
        #expect(numericID?.values["given"] == "17")
        #expect(malformed(#"{"command":"ElectOfficer","id":"","fields":\#(electionFields)}"#)?.values["field"] == "id")
        #expect(malformed(election(electionFields, extra: #","correlationID":7"#))?.values["field"] == "correlationID")
        #expect(malformed(#"{"command":"ElectOfficer","id":"x","by":"","fields":\#(electionFields)}"#)?.values["field"] == "by")
        #expect(malformed(#"{"command":42,"id":"x","fields":{}}"#)?.values["field"] == "command")
    }

    @Test func anUnknownCommandNamesTheClosestOrTheKnownOnes() {
        let typo = malformed(#"{"command":"ElectOfficers","id":"x","fields":{}}"#)
        #expect(typo?.values["command"] == "ElectOfficers")
        #expect(typo?.values["closest"] == "ElectOfficer")
        #expect(typo?.english == #"line 7: unknown command "ElectOfficers" (did you mean "ElectOfficer"?)"#)
        #expect(typo?.chinese == #"第7行：未知指令"ElectOfficers"（是否应为"ElectOfficer"？）"#)
        #expect(malformed(#"{"command":"awardmedal50","id":"x","fields":{}}"#)?.values["closest"] == "AwardMedal50")
        let unknown = malformed(#"{"command":"PlantTree","id":"x","fields":{}}"#)
        #expect(unknown?.values["closest"] == nil)
        for name in CommandJSON.names { #expect(unknown?.english.contains(name) == true) }
    }

    @Test func anUnknownKeyIsRefusedAtTheTopAndInTheFields() {
        let top = malformed(election(electionFields, extra: #","operator":"op-1""#))
        #expect(top?.values["field"] == "operator")
        #expect(top?.english.contains("command, id, by, correlationID, causationID, fields") == true)
        #expect(malformed(election(electionFields, extra: #","causationId":"c""#))?.values["closest"] == "causationID")
        // A typo: votesfor for votesFor (JSONDecoder would ignore it and find votesFor missing).
        let typo = malformed(election(electionFields.replacingOccurrences(of: "votesFor", with: "votesfor")))
        #expect(typo?.values["field"] == "fields.votesfor")
        #expect(typo?.values["closest"] == "votesFor")
        #expect(typo?.values["command"] == "ElectOfficer")
        #expect(typo?.english == #"line 7 (ElectOfficer): unknown field "fields.votesfor" (did you mean "votesFor"?)"#)
        #expect(typo?.chinese == #"第7行（ElectOfficer）：未知字段"fields.votesfor"（是否应为"votesFor"？）"#)
        // A field no command property is near: the message lists the command's fields.
        let extra = malformed(election(electionFields.replacingOccurrences(of: "}", with: #","colour":"red"}"#)))
        #expect(extra?.values["field"] == "fields.colour")
        #expect(extra?.english.contains("the fields of ElectOfficer are: branch, role, cadre, electedOn, termYears, entitled, present, votesFor") == true)
        // A key given as null is unknown if there is no such property, and wrong if the property is not optional.
        #expect(malformed(election(electionFields.replacingOccurrences(of: "}", with: #","note":null}"#)))?.values["field"] == "fields.note")
        let null = malformed(election(electionFields.replacingOccurrences(of: #""C000018""#, with: "null")))
        #expect(null?.values["field"] == "fields.cadre")
        #expect(null?.values["given"] == "null")
        #expect(null?.values["expected"] == "a cadre id (a string)")
        // Inside a list of objects too.
        let meeting = #"{"command":"RecordMeeting","id":"m","fields":{"meeting":"M1","branch":"B1","kind":"partyLecture","topic":"","heldOn":"2024-04-02","attendees":["C1"],"absentees":[{"cadre":"C2","reson":"住院"}]}}"#
        let nested = malformed(meeting)
        #expect(nested?.values["field"] == "fields.absentees[0].reson")
        #expect(nested?.values["closest"] == "reason")
        let honour = malformed(#"{"command":"RecordHonour","id":"h","fields":{"recipient":{"cadre":"C1","team":"T1"},"title":"silverPioneer","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#)
        #expect(honour?.values["field"] == "fields.recipient.team")
    }

    @Test func aMissingFieldIsNamedWithWhatItShouldBe() {
        let missing = malformed(election(electionFields.replacingOccurrences(of: #","present":21"#, with: "")))
        #expect(missing?.values["field"] == "fields.present")
        #expect(missing?.values["expected"] == "an integer")
        #expect(missing?.english == #"line 7 (ElectOfficer): missing field "fields.present" (expected an integer)"#)
        #expect(missing?.chinese == #"第7行（ElectOfficer）：缺少字段"fields.present"（应为整数）"#)
        // Fields with a default in Swift are required in a line all the same.
        #expect(malformed(election(electionFields.replacingOccurrences(of: #","termYears":3"#, with: "")))?.values["field"] == "fields.termYears")
        #expect(malformed(election("{}"))?.values["field"] == "fields.branch")
        let role = malformed(election(electionFields.replacingOccurrences(of: #""role":"secretary","#, with: "")))
        #expect(role?.values["expected"] == "one of secretary, deputySecretary, committeeMember")
        let date = malformed(election(electionFields.replacingOccurrences(of: #""electedOn":"2024-03-15","#, with: "")))
        #expect(date?.values["expected"] == "a date YYYY-MM-DD")
        let honour = malformed(#"{"command":"RecordHonour","id":"h","fields":{"title":"silverPioneer","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#)
        #expect(honour?.values["field"] == "fields.recipient")
        #expect(honour?.values["expected"]?.hasPrefix("an object with one key, cadre or branch") == true)
        // The fields after a missing one are read all the same: a typo among them is found.
        let typo = malformed(#"{"command":"RecordHonour","id":"h","fields":{"titel":"silverPioneer","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#)
        #expect(typo?.values["field"] == "fields.titel")
        #expect(typo?.values["closest"] == "title")
        let visit = malformed(#"{"command":"LogVisit","id":"v","fields":{"visit":"V1","cadre":"C1","kind":"festival","channel":"phone","notes":"","needs":[],"visitedOn":"2024-02-08"}}"#)
        #expect(visit?.values["field"] == "fields.visitors")
        #expect(visit?.values["expected"] == "an array [...]")
        // In an object in a list.
        let reason = malformed(#"{"command":"RecordMeeting","id":"m","fields":{"meeting":"M1","branch":"B1","kind":"partyLecture","topic":"","heldOn":"2024-04-02","attendees":["C1"],"absentees":[{"cadre":"C2"}]}}"#)
        #expect(reason?.english == #"line 7 (RecordMeeting): missing field "fields.absentees[0].reason" (expected a string)"#)
    }

    @Test func aValueOfTheWrongTypeNamesTheFieldAndWhatWasExpected() {
        let text = malformed(election(electionFields.replacingOccurrences(of: "23", with: #""23""#)))
        #expect(text?.values["field"] == "fields.entitled")
        #expect(text?.values["expected"] == "an integer")
        #expect(text?.values["given"] == #""23""#)
        #expect(text?.english == #"line 7 (ElectOfficer): field "fields.entitled": expected an integer, got "23""#)
        #expect(text?.chinese == #"第7行（ElectOfficer）：字段"fields.entitled"应为整数，实际为"23""#)
        #expect(malformed(election(electionFields.replacingOccurrences(of: "23", with: "23.5")))?.values["given"] == "23.5")
        #expect(malformed(election(electionFields.replacingOccurrences(of: "23", with: "true")))?.values["field"] == "fields.entitled")
        let cadre = malformed(election(electionFields.replacingOccurrences(of: #""C000018""#, with: "18")))
        #expect(cadre?.values["field"] == "fields.cadre")
        #expect(cadre?.values["expected"] == "a cadre id (a string)")
        // In a list, and in an object in a list.
        let session = #"{"command":"RecordStudySession","id":"s","fields":{"session":"S1","organiser":"省委老干部局","format":"readingClass","topic":"党史","heldOn":"2024-05-16","hours":"3","attendees":["C1",2]}}"#
        let hours = malformed(session)
        #expect(hours?.values["field"] == "fields.hours")
        #expect(hours?.values["expected"] == "a number")
        #expect(malformed(session.replacingOccurrences(of: #""3""#, with: "1e400")) != nil)   // no Double: not valid JSON to Foundation
        #expect(malformed(election(electionFields.replacingOccurrences(of: "23", with: "99999999999999999999")))?.values["field"] == "fields.entitled")
        // An integer is written as one: JSONDecoder alone would take these for 23.
        for number in ["23.0", "2.3e1"] {
            let inexact = malformed(election(electionFields.replacingOccurrences(of: "23", with: number)))
            #expect(inexact?.values["field"] == "fields.entitled")
            #expect(inexact?.values["expected"] == "an integer")
        }
        let attendee = malformed(session.replacingOccurrences(of: #""3""#, with: "3"))
        #expect(attendee?.values["field"] == "fields.attendees[1]")
        #expect(attendee?.values["expected"] == "a cadre id (a string)")
        #expect(malformed(session.replacingOccurrences(of: #""3""#, with: "3").replacingOccurrences(of: #"["C1",2]"#, with: #""C1""#))?.values["expected"]
            == "an array [...]")
        let meeting = #"{"command":"RecordMeeting","id":"m","fields":{"meeting":"M1","branch":"B1","kind":"partyLecture","topic":"","heldOn":"2024-04-02","attendees":["C1"],"absentees":[{"cadre":"C2","reason":"住院"},{"cadre":"C3","reason":5}]}}"#
        let reason = malformed(meeting)
        #expect(reason?.values["field"] == "fields.absentees[1].reason")
        #expect(reason?.values["expected"] == "a string")
        #expect(malformed(meeting.replacingOccurrences(of: #"{"cadre":"C2","reason":"住院"}"#, with: #""C2""#))?.values["field"] == "fields.absentees[0]")
        let health = malformed(#"{"command":"ChangeHealth","id":"h","fields":{"cadre":"C1","frail":"yes","limitedMobility":false,"changedOn":"2024-02-01"}}"#)
        #expect(health?.values["expected"] == "true or false")
        // An honour's recipient is one of two keys.
        let both = malformed(#"{"command":"RecordHonour","id":"h","fields":{"recipient":{"cadre":"C1","branch":"B1"},"title":"advancedCollective","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#)
        #expect(both?.values["field"] == "fields.recipient")
        #expect(both?.values["expected"]?.hasPrefix("an object with one key, cadre or branch") == true)
        let plain = malformed(#"{"command":"RecordHonour","id":"h","fields":{"recipient":"C1","title":"silverPioneer","level":"city","year":2024,"awardedOn":"2024-06-28"}}"#)
        #expect(plain?.values["field"] == "fields.recipient")
        #expect(plain?.values["given"] == #""C1""#)
    }

    @Test func anInvalidDateOrEnumerationValueNamesWhatIsAllowed() {
        for bad in ["2024-02-30", "2024/03/15", "15.03.2024", "2024-3-15", ""] {
            let error = malformed(election(electionFields.replacingOccurrences(of: "2024-03-15", with: bad)))
            #expect(error?.values["field"] == "fields.electedOn")
            #expect(error?.values["expected"] == "a date YYYY-MM-DD")
            #expect(error?.values["given"] == "\"\(bad)\"")
            #expect(error?.chinese.contains("应为YYYY-MM-DD格式的日期") == true)
        }
        let role = malformed(election(electionFields.replacingOccurrences(of: "secretary", with: "chair")))
        #expect(role?.values["field"] == "fields.role")
        #expect(role?.values["expected"] == "one of secretary, deputySecretary, committeeMember")
        #expect(role?.english == #"line 7 (ElectOfficer): field "fields.role": expected one of secretary, deputySecretary, committeeMember, got "chair""#)
        #expect(role?.chinese == #"第7行（ElectOfficer）：字段"fields.role"应为以下之一：secretary、deputySecretary、committeeMember，实际为"chair""#)
        let need = malformed(#"{"command":"LogVisit","id":"v","fields":{"visit":"V1","cadre":"C1","kind":"festival","channel":"phone","visitors":["王"],"notes":"","needs":[{"kind":"food","description":"x"}],"visitedOn":"2024-02-08"}}"#)
        #expect(need?.values["field"] == "fields.needs[0].kind")
        #expect(need?.values["expected"] == "one of medical, homeCare, emergency, hardship, other")
    }

    @Test func theProblemReportedFirstIsTheFirstInTheLine() {
        // Several problems: an unknown key first, then the fields in the order of the command's properties.
        let error = malformed(election(#"{"branch":1,"role":"chair","cadre":"C1","electedOn":"x","termYears":3,"entitled":23,"present":21,"votesFor":20,"x":1}"#))
        #expect(error?.values["field"] == "fields.x")
        let next = malformed(election(#"{"branch":1,"role":"chair","cadre":"C1","electedOn":"x","termYears":3,"entitled":23,"present":21,"votesFor":20}"#))
        #expect(next?.values["field"] == "fields.branch")
        // A JSON object's keys come unordered: of two unknown keys, the first in alphabetical order.
        #expect(malformed(election(electionFields.replacingOccurrences(of: "}", with: #","zeta":1,"alpha":2}"#)))?.values["field"] == "fields.alpha")
    }

    @Test func linesRunThroughALedgerRecordTheirEvents() async throws {
        let text = """
            {"command":"RegisterCadre","id":"reg-C1","by":"op-干部处","fields":{"cadre":"C1","name":"张德明","category":"tuixiu","birthDate":"1944-08-15","formerLevel":"departmental","formerUnit":"省水利厅","retiredOn":"2004-09-01","residence":"杭州市西湖区","registeredOn":"2004-10-08"}}
            {"command":"RecordPartyMembership","id":"mem-C1","by":"op-干部处","fields":{"cadre":"C1","joinedOn":"1972-03-01","fullMemberOn":"1973-03-01","recordedOn":"2004-10-08"}}
            {"command":"EstablishBranch","id":"est-B1","by":"op-组织处","fields":{"branch":"B1","name":"第一党支部","type":"standalone","parentOrganisation":"省水利厅机关党委","establishedOn":"2020-01-01"}}
            {"command":"AddMember","id":"add-C1","by":"op-组织处","fields":{"branch":"B1","cadre":"C1","addedOn":"2020-01-02"}}
            # the election, the visit, the medal and the study session
            {"command":"ElectOfficer","id":"elect-B1","by":"op-组织处","correlationID":"换届-2024","fields":{"branch":"B1","role":"secretary","cadre":"C1","electedOn":"2024-03-15","termYears":3,"entitled":23,"present":21,"votesFor":20}}
            {"command":"LogVisit","id":"visit-1","by":"op-老干部处","fields":{"visit":"V1","cadre":"C1","kind":"festival","channel":"inPerson","visitors":["王处长","李干事"],"notes":"春节慰问","needs":[{"kind":"medical","description":"需要陪同就医"}],"visitedOn":"2024-02-08"}}
            {"command":"AwardMedal50","id":"medal-C1","fields":{"cadre":"C1","awardedOn":"2024-07-01"}}
            {"command":"RecordStudySession","id":"study-1","by":"op-宣教处","causationID":"elect-B1","fields":{"session":"S1","organiser":"省委老干部局","format":"centralTraining","topic":"党纪学习教育","heldOn":"2024-05-16","hours":3.5,"attendees":["C1"]}}
            """
        let lines = try CommandJSONLine.parseLines(text)
        #expect(lines.map(\.name) == ["RegisterCadre", "RecordPartyMembership", "EstablishBranch", "AddMember", "ElectOfficer", "LogVisit",
                                      "AwardMedal50", "RecordStudySession"])
        let ledger = try ledger(today: "2024-12-31")
        for line in lines {
            try await ledger.execute(line.command.command, by: line.recordedBy ?? "op-导入", commandID: line.command.commandID,
                                     correlationID: line.command.correlationID, causationID: line.command.causationID)
        }
        let events = try allEvents(ledger.store)
        #expect(events.map(\.eventType) == ["CadreRegistered", "PartyMembershipRecorded", "BranchEstablished", "MemberAdded", "OfficerElected",
                                            "VisitLogged", "Medal50Awarded", "StudySessionRecorded"])
        #expect(events.map(\.metadata.commandID) == lines.map(\.id))
        #expect(events.map(\.metadata.recordedBy) == lines.map { $0.recordedBy ?? "op-导入" })
        let elected = try #require(try events[4].decoded(as: OfficerElected.self, with: Ledger.eventTypes))
        #expect(elected.cadre == "C1" && elected.role == .secretary && elected.votesFor == 20 && elected.termYears == 3)
        #expect(events[4].metadata.correlationID == "换届-2024")
        #expect(events[4].metadata.businessDate == date("2024-03-15"))
        let visit = try #require(try events[5].decoded(as: VisitLogged.self, with: Ledger.eventTypes))
        #expect(visit.needs.map(\.id) == ["V1-1"])
        #expect(visit.visitors == ["王处长", "李干事"])
        #expect(try events[6].decoded(as: Medal50Awarded.self, with: Ledger.eventTypes)?.standingYears == 51)
        let study = try #require(try events[7].decoded(as: StudySessionRecorded.self, with: Ledger.eventTypes))
        #expect(study.hours == 3.5 && study.attendees == ["C1"] && study.format == .centralTraining)
        #expect(events[7].metadata.causationID == "elect-B1")
        // The same lines again, as one batch: every command id is known, nothing more is written.
        let again = try await ledger.execute(lines.map(\.command), by: "op-导入")
        #expect(again.allSatisfy { if case .success = $0 { true } else { false } })
        #expect(ledger.store.nextPosition == UInt64(events.count))
    }

    @Test func theExamplesOfCommandsMDAreOneLinePerCommandAndAllAccepted() async throws {
        let doc = try packageFile("docs/COMMANDS.md")
        // The lines inside ```jsonl fences.
        var blocks: [String] = []
        var current: [Substring]?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```jsonl" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        #expect(current == nil, "an unclosed ```jsonl block")
        let lines = try blocks.flatMap { try CommandJSONLine.parseLines($0) }
        // The first block sets the stage (ids setup-…); then one example per command, in the order of the registry.
        let examples = lines.filter { !$0.id.hasPrefix("setup-") }
        #expect(examples.map(\.name) == CommandJSON.names)
        #expect(Set(lines.map(\.name)) == Set(CommandJSON.names))
        #expect(Set(lines.map(\.id)).count == lines.count, "command ids are unique")
        // The table of enumerations lists every value of each.
        func listed(_ name: String) -> [String] {
            guard let row = doc.split(separator: "\n").first(where: { $0.hasPrefix("| \(name) |") }) else { return [] }
            return row.matches(of: /`(\w+)`/).map { String($0.1) }
        }
        let enumerations: [(String, [String])] = [
            ("CadreCategory", CadreCategory.allCases.map(\.rawValue)), ("FormerLevel", FormerLevel.allCases.map(\.rawValue)),
            ("BranchType", BranchType.allCases.map(\.rawValue)), ("BranchRole", BranchRole.allCases.map(\.rawValue)),
            ("DemonstrationLevel", DemonstrationLevel.allCases.map(\.rawValue)),
            ("DemonstrationReviewOutcome", DemonstrationReviewOutcome.allCases.map(\.rawValue)),
            ("MeetingType", MeetingType.allCases.map(\.rawValue)), ("EvaluationRating", EvaluationRating.allCases.map(\.rawValue)),
            ("StudyFormat", StudyFormat.allCases.map(\.rawValue)), ("VisitKind", VisitKind.allCases.map(\.rawValue)),
            ("VisitChannel", VisitChannel.allCases.map(\.rawValue)), ("NeedKind", NeedKind.allCases.map(\.rawValue)),
            ("HonourTitle", HonourTitle.allCases.map(\.rawValue)), ("HonourLevel", HonourLevel.allCases.map(\.rawValue)),
        ]
        for (name, values) in enumerations { #expect(listed(name) == values, "the values of \(name)") }
        // Every section names its command: "#### ElectOfficer 选举…".
        for name in CommandJSON.names { #expect(doc.contains("### \(name) "), "\(name) has no section") }
        // They tell one story: run in order, every one is accepted.
        let ledger = try ledger(today: "2024-12-31")
        for line in lines {
            do {
                try await ledger.execute(line.command.command, by: line.recordedBy ?? "op-文档", commandID: line.command.commandID,
                                         correlationID: line.command.correlationID, causationID: line.command.causationID)
            } catch {
                Issue.record("docs/COMMANDS.md, \(line.name) \(line.id): \(error)")
            }
        }
    }
}
