import Foundation

/// The JSON form of events (docs/EVENTS.md, "The JSON form"): JSON Lines, one
/// event per line, for export, import and the event fixtures of tests.
///
/// ```
/// {"position":0,"stream":"cadre-17","version":0,"type":"VisitLogged","schemaVersion":2,"recordedAt":"2024-02-09T08:00:00.000000Z","businessDate":"2024-02-09","recordedBy":"op-3","commandID":"cmd-7f3a","payload":{"cadre":"cadre-17","kind":"节日慰问","visitedOn":"2024-02-09"}}
/// ```
///
/// The keys are written in a fixed order; `correlationID` and `causationID`
/// only when present. The payload of a registered (type, schema version) is
/// the JSON of the type registered for that version (an old version in its
/// old shape, never upcast); the payload of an unregistered one is
/// `payloadBase64`, its binary bytes in base64.
///
/// The form is lossless: a line read back gives the same event, payload bytes
/// included, and writing that event again gives the same line, byte for byte.
/// ``encode(_:types:)`` throws rather than write a line that would not read
/// back to the same event.
public enum EventJSON {
    /// The keys of a line, in the order they are written.
    static let keyOrder = ["position", "stream", "version", "type", "schemaVersion", "recordedAt", "businessDate",
                           "recordedBy", "commandID", "correlationID", "causationID", "payload", "payloadBase64"]
    /// The keys every line has (besides one of `payload` and `payloadBase64`).
    static let requiredKeys = ["position", "stream", "version", "type", "schemaVersion", "recordedAt", "businessDate",
                               "recordedBy", "commandID"]

    /// The event as one line of the JSON form, without a line break.
    ///
    /// Throws ``EventStoreError`` (code ``EventStoreError/Code/corruptedEvent``)
    /// naming the event and the field if the event cannot be written so that
    /// it reads back the same: a payload that does not decode as its registered
    /// type, a payload value JSON cannot hold (a NaN or an infinity) or whose
    /// JSON does not read back to the same bytes, a time or business date
    /// outside the years 0000–9999, a schema version outside 0…4294967295.
    public static func encode(_ event: RecordedEvent, types: EventTypes) throws -> String {
        func failure(_ field: String, _ reason: String) -> EventStoreError {
            EventStoreError(.corruptedEvent,
                            "event at position \(event.position) (stream \(quoted(event.streamID)), \(quoted(event.eventType)) version \(event.schemaVersion)) has no JSON form: \(field): \(reason)",
                            stream: event.streamID)
        }
        guard (0...Int(UInt32.max)).contains(event.schemaVersion) else {
            throw failure("schemaVersion", "\(event.schemaVersion) is outside 0...\(UInt32.max)")
        }
        guard let recordedAt = formatTimestamp(event.recordedAt) else {
            throw failure("recordedAt", "\(event.recordedAt) µs is outside the years 0000-9999")
        }
        guard let businessDate = formatDate(event.metadata.businessDate) else {
            throw failure("businessDate", "day \(event.metadata.businessDate.daysSinceEpoch) is outside the years 0000-9999")
        }
        var out = JSONText()
        out.raw("{\"position\":")
        out.raw(String(event.position))
        out.raw(",\"stream\":")
        out.string(event.streamID)
        out.raw(",\"version\":")
        out.raw(String(event.streamVersion))
        out.raw(",\"type\":")
        out.string(event.eventType)
        out.raw(",\"schemaVersion\":")
        out.raw(String(event.schemaVersion))
        out.raw(",\"recordedAt\":")
        out.string(recordedAt)
        out.raw(",\"businessDate\":")
        out.string(businessDate)
        out.raw(",\"recordedBy\":")
        out.string(event.metadata.recordedBy)
        out.raw(",\"commandID\":")
        out.string(event.metadata.commandID)
        if let correlationID = event.metadata.correlationID {
            out.raw(",\"correlationID\":")
            out.string(correlationID)
        }
        if let causationID = event.metadata.causationID {
            out.raw(",\"causationID\":")
            out.string(causationID)
        }
        if let entry = types.entry(name: event.eventType, version: event.schemaVersion) {
            let json: [UInt8]
            do {
                json = try entry.binaryToJSON(event.payload)
            } catch {
                throw failure("payload", "\(describe(error)) (registered type \(entry.storedType))")
            }
            out.raw(",\"payload\":")
            out.bytes.append(contentsOf: json)
        } else {
            out.raw(",\"payloadBase64\":\"")
            out.raw(Data(event.payload).base64EncodedString())
            out.raw("\"")
        }
        out.raw("}")
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Reads one line of the JSON form (`lineNumber` is used in errors).
    ///
    /// The payload of a registered (type, schema version) is decoded as the
    /// type registered for that version and stored in the binary codec; a
    /// `payloadBase64` is stored as given (checked to decode if the type is
    /// registered). Keys may come in any order; an unknown, repeated or missing
    /// key, a value of the wrong type or form, or a payload that does not
    /// decode throws ``EventStoreError`` with code
    /// ``EventStoreError/Code/invalidAppend`` and a message naming the line,
    /// the field and the reason.
    public static func decode(line: String, lineNumber: Int, types: EventTypes) throws(EventStoreError) -> RecordedEvent {
        try decode(utf8: Array(line.utf8), lineNumber: lineNumber, types: types)
    }

    /// Reads every line of `text` (lines end with LF; an empty or blank line is
    /// skipped; lines are numbered from 1 in errors). Stops at the first error.
    public static func decodeLines(_ text: String, types: EventTypes) throws(EventStoreError) -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            events.append(try decode(utf8: Array(line), lineNumber: lineNumber, types: types))
        }
        return events
    }

    static func decode(utf8: [UInt8], lineNumber: Int, types: EventTypes) throws(EventStoreError) -> RecordedEvent {
        func failure(_ message: String) -> EventStoreError {
            EventStoreError(.invalidAppend, "line \(lineNumber): \(message)")
        }
        let decoder = JSONDecoder()
        decoder.userInfo[typesKey] = types
        let line: Line
        do {
            line = try decoder.decode(Line.self, from: Data(utf8))
        } catch let error as LineFailure {
            throw failure(error.message)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw failure("not valid JSON" + (context.underlyingError.map { ": \($0)" } ?? ""))
        } catch {
            throw failure(describe(error))
        }
        if let key = repeatedTopLevelKey(utf8) {
            throw failure("\(key): the key appears more than once")
        }
        return line.event
    }

    static let typesKey = CodingUserInfoKey(rawValue: "SilverLedger.EventJSON.types")!
}

