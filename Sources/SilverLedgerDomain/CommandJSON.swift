import Foundation
import SilverLedger

/// A domain command that can be written as a line of JSON: every command of
/// the domain is one (docs/COMMANDS.md).
public typealias CodableCommand = DomainCommand & Codable

/// The domain's commands as JSON Lines: one command per line,
///
/// ```
/// {"by":"op-组织处","command":"AwardMedal50","fields":{"awardedOn":"2024-07-01","cadre":"C000017"},"id":"medal-2024-C000017"}
/// ```
///
/// `command` (the command's stable name), `id` (the command id) and `fields`
/// (the command's properties, by their Swift names) are required; `by` (the
/// operator), `correlationID` and `causationID` are optional. Reading is
/// strict: a line that is not JSON, lacks a key, has a key no command knows or
/// a value of the wrong type is refused as a whole with `input.malformed`,
/// naming the line and the field (``CommandJSONLine/parse(_:lineNumber:)``).
public enum CommandJSON {
    /// Every command of the domain by its stable name (the Swift type name),
    /// in the order of the eight groups of DOMAIN.md. A name never changes.
    public static let commands: [(name: String, type: any CodableCommand.Type)] = registry.map { ($0.name, type(of: $0.sample)) }

    /// The commands, each with a value of it: placeholders, never recorded.
    /// Strict reading learns from it what the command's `fields` look like
    /// (`Shape`), which a decoder does not tell: the keys at every depth,
    /// and what each value is (an id, a date, one of an enumeration's values).
    /// A list in a sample holds one element, to show their shape.
    private static let registry: [(name: String, sample: any CodableCommand)] = {
        let day = LedgerDate(daysSinceEpoch: 0)
        return [
            // 1. Cadre register (离退休干部登记)
            ("RegisterCadre", RegisterCadre(cadre: "", name: "", category: .lixiu, birthDate: day, formerLevel: .provincial, formerUnit: "",
                                            retiredOn: day, residence: "", registeredOn: day)),
            ("RecordPartyMembership", RecordPartyMembership(cadre: "", joinedOn: day, fullMemberOn: day, recordedOn: day)),
            ("CorrectPartyMembership", CorrectPartyMembership(cadre: "", joinedOn: day, fullMemberOn: day, reason: "", correctedOn: day)),
            ("ChangeResidence", ChangeResidence(cadre: "", residence: "", changedOn: day)),
            ("MarkRelocated", MarkRelocated(cadre: "", relocated: false, markedOn: day)),
            ("ChangeHealth", ChangeHealth(cadre: "", frail: false, limitedMobility: false, changedOn: day)),
            ("RecordDeath", RecordDeath(cadre: "", diedOn: day, recordedOn: day)),
            ("RecordHonourableRetirement", RecordHonourableRetirement(cadre: "", honouredOn: day)),
            // 2. Branches (离退休干部党支部)
            ("EstablishBranch", EstablishBranch(branch: "", name: "", type: .standalone, parentOrganisation: "", establishedOn: day)),
            ("AddMember", AddMember(branch: "", cadre: "", addedOn: day)),
            ("RemoveMember", RemoveMember(branch: "", cadre: "", reason: "", removedOn: day)),
            ("TransferMember", TransferMember(cadre: "", from: "", to: "", transferredOn: day)),
            ("ElectOfficer", ElectOfficer(branch: "", role: .secretary, cadre: "", electedOn: day, entitled: 0, present: 0, votesFor: 0)),
            ("AppointLiaison", AppointLiaison(branch: "", name: "", unit: "", appointedOn: day)),
            ("DesignateDemonstration", DesignateDemonstration(branch: "", batch: "", level: .county, designatedOn: day)),
            ("RecordDemonstrationReview", RecordDemonstrationReview(branch: "", outcome: .passed, reviewedOn: day)),
            ("RegisterBrand", RegisterBrand(branch: "", name: "", method: "", registeredOn: day)),
            ("DissolveBranch", DissolveBranch(branch: "", dissolvedOn: day)),
            // 3. Organisational life (组织生活)
            ("RecordMeeting", RecordMeeting(meeting: "", branch: "", kind: .generalMeeting, heldOn: day, attendees: [""],
                                            absentees: [MeetingAbsence(cadre: "", reason: "")])),
            ("DeliverStudyAtHome", DeliverStudyAtHome(meeting: "", cadre: "", deliveredOn: day)),
            ("RecordDemocraticEvaluation", RecordDemocraticEvaluation(branch: "", cadre: "", year: 0, rating: .excellent, evaluatedOn: day)),
            // 4. Study (学习)
            ("RecordStudySession", RecordStudySession(session: "", organiser: "", format: .centralTraining, topic: "", heldOn: day, hours: 0,
                                                      attendees: [""])),
            ("RecordQuizResult", RecordQuizResult(cadre: "", quiz: "", score: 0, takenOn: day)),
            // 5. Visits and care (走访慰问, 精准服务)
            ("LogVisit", LogVisit(visit: "", cadre: "", kind: .festival, channel: .inPerson, visitors: [""],
                                  needs: [LogVisit.Need(kind: .medical, description: "")], visitedOn: day)),
            ("FollowUpNeed", FollowUpNeed(need: "", action: "", resolved: false, followedUpOn: day)),
            ("CreateCarePlan", CreateCarePlan(cadre: "", contact: "", measures: "", createdOn: day)),
            ("RecordHardshipAssistance", RecordHardshipAssistance(cadre: "", amountFen: 0, purpose: "", assistedOn: day)),
            ("RecordHomeCareService", RecordHomeCareService(cadre: "", service: "", servedOn: day)),
            ("RecordHomeAdaptation", RecordHomeAdaptation(cadre: "", adaptation: "", completedOn: day)),
            // 6. Honours (政治荣誉)
            ("AwardMedal50", AwardMedal50(cadre: "", awardedOn: day)),
            ("RecordPoliticalBirthday", RecordPoliticalBirthday(cadre: "", organiser: "", heldOn: day)),
            ("RecordHonour", RecordHonour(recipient: .cadre(""), title: .advancedIndividual, level: .province, year: 0, awardedOn: day)),
            // 7. Contribution (作用发挥)
            ("RegisterTalent", RegisterTalent(cadre: "", expertise: [""], registeredOn: day)),
            ("EstablishWorkstation", EstablishWorkstation(workstation: "", unit: "", establishedOn: day)),
            ("FormVolunteerTeam", FormVolunteerTeam(team: "", name: "", formedOn: day)),
            ("JoinVolunteerTeam", JoinVolunteerTeam(team: "", cadre: "", joinedOn: day)),
            ("RecordVolunteerService", RecordVolunteerService(team: "", participants: [""], activity: "", servedOn: day, hours: 0)),
            ("EstablishStudio", EstablishStudio(studio: "", name: "", lead: "", establishedOn: day)),
            ("RecordLecture", RecordLecture(lecture: "", speaker: "", topic: "", audience: 0, heldOn: day)),
            // 8. Mobile members (流动党员)
            ("RegisterOutflow", RegisterOutflow(cadre: "", fromBranch: "", destination: "", reason: "", since: day)),
            ("AcceptInflow", AcceptInflow(cadre: "", receivingOrganisation: "", acceptedOn: day)),
            ("RecordReturn", RecordReturn(cadre: "", returnedOn: day)),
        ]
    }()

