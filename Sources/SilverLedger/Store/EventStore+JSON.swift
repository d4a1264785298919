import Foundation
@_spi(Internals) import SilverLedgerStorage

/// What ``EventStore/importJSONLines(_:progress:)`` wrote.
public struct ImportReport: Sendable, Hashable {
    /// The positions of the events imported.
    public var positions: Range<UInt64>
    /// How many commands (atomic appends) they came in.
    public var commands: Int
}

extension EventStore {
    /// Writes the committed events from `position` on in the JSON form
    /// (docs/EVENTS.md, "The JSON form"): `body` gets one line at a time,
    /// without its line break. Events are read in bounded memory.
    public func exportJSONLines(from position: UInt64 = 0, _ body: (String) throws -> Void) throws {
        try forEachEvent(from: position) { event in try body(try EventJSON.encode(event, types: types)) }
    }

    /// Writes the committed events from `position` on to a JSON Lines file
    /// (each line ending with a line break), replacing it atomically.
    public func exportJSONLines(from position: UInt64 = 0, toFile path: String) throws {
        var text = Data()
        try exportJSONLines(from: position) { line in
            text.append(contentsOf: line.utf8)
            text.append(0x0A)
        }
        try text.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Appends events given in the JSON form, keeping everything they record:
    /// positions, stream versions, recorded-at times, command ids and payloads
    /// (an export imported into an empty store exports again byte for byte).
    ///
    /// The lines must continue this store exactly: the first at
    /// ``nextPosition``, then one position after another; each event at the
    /// next version of its stream; times never going back, nor before the
    /// last event already in the store; and every command id new. Consecutive
    /// events with the same command id and time are one command, appended
    /// atomically. All lines are checked before anything is written: if one
    /// breaks a rule, the error names its line and nothing is imported.
    /// Appends made while an import runs wait for it, and vice versa.
    ///
    /// `progress`, if given, is told the events written so far and how many
    /// there are, after each command.
    @discardableResult
    public func importJSONLines(_ text: String,
                                progress: ((_ written: Int, _ total: Int) -> Void)? = nil) async throws(EventStoreError) -> ImportReport {
        let events = try EventJSON.decodeLines(text, types: types)
        return try await importEvents(events, lineNumbers: Self.lineNumbers(of: text), progress: progress)
    }

    /// Imports the JSON Lines file at `path` (see ``importJSONLines(_:progress:)``).
    @discardableResult
    public func importJSONLines(fromFile path: String,
                                progress: ((_ written: Int, _ total: Int) -> Void)? = nil) async throws(EventStoreError) -> ImportReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EventStoreError(.invalidAppend, "cannot read \(path): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EventStoreError(.invalidAppend, "\(path) is not UTF-8 text")
        }
        return try await importJSONLines(text, progress: progress)
    }