// MARK: - Reading a line

/// A line's key.
struct JSONFieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Why a line was refused: the message after `line N: `.
struct LineFailure: Error {
    var message: String
    init(_ field: String, _ reason: String) { message = "\(field): \(reason)" }
    init(message: String) { self.message = message }
}

/// One line read by `JSONDecoder`, with the store's types in `userInfo`.
private struct Line: Decodable {
    var event: RecordedEvent

    init(from decoder: any Decoder) throws {
        guard let types = decoder.userInfo[EventJSON.typesKey] as? EventTypes else {
            preconditionFailure("EventJSON.Line is decoded only by EventJSON.decode")
        }
        let c: KeyedDecodingContainer<JSONFieldKey>
        do {
            c = try decoder.container(keyedBy: JSONFieldKey.self)
        } catch {
            throw LineFailure(message: "not a JSON object")
        }
        let unknown = c.allKeys.map(\.stringValue).filter { !EventJSON.keyOrder.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw LineFailure(message: (unknown.count == 1 ? "unknown key " : "unknown keys ") + unknown.map(EventJSON.quoted).joined(separator: ", "))
        }
        var missing = EventJSON.requiredKeys.filter { !c.contains(JSONFieldKey($0)) }
        let hasPayload = c.contains(JSONFieldKey("payload"))
        let hasBase64 = c.contains(JSONFieldKey("payloadBase64"))
        if !hasPayload && !hasBase64 { missing.append("payload") }
        if !missing.isEmpty {
            throw LineFailure(message: (missing.count == 1 ? "missing key " : "missing keys ") + missing.map(EventJSON.quoted).joined(separator: ", ")
                              + (missing.last == "payload" ? " (or \"payloadBase64\")" : ""))
        }
        if hasPayload && hasBase64 {
            throw LineFailure("payload", "give \"payload\" or \"payloadBase64\", not both")
        }

        func value<T: Decodable>(_ name: String, _ type: T.Type, _ what: String) throws -> T {
            do {
                return try c.decode(T.self, forKey: JSONFieldKey(name))
            } catch {
                throw LineFailure(name, "must be \(what)" + (EventJSON.debugDescription(error).map { " (\($0))" } ?? ""))
            }
        }
        let position = try value("position", UInt64.self, "an integer from 0 to \(UInt64.max)")
        let stream = try value("stream", String.self, "a string")
        let version = try value("version", UInt64.self, "an integer from 0 to \(UInt64.max)")
        let type = try value("type", String.self, "a string")
        let schemaVersion = try value("schemaVersion", UInt32.self, "an integer from 0 to \(UInt32.max)")
        let recordedAtText = try value("recordedAt", String.self, "a string")
        guard let recordedAt = EventJSON.parseTimestamp(recordedAtText) else {
            throw LineFailure("recordedAt", "\(EventJSON.quoted(recordedAtText)) is not a UTC time of the form YYYY-MM-DDTHH:MM:SS.ffffffZ (0 to 6 fraction digits, years 0000-9999, the suffix Z)")
        }
        let businessDateText = try value("businessDate", String.self, "a string")
        guard let businessDate = EventJSON.parseDate(Array(businessDateText.utf8)[...]) else {
            throw LineFailure("businessDate", "\(EventJSON.quoted(businessDateText)) is not a date of the form YYYY-MM-DD (years 0000-9999)")
        }
        let recordedBy = try value("recordedBy", String.self, "a string")
        let commandID = try value("commandID", String.self, "a string")
        let correlationID: String? = if c.contains(JSONFieldKey("correlationID")) {
            try value("correlationID", String.self, "a string (leave the key out when there is none)")
        } else { nil }
        let causationID: String? = if c.contains(JSONFieldKey("causationID")) {
            try value("causationID", String.self, "a string (leave the key out when there is none)")
        } else { nil }

        let entry = types.entry(name: type, version: Int(schemaVersion))
        let shape = "\(EventJSON.quoted(type)) version \(schemaVersion)"
        let payload: [UInt8]
        if hasBase64 {
            let text = try value("payloadBase64", String.self, "a base64 string")
            guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else {
                throw LineFailure("payloadBase64", "not base64 as written on export (standard alphabet, padded with =, no line breaks)")
            }
            payload = Array(data)
            if let entry {
                do {
                    try entry.checkBinary(payload)
                } catch {
                    throw LineFailure("payloadBase64", "does not decode as \(shape) (registered type \(entry.storedType)): \(EventJSON.describe(error))")
                }
            }
        } else {
            guard let entry else {
                throw LineFailure("payload", "\(shape) is not registered: the payload of an unregistered type can only be given as \"payloadBase64\"")
            }
            do {
                payload = try entry.jsonToBinary(c.superDecoder(forKey: JSONFieldKey("payload")))
            } catch {
                throw LineFailure("payload", "does not decode as \(shape) (registered type \(entry.storedType)): \(EventJSON.describe(error))")
            }
        }
        event = RecordedEvent(
            position: position, streamID: stream, streamVersion: version, eventType: type,
            schemaVersion: Int(schemaVersion), recordedAt: recordedAt,
            metadata: EventMetadata(businessDate: businessDate, recordedBy: recordedBy, commandID: commandID,
                                    correlationID: correlationID, causationID: causationID),
            payload: payload)
    }
}