    /// The names of ``commands``, in their order.
    public static var names: [String] { commands.map(\.name) }

    private static let typesByName: [String: any CodableCommand.Type] =
        Dictionary(commands.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
    private static let namesByType: [ObjectIdentifier: String] =
        Dictionary(commands.map { (ObjectIdentifier($0.type), $0.name) }, uniquingKeysWith: { first, _ in first })
    fileprivate static let shapes: [String: Shape] =
        Dictionary(registry.map { ($0.name, Shape(of: $0.sample)) }, uniquingKeysWith: { first, _ in first })

    /// The command type of this name (case-sensitive), or nil.
    public static func commandType(named name: String) -> (any CodableCommand.Type)? { typesByName[name] }

    /// The stable name of a command type, or nil if it is not one of ``commands``.
    public static func name(of type: any DomainCommand.Type) -> String? { namesByType[ObjectIdentifier(type)] }
}

/// One command as a line of JSON (docs/COMMANDS.md): read with
/// ``parse(_:lineNumber:)`` or ``parseLines(_:)``, written with ``json()``.
///
/// ```swift
/// let lines = try CommandJSONLine.parseLines(text)          // all lines, or the first bad one
/// let results = try await ledger.execute(lines.map(\.command), by: "op-导入")
/// ```
public struct CommandJSONLine: Sendable {
    /// The command's stable name, e.g. `ElectOfficer` (see ``CommandJSON/commands``).
    public let name: String
    /// The command itself: the line's `fields`.
    public let domainCommand: any CodableCommand
    /// The command id (`id`): the same id sent again is recorded once.
    public let id: String
    /// The operator who records the command (`by`), if the line names one.
    public let recordedBy: String?
    /// The line's `correlationID`, if any.
    public let correlationID: String?
    /// The line's `causationID`, if any.
    public let causationID: String?
    /// The line's number in the text it was read from (the first line is 1); 0 if not read from text.
    public let lineNumber: Int
}

// An extension, to keep the memberwise initializer.
extension CommandJSONLine {
    /// A line for `command`; its ``name`` is the registered name of its type
    /// (``CommandJSON/name(of:)``), or the type's name if it is not registered.
    public init(_ command: some CodableCommand, id: String, recordedBy: String? = nil,
                correlationID: String? = nil, causationID: String? = nil, lineNumber: Int = 0) {
        self.init(name: CommandJSON.name(of: type(of: command)) ?? String(describing: type(of: command)), domainCommand: command, id: id,
                  recordedBy: recordedBy, correlationID: correlationID, causationID: causationID, lineNumber: lineNumber)
    }

