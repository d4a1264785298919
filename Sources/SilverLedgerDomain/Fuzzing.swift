import Foundation
import SilverLedger

/// Entry points for the fuzz targets (Fuzz/, scripts/fuzz.sh): any bytes,
/// never a crash; a property that fails traps, so that libFuzzer reports it.
package enum DomainFuzz {
    /// The first byte (1 or more) picks a domain event type, the rest is its binary
    /// payload. The type's own reader and `Codable` must agree (both refuse,
    /// or both read the value), a value read must be written and read back
    /// unchanged, and a rebuild's reader (``DomainReplay``) must refuse
    /// exactly what whole decoding refuses and fold in what it gives.
    package static func payload(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first, selector > 0 else { return }
        let type = DomainEvents.all[(Int(selector) - 1) % DomainEvents.all.count]
        let bytes = Array(data.dropFirst())
        guard let codable = type as? any (DomainEvent & BinaryCodable).Type else {
            preconditionFailure("\(type) has no binary form")
        }
        check(codable, bytes)
    }

    private static func check<E: DomainEvent & BinaryCodable>(_: E.Type, _ bytes: [UInt8]) {
        let fast = bytes.withUnsafeBytes { try? BinaryReader.decode(E.self, from: $0) }
        let slow = try? BinaryDecoder().decode(E.self, from: bytes)
        precondition((fast == nil) == (slow == nil), "\(E.self): the binary reader and Codable disagree on \(bytes)")
        if let fast, let slow {
            // Compared as bytes: a value may hold a NaN, which is not equal to itself.
            let written = BinaryWriter.encode(fast)
            precondition(written == BinaryWriter.encode(slow), "\(E.self): the binary reader and Codable read different values")
            precondition(written == (try? BinaryEncoder().encode(fast)), "\(E.self): the two writers differ")
            let back = written.withUnsafeBytes { try? BinaryReader.decode(E.self, from: $0) }
            precondition(back.map { BinaryWriter.encode($0) } == written, "\(E.self): a value written does not read back")
        }
        let event = RecordedEvent(position: 0, streamID: "s", streamVersion: 0, eventType: E.eventType, schemaVersion: E.schemaVersion,
                                  recordedAt: 0, metadata: EventMetadata(businessDate: LedgerDate(daysSinceEpoch: 20_000), recordedBy: "op", commandID: "c"),
                                  payload: bytes)
        var preparer = DomainReplay(types: Ledger.eventTypes)
        let prepared: Bool
        do {
            try preparer.prepare(event, typeSlot: 0) { try event.decoded(with: Ledger.eventTypes) }
            prepared = true
        } catch {
            prepared = false
        }
        precondition(prepared == (fast != nil), "\(E.self): the rebuild's reader and whole decoding disagree on \(bytes)")
        if prepared {
            var a = DomainState(), b = DomainState()
            a.apply(event, decoded: fast)
            b.apply(prepared: preparer.take())
            precondition((try? BinaryEncoder().encode(a)) == (try? BinaryEncoder().encode(b)), "\(E.self): the rebuild's reader folds in another state")
        }
    }

    /// A line of JSON commands (docs/COMMANDS.md): a line that parses is
    /// written again as a line that parses to the same JSON.
    package static func commandJSON(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        guard let line = try? CommandJSONLine.parse(text, lineNumber: 1) else { return }
        let json = line.json()
        guard let again = try? CommandJSONLine.parse(json, lineNumber: 1) else {
            preconditionFailure("a command line written again does not parse: \(json)")
        }
        precondition(again.json() == json, "a command line written again reads differently")
    }

    /// Seeds for the codec target: from a small generated province, the first
    /// three events of each type (its selector byte, then its payload) and
    /// their whole records (0, then envelope and payload).
    package static func writeCodecSeeds(to directory: String) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = ProvinceGenerator.Configuration(cadres: 60, branches: 6, years: 2)
        config.seed = 5
        let end = config.endDate
        let ledger = try Ledger(store: EventStore.inMemory(types: Ledger.eventTypes), today: { end })
        _ = try await ProvinceGenerator(config).run(into: ledger)
        var seen: [String: Int] = [:]
        var written = 0
        try ledger.store.forEachEvent { event in
            guard let index = DomainEvents.all.firstIndex(where: { $0.eventType == event.eventType }) else { return }
            seen[event.eventType, default: 0] += 1
            guard seen[event.eventType]! <= 3 else { return }
            let n = seen[event.eventType]!
            try Data([UInt8(index + 1)] + event.payload).write(to: URL(fileURLWithPath: directory + "/payload-\(event.eventType)-\(n)"))
            let record = CoreFuzz.record(of: event)
            try Data([0] + record).write(to: URL(fileURLWithPath: directory + "/record-\(event.eventType)-\(n)"))
            written += 2
        }
        print("wrote \(written) seeds to \(directory)")
    }
}