extension EventJSON {
    /// The first key of the top-level object that appears twice, if any
    /// (`JSONDecoder` keeps one of them silently). `utf8` is valid JSON.
    static func repeatedTopLevelKey(_ utf8: [UInt8]) -> String? {
        var seen = Set<String>()
        var depth = 0
        var expectingKey = false
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectingKey = depth == 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                expectingKey = depth == 1
            case UInt8(ascii: "\""):
                let start = i + 1
                var escaped = false
                i += 1
                while i < utf8.count && (utf8[i] != UInt8(ascii: "\"") || escaped) {
                    escaped = !escaped && utf8[i] == UInt8(ascii: "\\")
                    i += 1
                }
                if depth == 1 && expectingKey {
                    expectingKey = false
                    let raw = utf8[start..<min(i, utf8.count)]
                    let key = raw.contains(UInt8(ascii: "\\"))
                        ? (try? JSONDecoder().decode(String.self, from: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]))) ?? String(decoding: raw, as: UTF8.self)
                        : String(decoding: raw, as: UTF8.self)
                    if !seen.insert(key).inserted { return key }
                }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}

// MARK: - Payloads

/// Why a payload has no JSON form or does not read from it.
struct PayloadJSONFailure: Error, CustomStringConvertible {
    var description: String
}