    /// The command as `Ledger.execute` takes it, with its id, correlation and causation ids.
    /// (The operator is ``recordedBy``; the ledger takes it per call or batch.)
    public var command: LedgerCommand {
        LedgerCommand(domainCommand, id: id, correlationID: correlationID, causationID: causationID)
    }

    /// The keys a line may have.
    static let keys = ["command", "id", "by", "correlationID", "causationID", "fields"]

    /// Reads one line. Refuses it with `input.malformed` (``DomainError/Code/malformedInput``)
    /// if it is not a JSON object; lacks `command`, `id` or `fields`; names an
    /// unknown command; has a key or a field the command does not have (a key
    /// given as `null` only where the property is optional); lacks a field;
    /// or has a value of the wrong type, a date not of the form `YYYY-MM-DD`
    /// or a value not among an enumeration's. The error's values name the
    /// `line` (`lineNumber`) and, where known, the `command`, the `field` (its
    /// path in the line, e.g. `fields.absentees[1].reason`), what was
    /// `expected` and what was `given`.
    public static func parse(_ line: String, lineNumber: Int) throws(DomainError) -> CommandJSONLine {
        var report = Malformed(line: lineNumber)
        let data = Data(line.utf8)
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw report.notJSON(error)
        }
        guard let top = root as? [String: Any] else {
            throw report.error("expected a JSON object {…}, got \(shown(root).english)", "应为JSON对象{…}，实际为\(shown(root).chinese)",
                               expected: .object, given: root)
        }
        // The keys of a JSON object come unordered: the first unknown one is the first in sorted order.
        if let unknown = top.keys.sorted().first(where: { !keys.contains($0) }) {
            throw report.unknown(unknown, key: unknown, known: keys, in: "a line", "每行")
        }
        let commandName = try string("command", in: top, expected: .commandName, report)
        guard let type = CommandJSON.commandType(named: commandName), let shape = CommandJSON.shapes[commandName] else {
            throw report.unknownCommand(commandName)
        }
        report.command = commandName
        let id = try string("id", in: top, expected: .nonEmptyString, report)
        let by = try optionalString("by", in: top, report)
        let correlationID = try optionalString("correlationID", in: top, report)
        let causationID = try optionalString("causationID", in: top, report)
        guard let given = top["fields"] else { throw report.missing("fields", .object) }
        guard let fields = given as? [String: Any] else { throw report.unexpected("fields", .object, given: given) }
        let command = try decode(type, fields: fields, shape: shape, line: data, report)
        return CommandJSONLine(name: commandName, domainCommand: command, id: id, recordedBy: by,
                               correlationID: correlationID, causationID: causationID, lineNumber: lineNumber)
    }

