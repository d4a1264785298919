import Foundation
import Testing

@testable import SilverLedger

// The JSON form of events (docs/EVENTS.md, "The JSON form").

private struct JVisitLoggedV1: Codable, Sendable, Equatable {
    var cadre: String
    var kind: String
}

private struct JVisitLogged: Event, Equatable {
    static let eventType = "VisitLogged"
    static let schemaVersion = 2
    var cadre: String
    var kind: String
    var visitedOn: LedgerDate
}

private struct JInner: Codable, Sendable, Equatable {
    var name: String
    var score: Int8
}

private enum JOutcome: Codable, Sendable, Equatable {
    case resolved(on: LedgerDate, by: String)
    case open
}

private enum JChannel: String, Codable, Sendable, Equatable { case inPerson, phone }

/// Every kind of field the binary codec writes.
private struct JEverything: Event, Equatable {
    static let eventType = "Everything"
    var text: String
    var chinese: String
    var escapes: String
    var doubles: [Double]
    var floats: [Float]
    var int64s: [Int64]
    var int: Int
    var uint64: UInt64
    var int8: Int8
    var flag: Bool
    var optionalPresent: String?
    var optionalNil: Int?
    var innerPresent: JInner?
    var innerNil: JInner?
    var nested: [[String: [Int]]]
    var byName: [String: JInner]
    var byNumber: [Int: String]
    var date: LedgerDate
    var dates: [LedgerDate?]
    var bytes: [UInt8]
    var channel: JChannel
    var outcomes: [JOutcome]

    static func == (a: JEverything, b: JEverything) -> Bool {
        // Doubles by bit pattern, so that -0.0 and 0.0 differ.
        a.doubles.map(\.bitPattern) == b.doubles.map(\.bitPattern) && a.floats.map(\.bitPattern) == b.floats.map(\.bitPattern)
            && a.text == b.text && a.chinese == b.chinese && a.escapes == b.escapes && a.int64s == b.int64s && a.int == b.int
            && a.uint64 == b.uint64 && a.int8 == b.int8 && a.flag == b.flag && a.optionalPresent == b.optionalPresent
            && a.optionalNil == b.optionalNil && a.innerPresent == b.innerPresent && a.innerNil == b.innerNil
            && a.nested == b.nested && a.byName == b.byName && a.byNumber == b.byNumber && a.date == b.date
            && a.dates == b.dates && a.bytes == b.bytes && a.channel == b.channel && a.outcomes == b.outcomes
    }
}

private struct JMeasured: Event {
    static let eventType = "Measured"
    var value: Double
}

private struct JMaybe: Event {
    static let eventType = "Maybe"
    var value: String??
}

private func registered() -> EventTypes {
    var types = EventTypes()
    types.register(JVisitLogged.self)
    types.register(JVisitLoggedV1.self, as: "VisitLogged", version: 1) { old in
        JVisitLogged(cadre: old.cadre, kind: old.kind, visitedOn: LedgerDate("1970-01-01")!)
    }
    types.register(JEverything.self)
    types.register(JMeasured.self)
    types.register(JMaybe.self)
    return types
}

private let everything = JEverything(
    text: "plain",
    chinese: "节日慰问：张三（干部处）",
    escapes: "quote \" backslash \\ slash / newline \n tab \t cr \r nul \u{0} bell \u{7} esc \u{1b} del \u{7f} ls \u{2028} é",
    doubles: [0.1, 1e-300, Double.greatestFiniteMagnitude, -0.0, Double.leastNonzeroMagnitude, 123456.789, -2.5, 1e21, 9_007_199_254_740_992],
    floats: [0.1, Float.greatestFiniteMagnitude, -Float.leastNonzeroMagnitude],
    int64s: [Int64.min, Int64.max, 0, -1],
    int: Int.min,
    uint64: UInt64.max,
    int8: -128,
    flag: true,
    optionalPresent: "",
    optionalNil: nil,
    innerPresent: JInner(name: "甲", score: 127),
    innerNil: nil,
    nested: [["b": [1, 2], "a": []], [:]],
    byName: ["乙": JInner(name: "x", score: -1), "A": JInner(name: "y", score: 0), "a": JInner(name: "z", score: 1)],
    byNumber: [10: "ten", -1: "minus one", 3: "three"],
    date: LedgerDate("1949-10-01")!,
    dates: [LedgerDate("2024-02-29")!, nil, LedgerDate("0001-01-01")!],
    bytes: [0, 1, 255],
    channel: .phone,
    outcomes: [.resolved(on: LedgerDate("2024-03-15")!, by: "op-1"), .open])