extension EventJSON {
    /// The encoder of payloads: sorted keys, slashes unescaped, no whitespace.
    static func payloadEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The conversions between the binary payload and the JSON of the stored shape `Stored`
    /// (for ``EventTypes/Entry``).
    static func payloadCoding<Stored: Codable & Sendable>(_ type: Stored.Type) -> (
        binaryToJSON: @Sendable ([UInt8]) throws -> [UInt8],
        jsonToBinary: @Sendable (any Decoder) throws -> [UInt8],
        checkBinary: @Sendable ([UInt8]) throws -> Void
    ) {
        let binaryToJSON: @Sendable ([UInt8]) throws -> [UInt8] = { bytes in
            let value: Stored
            do {
                value = try BinaryDecoder().decode(Stored.self, from: bytes)
            } catch {
                throw PayloadJSONFailure(description: "the binary payload does not decode: \(describe(error))")
            }
            let json: [UInt8]
            do {
                json = Array(try payloadEncoder().encode(value))
            } catch {
                throw PayloadJSONFailure(description: "a value has no JSON form: \(describe(error))")
            }
            // Written only if it reads back to the very same bytes.
            let back = try? BinaryEncoder().encode(JSONDecoder().decode(Stored.self, from: Data(json)))
            guard back == bytes else {
                throw PayloadJSONFailure(description: "its JSON does not read back to the same binary bytes (values JSON does not tell apart, such as nil and .some(nil), or bytes the binary encoder would not have written)")
            }
            return json
        }
        let jsonToBinary: @Sendable (any Decoder) throws -> [UInt8] = { decoder in
            let value = try decoder.singleValueContainer().decode(Stored.self)
            // JSONDecoder ignores keys the type does not read: a misspelt or
            // misplaced field would be dropped without a word. Every key given
            // must be one the type writes (or be null).
            let given = try decoder.singleValueContainer().decode(JSONShape.self)
            let written = try JSONDecoder().decode(JSONShape.self, from: payloadEncoder().encode(value))
            if let (at, key) = given.firstKeyNotIn(written, at: path(decoder.codingPath)) {
                throw PayloadJSONFailure(description: "at \(at): unknown key \(quoted(key)), not a field of the registered type")
            }
            return try BinaryEncoder().encode(value)
        }
        let checkBinary: @Sendable ([UInt8]) throws -> Void = { bytes in
            _ = try BinaryDecoder().decode(Stored.self, from: bytes)
        }
        return (binaryToJSON, jsonToBinary, checkBinary)
    }
}