    /// Reads every line of `text` (lines end with `\n` or `\r\n`), skipping
    /// blank lines and lines whose first non-blank character is `#`. All lines
    /// are read before any is returned: the first malformed one throws (see
    /// ``parse(_:lineNumber:)``), with its number counted from 1 over all lines.
    public static func parseLines(_ text: String) throws(DomainError) -> [CommandJSONLine] {
        var result: [CommandJSONLine] = []
        var number = 0
        // Split as bytes: as Characters, "\r\n" is one, and a line would not end at its "\n".
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var bytes = raw[...]
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            if number == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }   // a byte order mark
            guard let first = bytes.first(where: { !" \t\r".utf8.contains($0) }), first != UInt8(ascii: "#") else { continue }
            result.append(try parse(String(decoding: bytes, as: UTF8.self), lineNumber: number))
        }
        return result
    }

    /// The line as JSON: one line (no newline), keys sorted, `fields` holding
    /// the command's properties; absent optional keys are left out. A
    /// non-finite number (which no command accepts) is written as a string.
    /// ``parse(_:lineNumber:)`` reads it back to the same command.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        func envelope(_ fields: some Encodable) -> some Encodable {
            Envelope(command: name, id: id, by: recordedBy, correlationID: correlationID, causationID: causationID, fields: fields)
        }
        do {
            return String(decoding: try encoder.encode(envelope(domainCommand)), as: UTF8.self)
        } catch {
            // The domain's commands hold strings, numbers, dates and lists of them: they always encode.
            preconditionFailure("command \(name) could not be written as JSON: \(error)")
        }
    }

    /// A line as JSONEncoder writes it (leaving out the keys that are nil).
    private struct Envelope<Fields: Encodable>: Encodable {
        let command: String, id: String, by: String?, correlationID: String?, causationID: String?, fields: Fields
    }

    private static func string(_ key: String, in object: [String: Any], expected: Expected, _ report: Malformed) throws(DomainError) -> String {
        guard let value = object[key] else { throw report.missing(key, expected) }
        guard let text = value as? String, !text.isEmpty else { throw report.unexpected(key, expected, given: value) }
        return text
    }

    /// Absent or null: nil; otherwise a non-empty string.
    private static func optionalString(_ key: String, in object: [String: Any], _ report: Malformed) throws(DomainError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String, !text.isEmpty else { throw report.unexpected(key, .nonEmptyString, given: value) }
        return text
    }

    /// The line's `fields` as a command of `type`. First every key must be one
    /// the command knows, at any depth: a decoder passes over the others, so a
    /// typo (`votesfor`) would be reported as the field it misses. Then
    /// JSONDecoder reads the command from the line; its first error, in the
    /// order of the command's properties, is the line's problem.
    private static func decode(_ type: any CodableCommand.Type, fields: [String: Any], shape: Shape, line: Data,
                               _ report: Malformed) throws(DomainError) -> any CodableCommand {
        // JSONDecoder takes 23.0 or 2.3e1 for the integer 23 and (on Linux) refuses 23.5 without saying where: such a number is found here.
        var inexact: (path: String, value: Any)?
        try forEachValue(fields, shape, at: "fields") { value, shape, path throws(DomainError) in
            if case .object(let known, _) = shape, let object = value as? [String: Any],
               let unknown = object.keys.sorted().first(where: { key in !known.contains { $0.key == key } }) {
                let owner = path == "fields" ? report.command ?? "the command" : path
                throw report.unknown("\(path).\(unknown)", key: unknown, known: known.map(\.key), in: owner, owner)
            }
            if case .value(.integer) = shape, let value, inexact == nil, !isInteger(value) { inexact = (path, value) }
        }
        let command: any CodableCommand
        do {
            command = try decodeFields(type, from: line)
        } catch let error as DecodingError {
            let field: String
            switch error {
            case .keyNotFound(let key, let context): field = render(context.codingPath + [key])
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): field = render(context.codingPath)
            @unknown default: field = ""
            }
            if field.isEmpty, let inexact { throw report.unexpected(inexact.path, .integer, given: inexact.value) }
            // What the line gives where JSONDecoder stopped, and what it should be there.
            var found: (value: Any?, shape: Shape)?
            try? forEachValue(fields, shape, at: "fields") { value, shape, path in
                if found == nil, path == field { found = (value, shape) }
            }
            guard let found else { throw report.unreadable(type) }
            guard let given = found.value else { throw report.missing(field, found.shape.expected) }
            throw report.unexpected(field, found.shape.expected, given: given)
        } catch {
            throw report.unreadable(type)   // not from JSONDecoder: none of the domain's types throws another error
        }
        if let inexact { throw report.unexpected(inexact.path, .integer, given: inexact.value) }
        return command
    }

    /// Opens the existential: JSONDecoder needs the command's static type.
    private static func decodeFields<C: CodableCommand>(_: C.Type, from line: Data) throws -> C {
        try JSONDecoder().decode(Fields<C>.self, from: line).fields
    }

    /// A line as JSONDecoder reads it: the other keys are checked before.
    private struct Fields<C: Decodable>: Decodable {
        let fields: C
    }
}

