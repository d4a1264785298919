/// Entry points for the fuzz targets (Fuzz/, scripts/fuzz.sh): any bytes,
/// never a crash; a property that fails traps, so that libFuzzer reports it.
package enum CoreFuzz {
    /// One event record (envelope and payload): a record that decodes gives
    /// its strings, and written again it decodes to the same event.
    package static func envelope(_ data: UnsafeRawBufferPointer) {
        let record = ArraySlice(data)
        var decoder = EnvelopeDecoder()
        guard let event = try? decoder.decode(record, position: 7, recordedAt: 1_700_000_000_000_000) else { return }
        let metadata = event.metadata
        let again = EnvelopeCodec.encode(streamID: event.streamID, streamVersion: event.streamVersion, eventType: event.eventType,
                                         schemaVersion: event.schemaVersion, metadata: metadata, payload: event.payload)
        guard let back = try? decoder.decode(again[...], position: 7, recordedAt: 1_700_000_000_000_000) else {
            preconditionFailure("an event that decoded does not decode once written again")
        }
        precondition(back == event, "an event written again decodes to another event")
        precondition(back.withIDBytes { s, c in s.count == event.streamID.utf8.count && c.count == metadata.commandID.utf8.count })
    }

    /// The record of `event` as the store writes it: envelope, then payload.
    package static func record(of event: RecordedEvent) -> [UInt8] {
        EnvelopeCodec.encode(streamID: event.streamID, streamVersion: event.streamVersion, eventType: event.eventType,
                             schemaVersion: event.schemaVersion, metadata: event.metadata, payload: event.payload)
    }
}
