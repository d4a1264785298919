import Foundation
import Testing

@testable import SilverLedger

private struct VisitLoggedV1: Codable, Sendable {
    var cadre: String
    var kind: String
}

private struct VisitLogged: Event {
    static let eventType = "VisitLogged"
    static let schemaVersion = 2
    enum Channel: String, Codable, Sendable { case inPerson, phone, video }
    var cadre: String
    var kind: String
    var channel: Channel
    var visitedOn: LedgerDate
}

private struct MedalAwarded: Event {
    static let eventType = "MedalAwarded"
    var cadre: String
}

@Suite("Dates, event types and the envelope")
struct EventModelTests {
    @Test func ledgerDatesConvertBothWays() {
        for (text, days) in [("1970-01-01", 0), ("1969-12-31", -1), ("2000-02-29", 11016), ("2024-07-01", 19905), ("1949-10-01", -7397)] {
            let date = LedgerDate(text)
            #expect(date?.daysSinceEpoch == Int32(days), "\(text)")
            #expect(date?.description == text)
        }
        // Every day of four centuries round-trips through its components.
        for days in stride(from: -80_000, through: 80_000, by: 1) {
            let d = LedgerDate(daysSinceEpoch: Int32(days))
            let (y, m, day) = d.components
            #expect(LedgerDate(year: y, month: m, day: day) == d)
        }
        #expect(LedgerDate("2023-02-29") == nil)
        #expect(LedgerDate("2024-13-01") == nil)
        #expect(LedgerDate("2024-7-1") == nil)
        #expect(LedgerDate("") == nil)
        // Digits only: no signs, spaces or other numerals.
        for text in ["+024-02-09", "2024-+2-09", "2024-02-+9", " 024-02-09", "2024-02-09 ", "２０２４-02-09", "2024/02/09", "20240-2-09"] {
            #expect(LedgerDate(text) == nil, "\(text)")
        }
    }

    @Test func addingYearsTreats29FebruaryAs28InOtherYears() {
        #expect(LedgerDate("1972-02-29")!.adding(years: 50).description == "2022-02-28")
        #expect(LedgerDate("1972-02-29")!.adding(years: 52).description == "2024-02-29")
        #expect(LedgerDate("1974-07-01")!.adding(years: 50).description == "2024-07-01")
        // Beyond the years a date can have, the first or last of them; never a trap.
        #expect(LedgerDate("2024-05-06")!.adding(years: 1_000_000).description == "9999-05-06")
        #expect(LedgerDate("2024-02-29")!.adding(years: .max).description == "9999-02-28")
        #expect(LedgerDate("2024-05-06")!.adding(years: .min).description == "-9999-05-06")
        #expect(LedgerDate("2024-07-01")!.days(to: LedgerDate("2024-09-29")!) == 90)
    }

    @Test func ledgerDatesAreCompactInTheBinaryCodecAndTextInJSON() throws {
        let date = LedgerDate("2024-07-01")!
        #expect(try BinaryEncoder().encode(date).count == 3)
        #expect(try BinaryDecoder().decode(LedgerDate.self, from: BinaryEncoder().encode(date)) == date)
        #expect(String(decoding: try JSONEncoder().encode([date]), as: UTF8.self) == #"["2024-07-01"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([LedgerDate].self, from: Data(#"["2024-02-30"]"#.utf8)) }
    }