// MARK: - What a line's fields look like

/// What a value in a line's `fields` must be, learned from a sample value
/// (``CommandJSON``'s registry): a struct's keys are its stored properties,
/// in order (by `Mirror`: the commands' `Codable` conformances are
/// synthesized, so their keys are the properties' names); a list's elements
/// are like its first; any other value is written as its type says.
private indirect enum Shape: Sendable {
    case value(Expected)
    case list(of: Shape)
    case object([(key: String, shape: Shape)], Expected)

    init(of sample: Any) {
        let mirror = Mirror(reflecting: sample)
        switch type(of: sample) {
        case let shaped as any JSONShaped.Type: self = shaped.jsonShape
        case is String.Type: self = .value(.string)
        case is Bool.Type: self = .value(.bool)
        case is any FixedWidthInteger.Type: self = .value(.integer)
        case is any BinaryFloatingPoint.Type: self = .value(.number)
        case is LedgerDate.Type: self = .value(.date)
        case let enumeration as any (CaseIterable & RawRepresentable).Type: self = .value(.oneOf(rawValues(of: enumeration)))
        case _ where mirror.displayStyle == .collection:
            guard let first = mirror.children.first else { preconditionFailure("a list in a sample needs an element, to show their shape") }
            self = .list(of: Shape(of: first.value))
        default:
            self = .object(mirror.children.map { ($0.label ?? "", Shape(of: $0.value)) }, .object)
        }
    }

    var expected: Expected {
        switch self {
        case .value(let expected), .object(_, let expected): expected
        case .list: .array
        }
    }
}

/// A type whose JSON its Swift type does not tell.
private protocol JSONShaped {
    static var jsonShape: Shape { get }
}

extension Identifier: JSONShaped {
    fileprivate static var jsonShape: Shape {
        .value(Expected(english: "a \(Kind.streamPrefix) id (a string)", chinese: "编号（字符串）"))
    }
}

extension HonourRecipient: JSONShaped {
    fileprivate static var jsonShape: Shape {
        .object([("cadre", CadreID.jsonShape), ("branch", BranchID.jsonShape)],
                Expected(english: "an object with one key, cadre or branch (e.g. {\"cadre\":\"C000017\"})",
                         chinese: "只含cadre或branch一个键的对象（如{\"cadre\":\"C000017\"}）"))
    }
}