    /// The line number of each non-blank line, as `EventJSON.decodeLines` counts them.
    private static func lineNumbers(of text: String) -> [Int] {
        var numbers: [Int] = []
        var n = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            n += 1
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { numbers.append(n) }
        }
        return numbers
    }

    private func importEvents(_ events: [RecordedEvent], lineNumbers: [Int],
                              progress: ((Int, Int) -> Void)?) async throws(EventStoreError) -> ImportReport {
        guard !events.isEmpty else { return ImportReport(positions: nextPosition..<nextPosition, commands: 0) }
        let groups = try checkImport(events, lineNumbers: lineNumbers)
        for group in groups {
            let pending = try await reserveImported(events[group], firstLine: lineNumbers[group.lowerBound])
            _ = try await pending.value()
            progress?(group.upperBound, events.count)
        }
        return ImportReport(positions: events[0].position..<(events[events.count - 1].position + 1), commands: groups.count)
    }

    /// Checks every rule of an import against the store as it is now; returns the commands' ranges.
    private func checkImport(_ events: [RecordedEvent], lineNumbers: [Int]) throws(EventStoreError) -> [Range<Int>] {
        func failure(_ i: Int, _ message: String) -> EventStoreError {
            EventStoreError(.invalidAppend, "line \(lineNumbers[i]): \(message); nothing was imported", stream: events[i].streamID)
        }
        let (start, commandsSeen, streamCounts) = try state.withLock { (s) throws(EventStoreError) -> (UInt64, Set<String>, [String: UInt64]) in
            let named = Set(events.map(\.streamID))
            var counts: [String: UInt64] = [:]
            for stream in named { counts[stream] = s.streams.find(stream).count }
            var commands = Set<String>()
            for id in Set(events.map(\.metadata.commandID)) where try command(id, in: s) != nil { commands.insert(id) }
            return (s.nextPosition, commands, counts)
        }
        var versions = streamCounts
        var seen = Set<String>()
        var groups: [Range<Int>] = []
        var groupStart = 0
        for (i, event) in events.enumerated() {
            let expectedPosition = start + UInt64(i)
            guard event.position == expectedPosition else {
                throw failure(i, "position \(event.position), but the store's next position is \(expectedPosition)")
            }
            let version = versions[event.streamID, default: 0]
            guard event.streamVersion == version else {
                throw failure(i, "stream \(event.streamID) version \(event.streamVersion), but the stream's next version is \(version)")
            }
            versions[event.streamID] = version + 1
            if i > 0 {
                let previous = events[i - 1]
                guard event.recordedAt >= previous.recordedAt else {
                    throw failure(i, "recordedAt \(event.recordedAt) is before the previous line's \(previous.recordedAt)")
                }
                if event.metadata.commandID != previous.metadata.commandID || event.recordedAt != previous.recordedAt {
                    groups.append(groupStart..<i)
                    groupStart = i
                }
            }
            if i == groupStart {
                guard !commandsSeen.contains(event.metadata.commandID) else {
                    throw failure(i, "command \(event.metadata.commandID) is already in the store")
                }
                guard seen.insert(event.metadata.commandID).inserted else {
                    throw failure(i, "command \(event.metadata.commandID) appears again, apart from its first events")
                }
            }
        }
        groups.append(groupStart..<events.count)
        for group in groups where group.count > CommandIndex.maxEvents {
            throw failure(group.lowerBound, "command \(events[group.lowerBound].metadata.commandID) has \(group.count) events; a command may have at most \(CommandIndex.maxEvents)")
        }
        return groups
    }

    /// Reserves and submits one imported command once no append is in flight
    /// (its times must not go before the last one the log has given).
    private func reserveImported(_ group: ArraySlice<RecordedEvent>, firstLine: Int) async throws(EventStoreError) -> PendingAppend {
        while true {
            let pending = try submission.withLock { (_) throws(EventStoreError) -> PendingAppend? in
                try reserveImportedLocked(group, firstLine: firstLine)
            }
            if let pending { return pending }
            // Appends are in flight: wait for them to be written.
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Under the submission lock: nil if appends are in flight, else the submitted command.
    private func reserveImportedLocked(_ group: ArraySlice<RecordedEvent>, firstLine: Int) throws(EventStoreError) -> PendingAppend? {
        let first = group[group.startIndex]
        let commandID = first.metadata.commandID
        let outcome = try state.withLock { (s) throws(EventStoreError) -> PendingAppend? in
            if s.closed { throw EventStoreError(.closed, "the event store is closed") }
            if let failure = s.failure { throw failure }
            guard s.nextPosition == log.nextPosition else { return nil }
            guard first.position == s.nextPosition else {
                throw EventStoreError(.invalidAppend, "line \(firstLine): position \(first.position), but the store's next position is \(s.nextPosition) (an append came in during the import); the import stopped here")
            }
            guard try command(commandID, in: s) == nil else {
                throw EventStoreError(.invalidAppend, "line \(firstLine): command \(commandID) is already in the store (it came in during the import); the import stopped here")
            }
            var counts: [String: UInt64] = [:]
            let keys = group.map { StreamKey($0.streamID) }
            for (event, key) in zip(group, keys) {
                let next = counts[event.streamID] ?? s.streams.find(key).count
                guard event.streamVersion == next else {
                    throw EventStoreError(.invalidAppend, "line \(firstLine): stream \(event.streamID) is at version \(next), the import gives \(event.streamVersion) (an append came in during the import); the import stopped here", stream: event.streamID)
                }
                counts[event.streamID] = next + 1
            }
            let pending = PendingAppend()
            s.commands.setPending(commandID, pending)
            s.streams.extend(to: s.nextPosition + UInt64(group.count))
            // One event at a time: a stream may come back within a command.
            for (event, key) in zip(group, keys) {
                s.streams.link(key, slot: s.streams.find(key).slot, positions: event.position..<(event.position + 1))
            }
            s.nextPosition += UInt64(group.count)
            return pending
        }
        guard let pending = outcome else { return nil }
        do throws(EventStoreError) {
            let last = log.lastTimestamp
            var batch = LogBatch()
            var versions: [String: UInt64] = [:]
            for event in group {
                if let last, event.recordedAt < last {
                    throw EventStoreError(.invalidAppend, "line \(firstLine): recordedAt \(event.recordedAt) is before the last event in the store (\(last)); the import stopped here")
                }
                let bytes = EnvelopeCodec.encode(streamID: event.streamID, streamVersion: event.streamVersion, eventType: event.eventType,
                                                 schemaVersion: event.schemaVersion, metadata: event.metadata, payload: event.payload)
                do throws(StorageError) { try batch.append(bytes, timestamp: event.recordedAt) } catch {
                    throw EventStoreError(.invalidAppend, "line \(firstLine): \(error.description); the import stopped here")
                }
                versions[event.streamID] = event.streamVersion
            }
            let streamVersions = versions
            let count = UInt32(group.count)
            try log.submit(batch) { [self] result in
                complete(result, first: first.position, count: count, versions: streamVersions, pending: pending, commandID: commandID)
            }
        } catch {
            undoImported(group, commandID: commandID)
            throw error
        }
        return pending
    }

    /// Takes back a reserved import that never reached the log.
    private func undoImported(_ group: ArraySlice<RecordedEvent>, commandID: String) {
        state.withLock { s in
            var counts: [String: UInt64] = [:]
            for event in group { counts[event.streamID, default: 0] += 1 }
            for (stream, count) in counts { s.streams.unlink(stream, count: count) }
            let first = group[group.startIndex].position
            s.streams.truncate(to: first)
            s.nextPosition = first
            s.commands.removePending(commandID)
        }
    }
}