private func metadata(correlation: String? = nil, causation: String? = nil) -> EventMetadata {
    EventMetadata(businessDate: LedgerDate("2024-02-09")!, recordedBy: "op-3", commandID: "cmd-7f3a",
                  correlationID: correlation, causationID: causation)
}

private func recorded<E: Event>(_ payload: E, position: UInt64 = 0, version: UInt64 = 0, recordedAt: Int64 = 1_707_465_600_000_000,
                                metadata: EventMetadata = metadata()) throws -> RecordedEvent {
    RecordedEvent(position: position, streamID: "cadre-17", streamVersion: version, eventType: E.eventType,
                  schemaVersion: E.schemaVersion, recordedAt: recordedAt, metadata: metadata,
                  payload: try BinaryEncoder().encode(payload))
}

/// Encodes, decodes and encodes again: the event and the line must both come back unchanged.
@discardableResult
private func roundTrip(_ event: RecordedEvent, types: EventTypes = registered(), sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let line = try EventJSON.encode(event, types: types)
    #expect(!line.contains("\n"), sourceLocation: sourceLocation)
    let back = try EventJSON.decode(line: line, lineNumber: 1, types: types)
    #expect(back == event, sourceLocation: sourceLocation)
    #expect(back.payload == event.payload, sourceLocation: sourceLocation)
    #expect(try EventJSON.encode(back, types: types) == line, sourceLocation: sourceLocation)
    return line
}

/// The error decoding `line` as line 7 gives; nil if it decodes.
private func decodeError(_ line: String, types: EventTypes = registered()) -> EventStoreError? {
    do {
        _ = try EventJSON.decode(line: line, lineNumber: 7, types: types)
        return nil
    } catch {
        return error
    }
}

private let visitLine = #"{"position":0,"stream":"cadre-17","version":0,"type":"VisitLogged","schemaVersion":2,"recordedAt":"2024-02-09T08:00:00.000000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","payload":{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}}"#

@Suite("The JSON form of events")
struct JSONEnvelopeTests {
    // MARK: The line

    @Test func aLineHasTheDocumentedKeysInTheDocumentedOrder() throws {
        let event = try recorded(JVisitLogged(cadre: "cadre-17", kind: "节日慰问", visitedOn: LedgerDate("2024-02-09")!))
        #expect(try roundTrip(event) == visitLine)

        let both = try recorded(JVisitLogged(cadre: "cadre-17", kind: "节日慰问", visitedOn: LedgerDate("2024-02-09")!),
                                position: 41, version: 3, metadata: metadata(correlation: "c-1", causation: "x"))
        #expect(try roundTrip(both) == #"{"position":41,"stream":"cadre-17","version":3,"type":"VisitLogged","schemaVersion":2,"recordedAt":"2024-02-09T08:00:00.000000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","correlationID":"c-1","causationID":"x","payload":{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}}"#)
    }

    @Test func correlationAndCausationIDsAreOmittedWhenNil() throws {
        let visit = JVisitLogged(cadre: "c", kind: "k", visitedOn: LedgerDate("2024-02-09")!)
        for (correlation, causation) in [(nil, nil), ("corr", nil), (nil, "cause"), ("corr", "cause")] as [(String?, String?)] {
            let event = try recorded(visit, metadata: metadata(correlation: correlation, causation: causation))
            let line = try roundTrip(event)
            #expect(line.contains(#""correlationID":"corr","#) == (correlation != nil))
            #expect(line.contains(#""causationID":"cause","#) == (causation != nil))
            #expect(line.contains("correlationID") == (correlation != nil))
            #expect(line.contains("causationID") == (causation != nil))
            let back = try EventJSON.decode(line: line, lineNumber: 1, types: registered())
            #expect(back.metadata.correlationID == correlation)
            #expect(back.metadata.causationID == causation)
        }
    }

    @Test func aHandWrittenFixtureLineReadsAndWritesBackByteForByte() throws {
        let event = try EventJSON.decode(line: visitLine, lineNumber: 1, types: registered())
        #expect(event.position == 0)
        #expect(event.streamID == "cadre-17")
        #expect(event.streamVersion == 0)
        #expect(event.eventType == "VisitLogged")
        #expect(event.schemaVersion == 2)
        #expect(event.recordedAt == 1_707_465_600_000_000)
        #expect(event.metadata == metadata())
        #expect(event.payload == (try BinaryEncoder().encode(JVisitLogged(cadre: "cadre-17", kind: "节日慰问", visitedOn: LedgerDate("2024-02-09")!))))
        #expect(try EventJSON.encode(event, types: registered()) == visitLine)
    }