/// Calls `body` with `value` and every value inside it that `shape` knows,
/// each at its path (`fields.absentees[1].reason`), outer before inner, in
/// the order of the shape's keys; a key the shape has and the object lacks,
/// with nil.
private func forEachValue(_ value: Any?, _ shape: Shape, at path: String,
                          _ body: (Any?, Shape, String) throws(DomainError) -> Void) throws(DomainError) {
    try body(value, shape, path)
    switch (shape, value) {
    case (.list(let element), let elements as [Any]):
        for (index, item) in elements.enumerated() { try forEachValue(item, element, at: "\(path)[\(index)]", body) }
    case (.object(let fields, _), let object as [String: Any]):
        for field in fields { try forEachValue(object[field.key], field.shape, at: "\(path).\(field.key)", body) }
    default:
        break
    }
}

/// JSONSerialization reads `true` and `false` as NSNumbers of a class of
/// their own; `is Bool` cannot tell them (on Linux, the NSNumber 1 is a Bool too).
private func isBool(_ number: NSNumber) -> Bool { type(of: number) == type(of: NSNumber(value: true)) }

/// Whether `value`, if a number, is an integer as written (`23`, not `23.0`
/// or `2.3e1`) that an Int holds. Anything else is for the decoder to judge.
private func isInteger(_ value: Any) -> Bool {
    guard let number = value as? NSNumber, !isBool(number) else { return true }
    // A number with a fraction or an exponent is read as a Double; one too long for an Int, as an NSDecimalNumber.
    let floating = !(number is NSDecimalNumber) && "df".contains(String(cString: number.objCType))
    return !floating && Int(number.stringValue) != nil
}

// MARK: - Reporting

/// What a value should have been, in both languages.
private struct Expected: Sendable, Equatable {
    var english: String
    var chinese: String

    static let string = Expected(english: "a string", chinese: "字符串")
    static let nonEmptyString = Expected(english: "a non-empty string", chinese: "非空字符串")
    static let commandName = Expected(english: "a command name (a string such as \"ElectOfficer\")", chinese: "指令名称（字符串，如\"ElectOfficer\"）")
    static let integer = Expected(english: "an integer", chinese: "整数")
    static let number = Expected(english: "a number", chinese: "数字")
    static let bool = Expected(english: "true or false", chinese: "true或false")
    static let array = Expected(english: "an array [...]", chinese: "数组[...]")
    static let object = Expected(english: "an object {...}", chinese: "对象{...}")
    static let date = Expected(english: "a date YYYY-MM-DD", chinese: "YYYY-MM-DD格式的日期")

    static func oneOf(_ values: [String]) -> Expected {
        Expected(english: "one of " + values.joined(separator: ", "), chinese: "以下之一：" + values.joined(separator: "、"))
    }
}

private func rawValues<E: CaseIterable & RawRepresentable>(of _: E.Type) -> [String] { E.allCases.map { "\($0.rawValue)" } }

/// A value as a message shows it: scalars as written (long strings cut), containers by kind.
private func shown(_ value: Any) -> (english: String, chinese: String) {
    switch value {
    case let text as String:
        let quoted = text.count > 40 ? "\"\(text.prefix(40))…\"" : "\"\(text)\""
        return (quoted, quoted)
    case let number as NSNumber:
        let text = isBool(number) ? "\(number.boolValue)" : number.stringValue
        return (text, text)
    case is [Any]:
        return ("an array", "数组")
    case let object as [String: Any] where object.isEmpty:
        return ("an empty object {}", "空对象{}")
    case let object as [String: Any]:
        let keys = object.keys.sorted()
        return ("an object with the keys " + keys.joined(separator: ", "), "含键" + keys.joined(separator: "、") + "的对象")
    default:
        return ("null", "null")
    }
}

/// Builds the `input.malformed` errors of one line.
private struct Malformed {
    let line: Int
    var command: String?