    @Test func oldVersionsAreUpcastOnRead() throws {
        var types = EventTypes()
        types.register(VisitLogged.self)
        types.register(VisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
            VisitLogged(cadre: old.cadre, kind: old.kind, channel: .inPerson, visitedOn: LedgerDate(daysSinceEpoch: 0))
        }
        #expect(types.knows("VisitLogged", version: 1))
        #expect(types.knows("VisitLogged", version: 2))
        #expect(!types.knows("VisitLogged", version: 3))
        #expect(types.names == ["VisitLogged"])

        let old = try BinaryEncoder().encode(VisitLoggedV1(cadre: "cadre-1", kind: "生日慰问"))
        let recorded = RecordedEvent(position: 0, streamID: "cadre-1", streamVersion: 0, eventType: "VisitLogged", schemaVersion: 1,
                                     recordedAt: 0, metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 1), recordedBy: "op", commandID: "c1"),
                                     payload: old)
        let upcast = try #require(try recorded.decoded(as: VisitLogged.self, with: types))
        #expect(upcast.kind == "生日慰问")
        #expect(upcast.channel == .inPerson)
        #expect(try recorded.decoded(as: MedalAwarded.self, with: types) == nil)
    }

    @Test func thePayloadDecoderOfAReplayGivesWhatTheRegistryGivesForEveryTypeItMeets() throws {
        var types = EventTypes()
        types.register(VisitLogged.self)
        types.register(VisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
            VisitLogged(cadre: old.cadre, kind: old.kind, channel: .inPerson, visitedOn: LedgerDate(daysSinceEpoch: 0))
        }
        types.register(MedalAwarded.self)
        func event(_ type: String, _ version: Int, _ payload: [UInt8]) -> RecordedEvent {
            RecordedEvent(position: 0, streamID: "s", streamVersion: 0, eventType: type, schemaVersion: version, recordedAt: 0,
                          metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 1), recordedBy: "op", commandID: "c"), payload: payload)
        }
        let medal = event("MedalAwarded", 1, try BinaryEncoder().encode(MedalAwarded(cadre: "cadre-7")))
        let old = event("VisitLogged", 1, try BinaryEncoder().encode(VisitLoggedV1(cadre: "cadre-1", kind: "生日慰问")))
        var decoder = EventTypes.PayloadDecoder(types)
        for _ in 0..<2 {
            #expect((try decoder.decode(medal, slot: 0) as? MedalAwarded)?.cadre == "cadre-7")
            #expect((try decoder.decode(old, slot: 1) as? VisitLogged)?.channel == .inPerson)
        }
        // A slot given to another name since (more types than slots): never the old decoder.
        #expect(try decoder.decode(event("Unknown", 1, [1, 2, 3]), slot: 0) == nil)
        #expect((try decoder.decode(medal, slot: 0) as? MedalAwarded)?.cadre == "cadre-7")
        #expect((try decoder.decode(old, slot: 0) as? VisitLogged)?.kind == "生日慰问")
        // Same name, another version, same slot: not confused with the one remembered.
        #expect(try decoder.decode(event("MedalAwarded", 2, [0]), slot: 1) == nil)
        #expect((try decoder.decode(medal, slot: 1) as? MedalAwarded)?.cadre == "cadre-7")

        // The envelope decoder gives each name a slot, the same while it holds it,
        // in turn when there are more names than slots.
        var envelopes = EnvelopeDecoder()
        func read(_ type: String) throws -> (String, Int) {
            let bytes = EnvelopeCodec.encode(streamID: "s", streamVersion: 0, eventType: type, schemaVersion: 1,
                                             metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 0), recordedBy: "op", commandID: "c"),
                                             payload: [])
            let e = try envelopes.decode(bytes[...], position: 0, recordedAt: 0)
            return (e.eventType, envelopes.typeSlot)
        }
        var slotOf: [String: Int] = [:]
        for i in 0..<TypeNames.capacity {
            let (name, slot) = try read("Type\(i)")
            #expect(name == "Type\(i)")
            slotOf[name] = slot
        }
        #expect(Set(slotOf.values).count == TypeNames.capacity)
        #expect(try read("Type5").1 == slotOf["Type5"])
        let (extra, extraSlot) = try read("OneTooMany")
        #expect(extra == "OneTooMany" && extraSlot == slotOf["Type0"], "the oldest slot is reused")
        #expect(try read("Type0").0 == "Type0")   // read again, into another slot
        // A payload that does not decode is an error, as through the registry.
        #expect(throws: (any Error).self) { try decoder.decode(event("MedalAwarded", 1, [0xFF]), slot: 2) }
    }

    @Test func anUnknownTypeIsKeptRawNotDropped() throws {
        let types = EventTypes()
        let recorded = RecordedEvent(position: 3, streamID: "s", streamVersion: 0, eventType: "FromTheFuture", schemaVersion: 9,
                                     recordedAt: 5, metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 1), recordedBy: "op", commandID: "c"),
                                     payload: [1, 2, 3])
        #expect(try recorded.decoded(with: types) == nil)
        #expect(recorded.payload == [1, 2, 3])
    }

    @Test func theEnvelopeRoundTripsEveryField() throws {
        let payload = try BinaryEncoder().encode(MedalAwarded(cadre: "cadre-9"))
        for (correlation, causation) in [(nil, nil), ("corr-1", nil), (nil, "cause-1"), ("corr-2", "cause-2")] as [(String?, String?)] {
            let metadata = EventMetadata(businessDate: LedgerDate("2024-07-01")!, recordedBy: "干部处-张三", commandID: "cmd-42",
                                         correlationID: correlation, causationID: causation)
            let bytes = EnvelopeCodec.encode(streamID: "cadre-9", streamVersion: 7, eventType: "MedalAwarded", schemaVersion: 1,
                                             metadata: metadata, payload: payload)
            // Decoded from the middle of a larger buffer, as records of a batch are.
            let buffer = [0xEE, 0xEE] + bytes + [0xEE]
            let event = try EnvelopeCodec.decode(buffer[2..<(2 + bytes.count)], position: 123, recordedAt: 456)
            #expect(event.position == 123)
            #expect(event.recordedAt == 456)
            #expect(event.streamID == "cadre-9")
            #expect(event.streamVersion == 7)
            #expect(event.eventType == "MedalAwarded")
            #expect(event.schemaVersion == 1)
            #expect(event.metadata == metadata)
            #expect(event.payload == payload)
        }
    }

    @Test func anEventReadFromItsRecordEqualsTheSameEventBuiltAndKeepsItsFieldsThroughSetters() throws {
        let payload = try BinaryEncoder().encode(MedalAwarded(cadre: "cadre-9"))
        let metadata = EventMetadata(businessDate: LedgerDate("2024-07-01")!, recordedBy: "干部处-张三", commandID: "command-with-a-long-id-0042",
                                     correlationID: "corr-1", causationID: nil)
        let bytes = EnvelopeCodec.encode(streamID: "cadre-0000000009-long", streamVersion: 7, eventType: "MedalAwarded", schemaVersion: 1,
                                         metadata: metadata, payload: payload)
        let read = try EnvelopeCodec.decode(bytes[...], position: 3, recordedAt: 9)
        let built = RecordedEvent(position: 3, streamID: "cadre-0000000009-long", streamVersion: 7, eventType: "MedalAwarded",
                                  schemaVersion: 1, recordedAt: 9, metadata: metadata, payload: payload)
        #expect(read == built)
        #expect(read.hashValue == built.hashValue)
        #expect(read.businessDate == metadata.businessDate)
        #expect(read.commandID == "command-with-a-long-id-0042")
        #expect(read.withIDBytes { [Array($0), Array($1)] } == [Array("cadre-0000000009-long".utf8), Array("command-with-a-long-id-0042".utf8)])
        #expect(built.withIDBytes { [Array($0), Array($1)] } == [Array("cadre-0000000009-long".utf8), Array("command-with-a-long-id-0042".utf8)])

        // Each setter changes its field only.
        var renamed = read
        renamed.streamID = "cadre-10"
        #expect(renamed.streamID == "cadre-10")
        #expect(renamed.metadata == metadata)
        #expect(renamed.payload == payload)
        #expect(renamed != read)
        var redated = read
        redated.businessDate = LedgerDate("2025-01-01")!
        #expect(redated.metadata.businessDate == LedgerDate("2025-01-01")!)
        #expect(redated.metadata.commandID == metadata.commandID)
        var reattributed = read
        reattributed.metadata.recordedBy = "someone else"
        #expect(reattributed.metadata.recordedBy == "someone else")
        #expect(reattributed.metadata.correlationID == "corr-1")
        #expect(reattributed.streamID == "cadre-0000000009-long")
        #expect(reattributed.payload == payload)
        var repaid = read
        repaid.payload = [1, 2]
        #expect(repaid.payload == [1, 2])
        #expect(repaid.streamID == read.streamID)
        #expect(repaid.metadata == metadata)
        #expect(read.payload == payload)   // the original is untouched

        // A string the event builds only when asked for is still checked when the record is read.
        var badOperator = bytes
        let 张 = Array("张".utf8)
        let at = (0..<(bytes.count - 2)).first { Array(bytes[$0..<($0 + 3)]) == 张 }!   // inside "干部处-张三", the operator
        badOperator[at] = 0xFF
        let error = #expect(throws: EnvelopeError.self) { try EnvelopeCodec.decode(badOperator[...], position: 0, recordedAt: 0) }
        #expect(error?.field.description == "recordedBy")
    }

    @Test func aMalformedEnvelopeIsAnErrorNamingTheField() throws {
        let bytes = EnvelopeCodec.encode(streamID: "cadre-9", streamVersion: 7, eventType: "MedalAwarded", schemaVersion: 1,
                                         metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 0), recordedBy: "op", commandID: "c"),
                                         payload: [])
        var wrongVersion = bytes
        wrongVersion[0] = 2
        let error = #expect(throws: EnvelopeError.self) { try EnvelopeCodec.decode(wrongVersion[...], position: 0, recordedAt: 0) }
        #expect(error?.field.description == "envelopeVersion")
        #expect(error?.description == "envelope field envelopeVersion at byte 0: version 2, this build reads 1")
        // Every truncation before the payload fails, naming the field it cut.
        var fields: [String] = []
        for length in 0..<bytes.count {
            let error = #expect(throws: EnvelopeError.self) { try EnvelopeCodec.decode(bytes.prefix(length), position: 0, recordedAt: 0) }
            if let field = error?.field.description, fields.last != field { fields.append(field) }
        }
        #expect(fields == ["envelopeVersion", "streamID", "streamVersion", "eventType", "schemaVersion", "businessDate", "recordedBy", "commandID", "flags"])
        // Invalid UTF-8 in a string is named too.
        var badUTF8 = bytes
        badUTF8[2] = 0xFF   // the first byte of the stream id
        let utf8Error = #expect(throws: EnvelopeError.self) { try EnvelopeCodec.decode(badUTF8[...], position: 0, recordedAt: 0) }
        #expect(utf8Error?.description == "envelope field streamID at byte 2: not valid UTF-8")
    }
}