/// The structure of a JSON value: its objects' keys and its arrays' elements.
enum JSONShape: Decodable {
    case null
    case scalar
    case array([JSONShape])
    case object([String: JSONShape])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let object = try? container.decode([String: JSONShape].self) {
            self = .object(object)
        } else if let array = try? container.decode([JSONShape].self) {
            self = .array(array)
        } else {
            self = .scalar
        }
    }

    /// The first key (sorted, depth first) of an object of `self` that the
    /// matching object of `other` lacks, unless its value is null; with the
    /// path to the object it is in.
    func firstKeyNotIn(_ other: JSONShape, at path: String) -> (path: String, key: String)? {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            for key in mine.keys.sorted() {
                let value = mine[key]!
                guard let match = theirs[key] else {
                    if case .null = value { continue }
                    return (path, key)
                }
                if let found = value.firstKeyNotIn(match, at: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        case (.array(let mine), .array(let theirs)):
            for (index, (value, match)) in zip(mine, theirs).enumerated() {
                if let found = value.firstKeyNotIn(match, at: "\(path)[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
    }
}

// MARK: - Writing JSON text

/// JSON text being written, as UTF-8.
struct JSONText {
    var bytes: [UInt8] = []

    /// Appends `text` as is.
    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `text` as a JSON string (RFC 8259): `"` and `\` escaped, the
    /// control characters U+0000–U+001F as `\b \f \n \r \t` or `\u00xx`
    /// (lower-case hex), everything else (all non-ASCII) as UTF-8.
    mutating func string(_ text: String) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension EventJSON {
    /// `text` as a JSON string, for messages.
    static func quoted(_ text: String) -> String {
        var out = JSONText()
        out.string(text)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// A coding path as `payload.items[2].name`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// A decoding or encoding error in a few words, with the path it happened at.
    static func describe(_ error: any Error) -> String {
        func at(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "" : "at \(path(codingPath)): "
        }
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return at(context.codingPath) + context.debugDescription
                + (context.underlyingError.map { " (\($0))" } ?? "")
        case DecodingError.keyNotFound(let key, let context):
            return at(context.codingPath) + "missing key \(quoted(key.stringValue))"
        case EncodingError.invalidValue(_, let context):
            return at(context.codingPath) + context.debugDescription
        default:
            return String(describing: error)
        }
    }

    /// The debug description of a decoding error, if it is one.
    static func debugDescription(_ error: any Error) -> String? {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context):
            return context.debugDescription
        default:
            return nil
        }
    }
}

// MARK: - Dates and times

extension EventJSON {
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// 0000-01-01 and 9999-12-31, the dates the form can write.
    static let firstDay = LedgerDate(year: 0, month: 1, day: 1)!
    static let lastDay = LedgerDate(year: 9999, month: 12, day: 31)!

    /// `YYYY-MM-DD`; nil outside the years 0000–9999.
    static func formatDate(_ date: LedgerDate) -> String? {
        guard date >= firstDay, date <= lastDay else { return nil }
        let (y, m, d) = date.components
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, six fraction digits) of microseconds
    /// since 1970-01-01T00:00:00Z; nil outside the years 0000–9999.
    static func formatTimestamp(_ microseconds: Int64) -> String? {
        var days = microseconds / microsecondsPerDay
        var rest = microseconds % microsecondsPerDay
        if rest < 0 {
            days -= 1
            rest += microsecondsPerDay
        }
        guard let day = Int32(exactly: days), let date = formatDate(LedgerDate(daysSinceEpoch: day)) else { return nil }
        let seconds = Int(rest / 1_000_000)
        return date + "T" + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
            + "." + pad(Int(rest % 1_000_000), 6) + "Z"
    }

    /// Parses `YYYY-MM-DD` exactly (ASCII digits, a real date); nil otherwise.
    static func parseDate(_ b: ArraySlice<UInt8>) -> LedgerDate? {
        guard b.count == 10 else { return nil }
        let s = b.startIndex
        guard b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-"),
              let y = number(b[s..<(s + 4)]), let m = number(b[(s + 5)..<(s + 7)]), let d = number(b[(s + 8)..<(s + 10)])
        else { return nil }
        return LedgerDate(year: y, month: m, day: d)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f…]Z` (0 to 6 fraction digits, UTC only) into
    /// microseconds since 1970-01-01T00:00:00Z; nil otherwise.
    static func parseTimestamp(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"),
              let date = parseDate(b[0..<10]), b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let h = number(b[11..<13]), let m = number(b[14..<16]), let s = number(b[17..<19]),
              h < 24, m < 60, s < 60
        else { return nil }
        var fraction: Int64 = 0
        if b.count > 20 {
            let digits = b[20..<(b.count - 1)]
            guard b[19] == UInt8(ascii: "."), (1...6).contains(digits.count), let f = number(digits) else { return nil }
            fraction = Int64(f)
            for _ in digits.count..<6 { fraction *= 10 }
        }
        return Int64(date.daysSinceEpoch) * microsecondsPerDay + Int64(h * 3600 + m * 60 + s) * 1_000_000 + fraction
    }

    /// The value of ASCII decimal digits; nil if any byte is not one.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for b in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