    func error(_ english: String, _ chinese: String, field: String? = nil, expected: Expected? = nil, given: Any? = nil,
               _ more: [String: String] = [:]) -> DomainError {
        var values = ["line": "\(line)"]
        if let command { values["command"] = command }
        if let field { values["field"] = field }
        if let expected { values["expected"] = expected.english }
        if let given { values["given"] = shown(given).english }
        values.merge(more) { _, new in new }
        return DomainError(.malformedInput,
                           english: "line \(line)\(command.map { " (\($0))" } ?? ""): \(english)",
                           chinese: "第\(line)行\(command.map { "（\($0)）" } ?? "")：\(chinese)",
                           values: values)
    }

    /// Foundation's account of what is wrong (English only, and worded per platform) is a value, not part of the message.
    func notJSON(_ problem: any Error) -> DomainError {
        let detail = (problem as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        return error("not valid JSON", "不是有效的JSON", expected: .object, detail.map { ["detail": $0] } ?? [:])
    }

    func missing(_ field: String, _ expected: Expected) -> DomainError {
        error("missing field \"\(field)\" (expected \(expected.english))", "缺少字段\"\(field)\"（应为\(expected.chinese)）",
              field: field, expected: expected)
    }

    func unexpected(_ field: String, _ expected: Expected, given: Any) -> DomainError {
        error("field \"\(field)\": expected \(expected.english), got \(shown(given).english)",
              "字段\"\(field)\"应为\(expected.chinese)，实际为\(shown(given).chinese)",
              field: field, expected: expected, given: given)
    }

    /// An unknown `key`, at `field` (its path), in an object whose keys are `known`.
    func unknown(_ field: String, key: String, known: [String], in owner: String, _ 所属: String) -> DomainError {
        if let suggestion = closest(to: key, among: known) {
            return error("unknown field \"\(field)\" (did you mean \"\(suggestion)\"?)", "未知字段\"\(field)\"（是否应为\"\(suggestion)\"？）",
                         field: field, ["closest": suggestion])
        }
        let list = known.joined(separator: ", ")
        return error("unknown field \"\(field)\"; the fields of \(owner) are: \(list)", "未知字段\"\(field)\"；\(所属)的字段为：\(list)",
                     field: field)
    }

    func unknownCommand(_ name: String) -> DomainError {
        if let suggestion = closest(to: name, among: CommandJSON.names) {
            return error("unknown command \"\(name)\" (did you mean \"\(suggestion)\"?)", "未知指令\"\(name)\"（是否应为\"\(suggestion)\"？）",
                         expected: .commandName, ["command": name, "closest": suggestion])
        }
        let list = CommandJSON.names.joined(separator: ", ")
        return error("unknown command \"\(name)\"; the commands are: \(list)", "未知指令\"\(name)\"；可用指令为：\(list)",
                     expected: .commandName, ["command": name])
    }

    func unreadable(_ type: any CodableCommand.Type) -> DomainError {
        error("the fields could not be read as \(type)", "字段无法读取为\(type)", field: "fields")
    }
}

/// The candidate nearest `word`, ignoring case, if it is at most a few
/// edits away (characters inserted or removed; a substitution is two).
private func closest(to word: String, among candidates: [String]) -> String? {
    let target = Array(word.lowercased())
    let limit = max(2, target.count / 4)
    var best: (word: String, distance: Int)?
    for candidate in candidates {
        let letters = Array(candidate.lowercased())
        // The lengths' difference is a lower bound on the distance: skip the diff when it already rules a word out.
        guard abs(letters.count - target.count) <= min(limit, best.map { $0.distance - 1 } ?? limit) else { continue }
        let distance = letters.difference(from: target).count
        if distance <= limit, distance < best?.distance ?? .max { best = (candidate, distance) }
    }
    return best?.word
}

/// `fields.absentees[1].reason`.
private func render(_ path: [any CodingKey]) -> String {
    path.reduce("") { text, key in key.intValue.map { "\(text)[\($0)]" } ?? (text.isEmpty ? key.stringValue : "\(text).\(key.stringValue)") }
}
