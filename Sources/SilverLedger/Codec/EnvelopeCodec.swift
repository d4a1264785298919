/// The bytes of one event in a log record (docs/EVENTS.md, "Binary envelope"):
///
/// ```
/// u8      envelope version (1)
/// string  stream id            (string = varint length, UTF-8)
/// varint  stream version
/// string  event type
/// varint  schema version
/// zigzag  business date (days since 1970-01-01)
/// string  recorded by
/// string  command id
/// u8      flags: bit 0 correlation id follows, bit 1 causation id follows
/// string? correlation id, causation id
/// bytes   payload in the binary codec, to the end of the record
/// ```
///
/// The position and the recorded-at time are the log record's own.
enum EnvelopeCodec {
    static let version: UInt8 = 1

    static func encode(streamID: String, streamVersion: UInt64, eventType: String, schemaVersion: Int,
                       metadata: EventMetadata, payload: [UInt8], into bytes: inout [UInt8]) {
        let sink = BinarySink(bytes)
        bytes = []
        defer { bytes = sink.bytes }
        sink.bytes.append(version)
        sink.string(streamID)
        sink.varint(streamVersion)
        sink.string(eventType)
        sink.varint(UInt64(schemaVersion))
        sink.zigzag(Int64(metadata.businessDate.daysSinceEpoch))
        sink.string(metadata.recordedBy)
        sink.string(metadata.commandID)
        sink.bytes.append((metadata.correlationID == nil ? 0 : 1) | (metadata.causationID == nil ? 0 : 2))
        if let c = metadata.correlationID { sink.string(c) }
        if let c = metadata.causationID { sink.string(c) }
        sink.bytes.append(contentsOf: payload)
    }

    /// Decodes a record's bytes; throws `DecodingError` naming the field if they are malformed.
    static func decode(_ bytes: UnsafeRawBufferPointer, position: UInt64, recordedAt: Int64) throws -> RecordedEvent {
        let source = BinarySource(bytes)
        func field(_ name: String) -> [any CodingKey] { [EnvelopeKey(stringValue: name)] }
        let v = try source.byte(field("envelopeVersion"))
        guard v == version else { throw source.corrupted("envelope version \(v), this build reads \(version)", field("envelopeVersion")) }
        let streamID = try source.string(field("streamID"))
        let streamVersion = try source.varint(field("streamVersion"))
        let eventType = try source.string(field("eventType"))
        let schemaVersion = try source.unsigned(UInt32.self, field("schemaVersion"))
        let day = try source.integer(Int32.self, field("businessDate"))
        let recordedBy = try source.string(field("recordedBy"))
        let commandID = try source.string(field("commandID"))
        let flags = try source.byte(field("flags"))
        guard flags & ~3 == 0 else { throw source.corrupted("unknown envelope flags \(flags)", field("flags")) }
        let correlation = flags & 1 != 0 ? try source.string(field("correlationID")) : nil
        let causation = flags & 2 != 0 ? try source.string(field("causationID")) : nil
        let payload = Array(try source.raw(bytes.count - source.offset, field("payload")))
        return RecordedEvent(
            position: position, streamID: streamID, streamVersion: streamVersion, eventType: eventType,
            schemaVersion: Int(schemaVersion), recordedAt: recordedAt,
            metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: day), recordedBy: recordedBy,
                                    commandID: commandID, correlationID: correlation, causationID: causation),
            payload: payload)
    }
}

/// Names a field of the envelope in decoding errors.
struct EnvelopeKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
