// What a GRDB user of the domain would write to turn a row's JSON payload
// back into the typed event: a table from the stored type name to
// `JSONDecoder().decode(T.self, from:)`.
import Foundation
import SilverLedger
import SilverLedgerDomain

typealias JSONPayloadDecoder = @Sendable (JSONDecoder, Data) throws -> any Event

/// Every domain event type by its stable name, with its schema version and its JSON decoder.
let domainJSONDecoders: [String: (schemaVersion: Int, decode: JSONPayloadDecoder)] = {
    var table: [String: (schemaVersion: Int, decode: JSONPayloadDecoder)] = [:]
    func add<E: Event>(_: E.Type) {
        table[E.eventType] = (E.schemaVersion, { decoder, data in try decoder.decode(E.self, from: data) })
    }
    // Cadres
    add(CadreRegistered.self); add(PartyMembershipRecorded.self); add(PartyMembershipCorrected.self); add(DeathRecorded.self)
    add(ResidenceChanged.self); add(RelocationMarked.self); add(HealthChanged.self); add(HonourableRetirementRecorded.self)
    // Branches
    add(BranchEstablished.self); add(MemberAdded.self); add(MemberRemoved.self); add(MemberTransferred.self)
    add(OfficerElected.self); add(BranchDissolved.self); add(LiaisonAppointed.self); add(DemonstrationDesignated.self)
    add(DemonstrationReviewed.self); add(BrandRegistered.self)
    // Care
    add(VisitLogged.self); add(NeedFollowedUp.self); add(CarePlanCreated.self); add(HardshipAssistanceRecorded.self)
    add(HomeCareServiceRecorded.self); add(HomeAdaptationRecorded.self)
    // Study
    add(StudySessionRecorded.self); add(QuizResultRecorded.self)
    // Honours
    add(Medal50Awarded.self); add(PoliticalBirthdayRecorded.self); add(HonourRecorded.self)
    // Organisational life
    add(MeetingRecorded.self); add(StudyDeliveredAtHome.self); add(DemocraticEvaluationRecorded.self)
    // Mobile members
    add(OutflowRegistered.self); add(InflowAccepted.self); add(MobileMemberReturned.self)
    // Contribution
    add(TalentRegistered.self); add(WorkstationEstablished.self); add(VolunteerTeamFormed.self); add(VolunteerTeamJoined.self)
    add(VolunteerServiceRecorded.self); add(StudioEstablished.self); add(LectureRecorded.self)
    return table
}()

/// Checks that the table above covers every type the domain registers.
func checkDomainJSONDecoders() {
    let missing = Ledger.eventTypes.names.filter { domainJSONDecoders[$0] == nil }
    precondition(missing.isEmpty, "compare: no JSON decoder for domain event types \(missing)")
}

/// The payload of a line of the JSON form (docs/EVENTS.md): the value of its
/// last key, `payload`. Inside a JSON string every `"` is escaped, so the first
/// `,"payload":` outside one is the key.
func payloadOfJSONLine(_ line: String) -> String {
    var bytes = Array(line.utf8)
    let key = Array(#","payload":"#.utf8)
    precondition(bytes.last == UInt8(ascii: "}"), "not a line of the JSON form: \(line)")
    var i = 0
    var inString = false
    var escaped = false
    while i < bytes.count {
        let b = bytes[i]
        if inString {
            if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
        } else if b == UInt8(ascii: ","), bytes[i...].starts(with: key) {
            bytes.removeLast()   // the line's closing brace
            return String(decoding: bytes[(i + key.count)...], as: UTF8.self)
        } else if b == UInt8(ascii: "\"") {
            inString = true
        }
        i += 1
    }
    preconditionFailure("no payload in line: \(line)")
}