    @Test func keysAreReadInAnyOrderAndWrittenInTheFixedOne() throws {
        let shuffled = #"{"payload":{"visitedOn":"2024-02-09","kind":"节日慰问","cadre":"cadre-17"},"commandID":"cmd-7f3a","recordedBy":"op-3","businessDate":"2024-02-09","recordedAt":"2024-02-09T08:00:00Z","schemaVersion":2,"type":"VisitLogged","version":0,"stream":"cadre-17","position":0}"#
        let event = try EventJSON.decode(line: " \(shuffled) ", lineNumber: 1, types: registered())
        #expect(try EventJSON.encode(event, types: registered()) == visitLine)
    }

    // MARK: Payloads

    @Test func everyKindOfFieldRoundTripsLosslessly() throws {
        let event = try recorded(everything, position: UInt64.max, version: UInt64.max,
                                 metadata: EventMetadata(businessDate: LedgerDate("2024-02-09")!, recordedBy: "干部处-张三\t\"甲\"",
                                                         commandID: "cmd/1\\2", correlationID: "关联-1", causationID: "\u{1}"))
        let line = try roundTrip(event)
        let back = try EventJSON.decode(line: line, lineNumber: 1, types: registered())
        #expect(try back.decoded(as: JEverything.self, with: registered()) == everything)

        #expect(line.hasPrefix(#"{"position":18446744073709551615,"stream":"cadre-17","version":18446744073709551615,"type":"Everything","schemaVersion":1,"#))
        #expect(line.contains(#""recordedBy":"干部处-张三\t\"甲\"","commandID":"cmd/1\\2","correlationID":"关联-1","causationID":"\u0001","#))
        #expect(line.contains(#""chinese":"节日慰问：张三（干部处）""#))
        #expect(line.contains(#""escapes":"quote \" backslash \\ slash / newline \n tab \t cr \r nul \u0000 bell \u0007 esc \u001b del "#
                              + "\u{7f} ls \u{2028} é\""))
        #expect(line.contains(#""doubles":[0.1,1e-300,1.7976931348623157e+308,-0,5e-324,123456.789,-2.5,1e+21,9007199254740992]"#))
        #expect(line.contains(#""int64s":[-9223372036854775808,9223372036854775807,0,-1]"#))
        #expect(line.contains(#""int":-9223372036854775808"#))
        #expect(line.contains(#""uint64":18446744073709551615"#))
        #expect(line.contains(#""optionalPresent":"""#))
        #expect(!line.contains("optionalNil"))
        #expect(!line.contains("innerNil"))
        #expect(line.contains(#""innerPresent":{"name":"甲","score":127}"#))
        #expect(line.contains(#""nested":[{"a":[],"b":[1,2]},{}]"#))
        #expect(line.contains(#""byName":{"A":{"name":"y","score":0},"a":{"name":"z","score":1},"乙":{"name":"x","score":-1}}"#))
        #expect(line.contains(#""byNumber":{"-1":"minus one","10":"ten","3":"three"}"#))
        #expect(line.contains(#""date":"1949-10-01","dates":["2024-02-29",null,"0001-01-01"]"#))
        #expect(line.contains(#""bytes":[0,1,255]"#))
        #expect(line.contains(#""channel":"phone""#))
        #expect(line.contains(#""outcomes":[{"resolved":{"by":"op-1","on":"2024-03-15"}},{"open":{}}]"#))
    }

    @Test func anOldVersionIsWrittenInItsOldShapeAndReadBackToTheSameBytes() throws {
        let old = JVisitLoggedV1(cadre: "cadre-1", kind: "生日慰问")
        let event = RecordedEvent(position: 5, streamID: "cadre-1", streamVersion: 0, eventType: "VisitLogged", schemaVersion: 1,
                                  recordedAt: 0, metadata: metadata(), payload: try BinaryEncoder().encode(old))
        let line = try roundTrip(event)
        #expect(line == #"{"position":5,"stream":"cadre-1","version":0,"type":"VisitLogged","schemaVersion":1,"recordedAt":"1970-01-01T00:00:00.000000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","payload":{"cadre":"cadre-1","kind":"生日慰问"}}"#)
        let back = try EventJSON.decode(line: line, lineNumber: 1, types: registered())
        #expect(try BinaryDecoder().decode(JVisitLoggedV1.self, from: back.payload) == old)
        // Reading it still upcasts.
        #expect(try back.decoded(as: JVisitLogged.self, with: registered()) == JVisitLogged(cadre: "cadre-1", kind: "生日慰问", visitedOn: LedgerDate("1970-01-01")!))
        // The current shape's payload is refused for version 1.
        let wrongShape = line.replacingOccurrences(of: #""kind":"生日慰问"}"#, with: #""kind":"生日慰问","visitedOn":"2024-01-01"}"#)
        let extra = try #require(decodeError(wrongShape))
        #expect(extra.message == #"line 7: payload: does not decode as "VisitLogged" version 1 (registered type JVisitLoggedV1): at payload: unknown key "visitedOn", not a field of the registered type"#)
        let missingField = line.replacingOccurrences(of: #","kind":"生日慰问"}"#, with: "}")
        let error = try #require(decodeError(missingField))
        #expect(error.code == .invalidAppend)
        #expect(error.message.hasPrefix("line 7: payload: "))
        #expect(error.message.contains(#"missing key "kind""#))
        #expect(error.message.contains(#""VisitLogged" version 1"#))
    }

    @Test func anUnregisteredTypeRoundTripsThroughPayloadBase64() throws {
        let event = RecordedEvent(position: 9, streamID: "s", streamVersion: 2, eventType: "FromTheFuture", schemaVersion: 7,
                                  recordedAt: 5, metadata: metadata(), payload: [0, 1, 2, 255, 254, 128])
        let line = try roundTrip(event)
        #expect(line == #"{"position":9,"stream":"s","version":2,"type":"FromTheFuture","schemaVersion":7,"recordedAt":"1970-01-01T00:00:00.000005Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","payloadBase64":"AAEC//6A"}"#)
        #expect(try EventJSON.decode(line: line, lineNumber: 1, types: registered()).payload == [0, 1, 2, 255, 254, 128])

        // A version this build does not know is unregistered too, even if other versions are.
        let future = RecordedEvent(position: 1, streamID: "s", streamVersion: 0, eventType: "VisitLogged", schemaVersion: 3,
                                   recordedAt: 5, metadata: metadata(), payload: [])
        #expect(try roundTrip(future).hasSuffix(#","payloadBase64":""}"#))
    }

    @Test func aRegisteredTypeMayBeGivenAsPayloadBase64AndIsCheckedAndWrittenAsJSON() throws {
        // What a build that did not know the type exported, read by one that does.
        let visit = JVisitLogged(cadre: "c", kind: "k", visitedOn: LedgerDate("2024-02-09")!)
        let event = try recorded(visit)
        let unaware = try EventJSON.encode(event, types: EventTypes())
        #expect(unaware.contains("payloadBase64"))
        let back = try EventJSON.decode(line: unaware, lineNumber: 1, types: registered())
        #expect(back == event)
        #expect(try EventJSON.encode(back, types: registered()).contains(#""payload":{"cadre":"c","kind":"k","visitedOn":"2024-02-09"}}"#))

        // Bytes that do not decode as the registered type are refused.
        let garbage = unaware.replacingOccurrences(of: Data(event.payload).base64EncodedString(), with: Data([1, 2, 3]).base64EncodedString())
        let error = try #require(decodeError(garbage))
        #expect(error.code == .invalidAppend)
        #expect(error.message.hasPrefix("line 7: payloadBase64: does not decode as \"VisitLogged\" version 2"))
    }

    @Test func aPayloadJSONCannotHoldIsRefusedOnExport() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            let event = try recorded(JMeasured(value: value), position: 12)
            let error = #expect(throws: EventStoreError.self) { try EventJSON.encode(event, types: registered()) }
            #expect(error?.code == .corruptedEvent)
            #expect(error?.message.contains("event at position 12") == true)
            #expect(error?.message.contains("payload: a value has no JSON form") == true)
        }
        // nil and .some(nil) are the same in JSON but not in the binary codec.
        let ambiguous = try recorded(JMaybe(value: .some(nil)))
        let error = #expect(throws: EventStoreError.self) { try EventJSON.encode(ambiguous, types: registered()) }
        #expect(error?.message.contains("does not read back to the same binary bytes") == true)
        try roundTrip(try recorded(JMaybe(value: .some("x"))))
        try roundTrip(try recorded(JMaybe(value: nil)))
        // A stored payload that does not decode as its registered type.
        var broken = try recorded(JMeasured(value: 1))
        broken.payload = [1, 2]
        let decodeError = #expect(throws: EventStoreError.self) { try EventJSON.encode(broken, types: registered()) }
        #expect(decodeError?.message.contains("payload: the binary payload does not decode") == true)
    }

    // MARK: Times and dates

    @Test func recordedAtIsUTCWithSixFractionDigitsBeforeAndAfter1970() throws {
        let cases: [(Int64, String)] = [
            (0, "1970-01-01T00:00:00.000000Z"),
            (1, "1970-01-01T00:00:00.000001Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (-1_500_000, "1969-12-31T23:59:58.500000Z"),
            (-86_400_000_000, "1969-12-31T00:00:00.000000Z"),
            (-639_064_799_876_544, "1949-10-01T10:00:00.123456Z"),
            (1_707_465_600_000_000, "2024-02-09T08:00:00.000000Z"),
            (951_782_400_000_000 + 86_399_999_999, "2000-02-29T23:59:59.999999Z"),
            (-62_167_219_200_000_000, "0000-01-01T00:00:00.000000Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ]
        for (microseconds, text) in cases {
            #expect(EventJSON.formatTimestamp(microseconds) == text)
            #expect(EventJSON.parseTimestamp(text) == microseconds)
            let line = try roundTrip(try recorded(JMeasured(value: 1), recordedAt: microseconds))
            #expect(line.contains(#""recordedAt":"\#(text)""#))
        }
        #expect(EventJSON.formatTimestamp(-62_167_219_200_000_001) == nil)
        #expect(EventJSON.formatTimestamp(253_402_300_800_000_000) == nil)
        #expect(EventJSON.formatTimestamp(Int64.min) == nil)
        #expect(EventJSON.formatTimestamp(Int64.max) == nil)
        let error = #expect(throws: EventStoreError.self) {
            try EventJSON.encode(try recorded(JMeasured(value: 1), recordedAt: Int64.min), types: registered())
        }
        #expect(error?.message.contains("recordedAt: -9223372036854775808 µs is outside the years 0000-9999") == true)
    }

    @Test func recordedAtIsReadWithZeroToSixFractionDigits() {
        let base: Int64 = 1_707_465_600_000_000
        #expect(EventJSON.parseTimestamp("2024-02-09T08:00:00Z") == base)
        #expect(EventJSON.parseTimestamp("2024-02-09T08:00:00.5Z") == base + 500_000)
        #expect(EventJSON.parseTimestamp("2024-02-09T08:00:00.05Z") == base + 50_000)
        #expect(EventJSON.parseTimestamp("2024-02-09T08:00:00.123Z") == base + 123_000)
        #expect(EventJSON.parseTimestamp("2024-02-09T08:00:00.000001Z") == base + 1)
        #expect(EventJSON.parseTimestamp("1969-12-31T23:59:59.9Z") == -100_000)
        for bad in ["2024-02-09T08:00:00.1234567Z", "2024-02-09T08:00:00.Z", "2024-02-09T08:00:00", "2024-02-09T08:00:00+08:00",
                    "2024-02-09T08:00:00.000000+00:00", "2024-02-09T08:00:00z", "2024-02-09t08:00:00Z", "2024-02-09 08:00:00Z",
                    "2024-02-09T24:00:00Z", "2024-02-09T08:60:00Z", "2024-02-09T08:00:60Z", "2024-02-30T08:00:00Z",
                    "2024-2-09T08:00:00Z", "+024-02-09T08:00:00Z", "2024-02-09T8:00:00Z", "2024-02-09T08:00:00.-1Z", "",
                    "２０２４-02-09T08:00:00Z"] {
            #expect(EventJSON.parseTimestamp(bad) == nil, "\(bad)")
        }
    }

    @Test func businessDatesAreYYYYMMDD() throws {
        #expect(EventJSON.parseDate(Array("2024-02-29".utf8)[...]) == LedgerDate("2024-02-29"))
        #expect(EventJSON.parseDate(Array("0000-01-01".utf8)[...]) == LedgerDate(year: 0, month: 1, day: 1))
        for bad in ["2023-02-29", "2024-2-9", "+024-02-09", "2024-+2-09", "2024-02-9 ", "24-02-09", "2024/02/09", "-001-01-01"] {
            #expect(EventJSON.parseDate(Array(bad.utf8)[...]) == nil, "\(bad)")
        }
        #expect(EventJSON.formatDate(LedgerDate(year: 1, month: 1, day: 1)!) == "0001-01-01")
        #expect(EventJSON.formatDate(LedgerDate(year: -1, month: 12, day: 31)!) == nil)
        #expect(EventJSON.formatDate(LedgerDate(daysSinceEpoch: Int32.max)) == nil)

        var event = try recorded(JMeasured(value: 1))
        event.metadata.businessDate = LedgerDate(year: 1, month: 1, day: 1)!
        #expect(try roundTrip(event).contains(#""businessDate":"0001-01-01""#))
        event.metadata.businessDate = LedgerDate(year: 10_000, month: 1, day: 1) ?? LedgerDate(daysSinceEpoch: 3_000_000)
        let error = #expect(throws: EventStoreError.self) { try EventJSON.encode(event, types: registered()) }
        #expect(error?.message.contains("businessDate: day 3000000 is outside the years 0000-9999") == true)
    }

    // MARK: Errors on import

    @Test func aMissingKeyIsNamed() throws {
        for key in EventJSON.requiredKeys {
            let line = removing(key, from: visitLine)
            #expect(!line.contains(#""\#(key)":"#))
            let error = try #require(decodeError(line))
            #expect(error.code == .invalidAppend)
            #expect(error.message == "line 7: missing key \"\(key)\"", "\(key)")
        }
        let noPayload = try #require(decodeError(
            visitLine.replacingOccurrences(of: #","payload":{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}"#, with: "")))
        #expect(noPayload.message == #"line 7: missing key "payload" (or "payloadBase64")"#)
        let two = try #require(decodeError(removing("stream", from: removing("recordedAt", from: visitLine))))
        #expect(two.message == #"line 7: missing keys "stream", "recordedAt""#)
    }

    @Test func anUnknownKeyIsNamed() throws {
        let one = try #require(decodeError(visitLine.replacingOccurrences(of: #"{"position":0,"#, with: #"{"position":0,"colour":"red","#)))
        #expect(one.code == .invalidAppend)
        #expect(one.message == #"line 7: unknown key "colour""#)
        let two = try #require(decodeError(visitLine.replacingOccurrences(of: #"{"position":0,"#, with: #"{"zeta":1,"position":0,"Position":0,"#)))
        #expect(two.message == #"line 7: unknown keys "Position", "zeta""#)
        // Keys are case-sensitive and not trimmed.
        let spaced = try #require(decodeError(visitLine.replacingOccurrences(of: #""stream":"#, with: #""stream ":"#)))
        #expect(spaced.message == #"line 7: unknown key "stream ""#)
    }

    @Test func aRepeatedKeyIsRefused() throws {
        let line = visitLine.replacingOccurrences(of: #""recordedBy":"op-3","#, with: #""recordedBy":"op-3","recordedBy":"op-4","#)
        let error = try #require(decodeError(line))
        #expect(error.message == "line 7: recordedBy: the key appears more than once")
        // Also when written with an escape; keys of nested objects may repeat across objects.
        let escaped = visitLine.replacingOccurrences(of: #""recordedBy":"op-3","#, with: #""recordedBy":"op-3","recorded\u0042y":"op-4","#)
        #expect(try #require(decodeError(escaped)).message == "line 7: recordedBy: the key appears more than once")
    }

    @Test func aBadRecordedAtIsNamedWithItsValue() throws {
        for (bad, shown) in [("2024-02-09T08:00:00+08:00", #""2024-02-09T08:00:00+08:00""#),
                             ("2024-02-09T08:00:00.1234567Z", #""2024-02-09T08:00:00.1234567Z""#),
                             ("2024-02-09 08:00:00Z", #""2024-02-09 08:00:00Z""#),
                             ("2024-02-09T08:00:00\n", #""2024-02-09T08:00:00\n""#)] {
            var quoted = JSONText()
            quoted.string(bad)
            let line = visitLine.replacingOccurrences(of: #""2024-02-09T08:00:00.000000Z""#, with: String(decoding: quoted.bytes, as: UTF8.self))
            let error = try #require(decodeError(line))
            #expect(error.code == .invalidAppend)
            #expect(error.message.hasPrefix("line 7: recordedAt: \(shown) is not a UTC time of the form YYYY-MM-DDTHH:MM:SS.ffffffZ"), "\(error.message)")
        }
        let number = try #require(decodeError(visitLine.replacingOccurrences(of: #""2024-02-09T08:00:00.000000Z""#, with: "1707465600000000")))
        #expect(number.message.hasPrefix("line 7: recordedAt: must be a string"))
    }

    @Test func aBadBusinessDateIsNamedWithItsValue() throws {
        for bad in ["2024-02-30", "2024-2-9", "+024-02-09", "2024-02-09T00:00:00Z", "", "10000-01-01"] {
            let line = visitLine.replacingOccurrences(of: #""businessDate":"2024-02-09""#, with: #""businessDate":"\#(bad)""#)
            let error = try #require(decodeError(line))
            #expect(error.code == .invalidAppend)
            #expect(error.message == "line 7: businessDate: \"\(bad)\" is not a date of the form YYYY-MM-DD (years 0000-9999)")
        }
        let null = try #require(decodeError(visitLine.replacingOccurrences(of: #""businessDate":"2024-02-09""#, with: #""businessDate":null"#)))
        #expect(null.message.hasPrefix("line 7: businessDate: must be a string"))
    }

    @Test func aPayloadOfTheWrongTypeIsNamedWithThePath() throws {
        let line = visitLine.replacingOccurrences(of: #""kind":"节日慰问""#, with: #""kind":5"#)
        let error = try #require(decodeError(line))
        #expect(error.code == .invalidAppend)
        #expect(error.message.hasPrefix(#"line 7: payload: does not decode as "VisitLogged" version 2"#))
        #expect(error.message.contains("at payload.kind: "))
        let badDate = try #require(decodeError(visitLine.replacingOccurrences(of: #""visitedOn":"2024-02-09""#, with: #""visitedOn":"2024-02-30""#)))
        #expect(badDate.message.contains("at payload.visitedOn: "))
        #expect(badDate.message.contains(#""2024-02-30" is not a date"#))
        let notObject = try #require(decodeError(visitLine.replacingOccurrences(of: #"{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}"#, with: "[]")))
        #expect(notObject.message.hasPrefix(#"line 7: payload: does not decode as "VisitLogged" version 2"#))
        let nested = try #require(decodeError(try EventJSON.encode(try recorded(everything), types: registered())
            .replacingOccurrences(of: #""nested":[{"a":[],"b":[1,2]}"#, with: #""nested":[{"a":[],"b":[1,"2"]}"#)))
        #expect(nested.message.contains("at payload.nested[0].b[1]: "), "\(nested.message)")
        let tooBig = try #require(decodeError(try EventJSON.encode(try recorded(everything), types: registered())
            .replacingOccurrences(of: #""int8":-128"#, with: #""int8":-129"#)))
        // JSONDecoder reports an integer out of its type's range without the path; the number is named.
        #expect(tooBig.message.hasPrefix(#"line 7: payload: does not decode as "Everything" version 1"#))
        #expect(tooBig.message.contains("-129"), "\(tooBig.message)")
    }

    @Test func anUnknownKeyInThePayloadIsRefusedButNullForNilIsRead() throws {
        let types = registered()
        let event = try recorded(everything)
        let line = try EventJSON.encode(event, types: types)
        let misspelt = try #require(decodeError(line.replacingOccurrences(of: #""optionalPresent":"#, with: #""optionalPresnt":"#)))
        #expect(misspelt.message.hasSuffix(#"at payload: unknown key "optionalPresnt", not a field of the registered type"#), "\(misspelt.message)")
        let nested = try #require(decodeError(line.replacingOccurrences(of: #""innerPresent":{"name":"甲","#, with: #""innerPresent":{"extra":[1],"name":"甲","#)))
        #expect(nested.message.hasSuffix(#"at payload.innerPresent: unknown key "extra", not a field of the registered type"#), "\(nested.message)")
        let inArray = try #require(decodeError(line.replacingOccurrences(of: #"{"open":{}}"#, with: #"{"open":{"x":1}}"#)))
        #expect(inArray.message.hasSuffix(#"at payload.outcomes[1].open: unknown key "x", not a field of the registered type"#), "\(inArray.message)")
        // An explicit null for an absent optional reads as nil and is left out when written.
        let withNulls = line.replacingOccurrences(of: #""optionalPresent":"#, with: #""innerNil":null,"optionalNil":null,"optionalPresent":"#)
        #expect(withNulls != line)
        let back = try EventJSON.decode(line: withNulls, lineNumber: 1, types: types)
        #expect(back == event)
        #expect(try EventJSON.encode(back, types: types) == line)
    }

    @Test func aPayloadOfAnUnregisteredTypeMustBeBase64() throws {
        let line = visitLine.replacingOccurrences(of: #""type":"VisitLogged""#, with: #""type":"Unheard""#)
        let error = try #require(decodeError(line))
        #expect(error.message == #"line 7: payload: "Unheard" version 2 is not registered: the payload of an unregistered type can only be given as "payloadBase64""#)
        let both = try #require(decodeError(visitLine.replacingOccurrences(of: #""payload":"#, with: #""payloadBase64":"","payload":"#)))
        #expect(both.message == #"line 7: payload: give "payload" or "payloadBase64", not both"#)
        let unknownBase64 = #"{"position":9,"stream":"s","version":2,"type":"FromTheFuture","schemaVersion":7,"recordedAt":"1970-01-01T00:00:00Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"c","payloadBase64":"AQN="}"#
        #expect(try #require(decodeError(unknownBase64)).message
                == "line 7: payloadBase64: not base64 as written on export (standard alphabet, padded with =, no line breaks)")
        #expect(try EventJSON.decode(line: unknownBase64.replacingOccurrences(of: "AQN=", with: "AQM="), lineNumber: 1, types: registered()).payload == [1, 3])
    }

    @Test func envelopeValuesOfTheWrongTypeOrRangeAreNamed() throws {
        let cases: [(String, String, String)] = [
            (#""position":0"#, #""position":-1"#, "line 7: position: must be an integer from 0 to 18446744073709551615"),
            (#""position":0"#, #""position":"0""#, "line 7: position: must be an integer from 0 to 18446744073709551615"),
            (#""position":0"#, #""position":1.5"#, "line 7: position: must be an integer from 0 to 18446744073709551615"),
            (#""version":0"#, #""version":18446744073709551616"#, "line 7: "),
            (#""schemaVersion":2"#, #""schemaVersion":4294967296"#, "line 7: schemaVersion: must be an integer from 0 to 4294967295"),
            (#""schemaVersion":2"#, #""schemaVersion":-2"#, "line 7: schemaVersion: must be an integer from 0 to 4294967295"),
            (#""stream":"cadre-17""#, #""stream":17"#, "line 7: stream: must be a string"),
            (#""type":"VisitLogged""#, #""type":null"#, "line 7: type: must be a string"),
            (#""recordedBy":"op-3""#, #""recordedBy":["op-3"]"#, "line 7: recordedBy: must be a string"),
            (#""commandID":"cmd-7f3a""#, #""commandID":true"#, "line 7: commandID: must be a string"),
            (#""commandID":"cmd-7f3a""#, #""commandID":"cmd-7f3a","correlationID":null"#,
             "line 7: correlationID: must be a string (leave the key out when there is none)"),
            (#""commandID":"cmd-7f3a""#, #""commandID":"cmd-7f3a","causationID":1"#,
             "line 7: causationID: must be a string (leave the key out when there is none)"),
        ]
        for (from, to, prefix) in cases {
            let line = visitLine.replacingOccurrences(of: from, with: to)
            #expect(line != visitLine)
            let error = try #require(decodeError(line), "\(to)")
            #expect(error.code == .invalidAppend)
            #expect(error.message.hasPrefix(prefix), "\(error.message)")
        }
    }

    @Test func aLineThatIsNotAJSONObjectIsRefused() throws {
        #expect(try #require(decodeError("[1,2]")).message == "line 7: not a JSON object")
        #expect(try #require(decodeError("\"text\"")).message == "line 7: not a JSON object")
        #expect(try #require(decodeError(String(visitLine.dropLast()))).message.hasPrefix("line 7: not valid JSON"))
        #expect(try #require(decodeError(visitLine + visitLine)).message.hasPrefix("line 7: not valid JSON"))
        #expect(try #require(decodeError("")).message.hasPrefix("line 7: not valid JSON"))
    }

    // MARK: Lines

    @Test func decodeLinesSkipsBlankLinesAndCountsLinesFromOne() throws {
        let types = registered()
        let first = try recorded(JVisitLogged(cadre: "a", kind: "k", visitedOn: LedgerDate("2024-02-09")!), position: 0)
        let second = try recorded(everything, position: 1, version: 1)
        let third = RecordedEvent(position: 2, streamID: "s", streamVersion: 0, eventType: "FromTheFuture", schemaVersion: 1,
                                  recordedAt: -1, metadata: metadata(correlation: "c"), payload: [7])
        let lines = try [first, second, third].map { try EventJSON.encode($0, types: types) }
        let text = lines[0] + "\n\n" + lines[1] + "\r\n  \n" + lines[2] + "\n"
        #expect(try EventJSON.decodeLines(text, types: types) == [first, second, third])
        #expect(try EventJSON.decodeLines(lines.joined(separator: "\n"), types: types) == [first, second, third])
        #expect(try EventJSON.decodeLines("", types: types) == [])
        #expect(try EventJSON.decodeLines("\n\n", types: types) == [])
        // The export of what was read is the same text.
        let exported = try EventJSON.decodeLines(lines.joined(separator: "\n"), types: types).map { try EventJSON.encode($0, types: types) }
        #expect(exported == lines)

        let broken = lines[0] + "\n\n" + lines[1] + "\n" + lines[2].replacingOccurrences(of: #""recordedAt":"1969-12-31T23:59:59.999999Z""#,
                                                                                            with: #""recordedAt":"yesterday""#)
        let error = #expect(throws: EventStoreError.self) { try EventJSON.decodeLines(broken, types: types) }
        #expect(error?.message == #"line 4: recordedAt: "yesterday" is not a UTC time of the form YYYY-MM-DDTHH:MM:SS.ffffffZ (0 to 6 fraction digits, years 0000-9999, the suffix Z)"#)
    }
}

/// `line` without the key `key` and its (simple) value.
private func removing(_ key: String, from line: String) -> String {
    guard let keyRange = line.range(of: #""\#(key)":"#) else { return line }
    var end = keyRange.upperBound
    var inString = false
    var escaped = false
    while end < line.endIndex {
        let c = line[end]
        if inString {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        } else if c == "\"" {
            inString = true
        } else if c == "," || c == "}" {
            break
        }
        end = line.index(after: end)
    }
    // Remove the key, its value and one comma next to it.
    if end < line.endIndex && line[end] == "," {
        return String(line[..<keyRange.lowerBound] + line[line.index(after: end)...])
    }
    let before = line[..<keyRange.lowerBound]
    return String(before.dropLast(before.hasSuffix(",") ? 1 : 0) + line[end...])
}
