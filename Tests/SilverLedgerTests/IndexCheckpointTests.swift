import Foundation
import Logging
@_spi(Internals) import SilverLedgerStorage
import Testing

@testable import SilverLedger

/// Log lines kept for tests to look at.
final class RecordedLog: Sendable {
    let lines = Locked<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))") }
        }
    }
}

@Suite("Saved indexes: open reads only the events after them")
struct IndexCheckpointTests {
    private func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-index-\(UUID().uuidString)").path
    }

    private func open(_ dir: String, log: RecordedLog = RecordedLog()) throws -> EventStore {
        var options = EventStoreOptions()
        options.durability = .none
        options.logger = log.logger
        return try EventStore.open(at: dir, types: testTypes(), options: options)
    }

    /// 40 events over 3 streams, by 20 commands (some of 2 events in two streams).
    private func fill(_ store: EventStore, commands: Range<Int>) async throws {
        for i in commands {
            if i % 2 == 0 {
                try await store.append([Counted(n: i)], to: "s-\(i % 3)", metadata: meta("c\(i)"))
            } else {
                try await store.append([StreamWrite(stream: "s-\(i % 3)", events: [Counted(n: i)]),
                                        StreamWrite(stream: "t-\(i % 2)", events: [Noted(text: "n\(i)")])], metadata: meta("c\(i)"))
            }
        }
    }

    /// What the indexes answer, to compare stores by.
    private func answers(_ store: EventStore) throws -> [String] {
        try ["s-0", "s-1", "s-2", "t-0", "t-1", "none"].map { stream in
            "\(stream) v\(store.version(of: stream).map(String.init) ?? "-") " + (try store.readStream(stream).map { "\($0.position)" }.joined(separator: ","))
        }
    }

    @Test func aCleanCloseSavesTheIndexesAndOpenReadsNoEvent() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var store = try open(dir)
        try await fill(store, commands: 0..<20)
        let before = try answers(store)
        let first = try await store.append([Counted(n: 99)], to: "s-0", metadata: meta("c0"))   // a repeat: nothing written
        try store.close()
        #expect(FileManager.default.fileExists(atPath: dir + "/snapshots/store.index"))

        store = try open(dir)
        #expect(store.state.withLock { $0.openedWith.savedUpTo } == 30)
        #expect(store.state.withLock { $0.openedWith.eventsRead } == 0)
        #expect(try answers(store) == before)
        // Idempotency survives: the same command writes nothing and gives the first result.
        let again = try await store.append([Counted(n: 12345)], to: "s-0", metadata: meta("c0"))
        #expect(again == first)
        let repeated = try await store.append([Counted(n: 1)], to: "s-1", metadata: meta("c7"))
        #expect(repeated.positions.count == 2)
        #expect(repeated.streamVersions.keys.sorted() == ["s-1", "t-1"])
        #expect(store.nextPosition == 30)
        // Expectations are checked against the loaded versions.
        let error = await eventStoreError { try await store.append([Counted(n: 1)], to: "s-0", expectedVersion: .exact(0), metadata: meta("new-1")) }
        #expect(error?.code == .wrongExpectedVersion)
        #expect(error?.actual == store.version(of: "s-0"))
        try store.close()
    }

    @Test func aStoreClosedWithNothingAppendedSinceItsIndexesWereSavedDoesNotWriteThemAgain() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var store = try open(dir)
        try await fill(store, commands: 0..<20)
        try store.close()
        let path = dir + "/snapshots/store.index"
        let saved = try FileManager.default.attributesOfItem(atPath: path)
        // Opened from them, read from, closed: the same file (a rewrite is an atomic rename: a new inode).
        store = try open(dir)
        #expect(store.state.withLock { $0.openedWith.savedUpTo } == 30)
        _ = try answers(store)
        try store.close()
        let after = try FileManager.default.attributesOfItem(atPath: path)
        #expect(after[.systemFileNumber] as? Int == saved[.systemFileNumber] as? Int)
        // One event more: saved again, and the next open reads no event.
        store = try open(dir)
        try await store.append([Counted(n: 1)], to: "s-0", metadata: meta("one-more"))
        try store.close()
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int != saved[.systemFileNumber] as? Int)
        store = try open(dir)
        #expect(store.state.withLock { $0.openedWith } == (31, 0))
        try store.close()
    }

    @Test func afterACrashOpenReadsOnlyTheEventsAfterTheSavedIndexes() async throws {
        let dir = directory(), crashed = directory()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        var store = try open(dir)
        try await fill(store, commands: 0..<10)
        try store.close()
        store = try open(dir)
        try await fill(store, commands: 10..<20)
        // The files as a crash would leave them: the indexes cover 15 events, the log has 30.
        try FileManager.default.copyItem(atPath: dir, toPath: crashed)
        let expected = try answers(store)
        try store.close()

        let recovered = try open(crashed)
        #expect(recovered.state.withLock { $0.openedWith.savedUpTo } == 15)
        #expect(recovered.state.withLock { $0.openedWith.eventsRead } == 15)
        #expect(try answers(recovered) == expected)
        let repeated = try await recovered.append([Counted(n: 1)], to: "s-0", metadata: meta("c18"))
        #expect(repeated.positions == 27..<28)
        try recovered.close()
    }

    @Test func damagedIndexesAreIgnoredWithALogLineAndRebuiltFromTheLog() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var store = try open(dir)
        try await fill(store, commands: 0..<20)
        let expected = try answers(store)
        try store.close()
        let path = dir + "/snapshots/store.index"
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in [0, 9, 20, 60, pristine.count / 2, pristine.count - 1] {
            var damaged = pristine
            damaged[offset] ^= 0x40
            try damaged.write(to: URL(fileURLWithPath: path))
            let log = RecordedLog()
            store = try open(dir, log: log)
            #expect(store.state.withLock { $0.openedWith.savedUpTo } == nil, "damage at \(offset)")
            #expect(store.state.withLock { $0.openedWith.eventsRead } == 30)
            #expect(try answers(store) == expected)
            #expect(log.contains("ignoring the saved stream and command indexes: its checksum does not match (damaged)"))
            // The command index rebuilt from the log knows every command.
            let repeated = try await store.append([Counted(n: 1)], to: "s-1", metadata: meta("c7"))
            #expect(repeated.positions == 10..<12)
            #expect(store.nextPosition == 30)
            // Closing saves good indexes again.
            try store.close()
            guard case .success(let saved) = IndexCheckpoint.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) else {
                Issue.record("closing did not save readable indexes")
                continue
            }
            #expect(saved.end == 30)
        }
    }

    @Test func indexesOfAnotherLogAreNotUsed() async throws {
        let a = directory(), b = directory()
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        // Two logs with the same number of events, and the same streams, but different contents.
        let storeA = try open(a)
        try await fill(storeA, commands: 0..<20)
        try storeA.close()
        let storeB = try open(b)
        for i in 0..<30 { try await storeB.append([Counted(n: i)], to: "s-0", metadata: meta("b\(i)")) }
        let expected = try answers(storeB)
        try storeB.close()
        try FileManager.default.removeItem(atPath: b + "/snapshots/store.index")
        try FileManager.default.copyItem(atPath: a + "/snapshots/store.index", toPath: b + "/snapshots/store.index")

        let log = RecordedLog()
        let reopened = try open(b, log: log)
        #expect(reopened.state.withLock { $0.openedWith.savedUpTo } == nil)
        #expect(try answers(reopened) == expected)
        #expect(log.contains("the log's chain hash at position 30 is not theirs (the log was repaired or replaced)"))
        try reopened.close()
    }

    @Test func aSnapshotOfAnotherLogIsNotUsed() async throws {
        let a = directory(), b = directory()
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        let storeA = try open(a)
        for i in 0..<10 { try await storeA.append([Counted(n: i)], to: "s", metadata: meta("a\(i)")) }
        try storeA.saveSnapshot(storeA.project(SumOfCounted.self))
        try storeA.close()
        let log = RecordedLog()
        let storeB = try open(b, log: log)
        for i in 0..<10 { try await storeB.append([Counted(n: 100 + i)], to: "s", metadata: meta("b\(i)")) }
        try FileManager.default.createDirectory(atPath: b + "/snapshots", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a + "/snapshots/sum.snap", toPath: b + "/snapshots/sum.snap")
        let projected = try storeB.project(SumOfCounted.self)
        #expect(!projected.usedSnapshot)
        #expect(projected.projection.sum == (100..<110).reduce(0, +))
        #expect(log.contains("the log's chain hash at position 10 is not the snapshot's"))
        try storeB.close()
    }

    @Test func theFileRoundTripsAndRejectsImpossibleContents() throws {
        var streams = StreamIndex()
        for stream in ["a", "b", "a", "甲", "a"] { _ = streams.append(stream) }
        var commands = CommandIndex()
        commands.setDone("c1", first: 0, count: 2)
        commands.setDone("c2", first: 2, count: 3)
        let chain = [UInt8](repeating: 7, count: 32)
        let bytes = IndexCheckpoint.encode(end: 5, chain: chain, streams: streams, commands: commands)
        guard case .success(let contents) = IndexCheckpoint.decode(bytes) else {
            Issue.record("the file does not read back")
            return
        }
        #expect(contents.end == 5)
        #expect(contents.chain == chain)
        #expect(contents.streams.positions(of: "a", from: 0, below: .max) == [0, 2, 4])
        #expect(contents.streams.positions(of: "甲", from: 0, below: .max) == [3])
        #expect(contents.commands.count == 2)
        #expect(contents.commands.done.sorted { $0.first < $1.first }.map(\.fingerprint) == [CommandIndex.fingerprint("c1"), CommandIndex.fingerprint("c2")])
        if case .done(let first, let count)? = try contents.commands.entry("c2", isCommand: { $0 == 2 }) {
            #expect(first == 2 && count == 3)
        } else {
            Issue.record("c2 is not found after the round trip")
        }
        // A stream whose count says more than its links hold: refused even with a good checksum.
        var bad = StreamIndex()
        _ = bad.append("a")
        let forged = try StreamIndexForgery.withCount(bad, "a", 2)
        guard case .failure(let error) = IndexCheckpoint.decode(IndexCheckpoint.encode(end: 1, chain: chain, streams: forged, commands: CommandIndex())) else {
            Issue.record("a forged count was accepted")
            return
        }
        #expect(error.description.contains("stream \(StreamKey("a")) links to position"))
    }
}

extension IndexCheckpointTests {
    /// 300 streams of 1 to 7 events, interleaved: more streams than the reader
    /// follows at once, so its lanes are refilled many times.
    private static func interleaved() -> StreamIndex {
        var index = StreamIndex()
        var remaining = (0..<300).map { 1 + $0 % 7 }
        var round = 0
        while remaining.contains(where: { $0 > 0 }) {
            for s in remaining.indices where remaining[s] > 0 && (s + round) % 3 != 0 {
                _ = index.append("stream-\(s)")
                remaining[s] -= 1
            }
            round += 1
        }
        return index
    }

    private static func decodeError(_ streams: StreamIndex) -> String? {
        let bytes = IndexCheckpoint.encode(end: streams.end, chain: [UInt8](repeating: 1, count: 32), streams: streams, commands: CommandIndex())
        if case .failure(let error) = IndexCheckpoint.decode(bytes) { return error.description }
        return nil
    }

    @Test func manyInterleavedStreamsReadBackAndAnyForgedCountIsRefused() throws {
        let index = Self.interleaved()
        #expect(index.end == UInt64((0..<300).reduce(0) { $0 + 1 + $1 % 7 }))
        let bytes = IndexCheckpoint.encode(end: index.end, chain: [UInt8](repeating: 1, count: 32), streams: index, commands: CommandIndex())
        guard case .success(let contents) = IndexCheckpoint.decode(bytes) else {
            Issue.record("the file does not read back")
            return
        }
        // The map keeps the seed it was saved with, so it is in the same order
        // and saves the same bytes again.
        #expect(contents.streams.streams.seed == index.streams.seed)
        #expect(IndexCheckpoint.encode(end: contents.end, chain: contents.chain, streams: contents.streams, commands: contents.commands) == bytes)
        #expect(StreamMap().seed != StreamMap().seed, "each new map draws its seed")
        // Whatever the seed, including seeds whose runs of slots wrap past the table's end.
        for _ in 0..<50 {
            let other = Self.interleaved()
            let saved = IndexCheckpoint.encode(end: other.end, chain: [UInt8](repeating: 1, count: 32), streams: other, commands: CommandIndex())
            guard case .success(let read) = IndexCheckpoint.decode(saved) else {
                Issue.record("the file of seed \(other.streams.seed) does not read back")
                return
            }
            #expect(IndexCheckpoint.encode(end: read.end, chain: read.chain, streams: read.streams, commands: read.commands) == saved,
                    "seed \(other.streams.seed): saved again, the bytes differ")
        }
        for s in [0, 1, 15, 16, 17, 150, 299] {
            #expect(contents.streams.positions(of: "stream-\(s)", from: 0, below: .max) == index.positions(of: "stream-\(s)", from: 0, below: .max))
            #expect(contents.streams.positions(of: "stream-\(s)", from: 0, below: .max).count == 1 + s % 7)
        }
        // One stream's count one too many (its links end early) or one too few
        // (a link is left to follow), first, among the lanes, and last.
        for s in [0, 20, 151, 299] {
            let count = UInt64(1 + s % 7)
            let more = try #require(Self.decodeError(try StreamIndexForgery.withCount(index, "stream-\(s)", count + 1)))
            #expect(more.contains("stream \(StreamKey("stream-\(s)")) links to position \(StreamIndex.none) after \(count) of its \(count + 1) events"), "\(more)")
            if count > 1 {
                let fewer = try #require(Self.decodeError(try StreamIndexForgery.withCount(index, "stream-\(s)", count - 1)))
                #expect(fewer.contains("stream \(StreamKey("stream-\(s)")) has more events than its count \(count - 1)"), "\(fewer)")
            }
        }
    }

    @Test func aStreamListedTwiceIsRefused() throws {
        let index = Self.interleaved()
        var bytes = IndexCheckpoint.encode(end: index.end, chain: [UInt8](repeating: 1, count: 32), streams: index, commands: CommandIndex())
        // The first entries (key, varint count, varint last), after the magic, end,
        // chain, seed and stream count: the 40th takes the 3rd's key.
        var offset = 8 + 8 + 32 + 8 + 8
        var starts: [Int] = []
        for _ in 0..<40 {
            starts.append(offset)
            offset += 16
            for _ in 0..<2 { while bytes[offset] & 0x80 != 0 { offset += 1 }; offset += 1 }
        }
        bytes.replaceSubrange(starts[39]..<(starts[39] + 16), with: bytes[starts[2]..<(starts[2] + 16)])
        bytes.removeLast(4)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        guard case .failure(let error) = IndexCheckpoint.decode(bytes) else {
            Issue.record("a stream listed twice was accepted")
            return
        }
        #expect(error.description.contains("or appears twice"), "\(error)")
    }
}

extension IndexCheckpoint {
    /// The whole file in one array (the store hands it to the log in pieces).
    static func encode(end: UInt64, chain: [UInt8], streams: StreamIndex, commands: CommandIndex) -> [UInt8] {
        var file: [UInt8] = []
        encode(end: end, chain: chain, streams: streams, commands: commands) { (piece: [UInt8]) in file.append(contentsOf: piece) }
        return file
    }
}

extension IndexCheckpointTests {
    @Test(arguments: [1, 5, 64, 1000])
    func theFileInPiecesIsTheWholeFile(piece: Int) throws {
        var streams = Self.interleaved()
        for stream in ["a", "甲", "a"] { _ = streams.append(stream) }
        var commands = CommandIndex()
        for c in 0..<Int(streams.end) { commands.setDone("command-\(c)", first: UInt64(c), count: 1) }
        let chain = [UInt8](repeating: 3, count: 32)
        let whole = IndexCheckpoint.encode(end: streams.end, chain: chain, streams: streams, commands: commands)
        var pieces: [[UInt8]] = []
        IndexCheckpoint.encode(end: streams.end, chain: chain, streams: streams, commands: commands, piece: piece) { (bytes: [UInt8]) in
            pieces.append(bytes)
        }
        #expect(pieces.joined().count == whole.count)
        #expect(pieces.joined().elementsEqual(whole), "the pieces are the whole file, byte for byte")
        // Every piece but the last holds at least `piece` bytes, and the last one ends with the checksum of all before it.
        #expect(pieces.dropLast().allSatisfy { $0.count >= piece })
        #expect(pieces.count >= whole.count / (piece + 64))
        #expect(pieces.last!.count >= 4)
        let crc = whole.suffix(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        #expect(crc == CRC32C.checksum(Array(whole.dropLast(4))))
        guard case .success(let contents) = IndexCheckpoint.decode(whole) else {
            Issue.record("the file does not read back")
            return
        }
        #expect(contents.commands.count == Int(streams.end))
        #expect(contents.streams.positions(of: "甲", from: 0, below: .max) == [streams.end - 2])
    }

    @Test func aCloseThatCannotWriteTheIndexesLeavesTheOldFileWhichTheNextOpenReadsOn() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try open(dir)
        try await fill(store, commands: 0..<20)
        try store.close()
        let saved = try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshots/store.index"))
        let firstEnd = try IndexCheckpoint.decode(Array(saved)).get().end
        #expect(firstEnd == 30)
        let closing = RecordedLog()
        let second = try open(dir, log: closing)
        try await fill(second, commands: 20..<40)
        let answered = try answers(second)
        // A directory where the new file's temporary copy goes: its write fails, the close does not.
        try FileManager.default.createDirectory(atPath: dir + "/snapshots/store.index.tmp/x", withIntermediateDirectories: true)
        try second.close()
        #expect(closing.contains("could not save the stream and command indexes"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/snapshots/store.index")) == saved, "the file of the first close, untouched")
        try FileManager.default.removeItem(atPath: dir + "/snapshots/store.index.tmp")
        // The old file covers the first 20 commands' events; the open reads the rest from the log.
        let reopened = try open(dir)
        #expect(reopened.state.withLock { $0.openedWith.savedUpTo } == firstEnd)
        #expect(reopened.state.withLock { $0.openedWith.eventsRead } == 30)
        #expect(try answers(reopened) == answered)
        try reopened.close()
    }
}

extension CommandIndex {
    /// The written commands, as a list.
    var done: [(fingerprint: UInt64, first: UInt64, count: UInt32)] {
        var result: [(fingerprint: UInt64, first: UInt64, count: UInt32)] = []
        forEachDone { result.append(($0, $1, $2)) }
        return result
    }
}

/// Builds an inconsistent index, as a damaged-but-checksummed file would hold.
enum StreamIndexForgery {
    static func withCount(_ index: StreamIndex, _ stream: String, _ count: UInt64) throws -> StreamIndex {
        var streams = index.streams
        streams[StreamKey(stream)]!.count = count
        return StreamIndex(unchecked: streams, previous: index.previous)
    }
}

@Suite("The command index: fingerprints, confirmed by the log")
struct CommandIndexTests {
    @Test func writtenCommandsAreFoundAndPendingOnesByTheirExactID() throws {
        var index = CommandIndex()
        let pending = PendingAppend()
        index.setPending("p1", pending)
        for i in 0..<10_000 { index.setDone("c\(i)", first: UInt64(i) * 3, count: 3) }
        #expect(index.count == 10_001)
        // The confirmation is asked only on a fingerprint match.
        var asked = 0
        for i in stride(from: 0, to: 10_000, by: 997) {
            let entry = try index.entry("c\(i)") { first in asked += 1; return first == UInt64(i) * 3 }
            guard case .done(let first, let count)? = entry else { Issue.record("c\(i) not found"); continue }
            #expect(first == UInt64(i) * 3 && count == 3)
        }
        #expect(asked == 11)
        // An unknown id matches no fingerprint here: no read of the log.
        #expect(try index.entry("unknown") { _ in asked += 1; return true } == nil)
        #expect(asked == 11)
        guard case .pending? = try index.entry("p1", isCommand: { _ in false }) else { Issue.record("pending not found"); return }
        index.setDone("p1", first: 30_000, count: 1)
        guard case .done(30_000, 1)? = try index.entry("p1", isCommand: { $0 == 30_000 }) else { Issue.record("p1 not done"); return }
        index.setPending("p2", pending)
        index.removePending("p2")
        #expect(try index.entry("p2", isCommand: { _ in true }) == nil)
        #expect(index.done.count == 10_001)
    }

    @Test func pendingCommandsSharingAFingerprintAreKeptApartByTheirIDs() throws {
        // Forced collision: three pending ids under one fingerprint.
        let fp: UInt64 = 42
        var index = CommandIndex()
        let (a, b, c) = (PendingAppend(), PendingAppend(), PendingAppend())
        index.setPending("a", fingerprint: fp, a)
        index.setPending("b", fingerprint: fp, b)
        index.setPending("c", fingerprint: fp, c)
        #expect(index.count == 3)
        func pending(_ id: String) throws -> PendingAppend? {
            guard case .pending(let p)? = try index.entry(id, fingerprint: fp, isCommand: { _ in false }) else { return nil }
            return p
        }
        #expect(try pending("a") === a && pending("b") === b && pending("c") === c)
        #expect(try pending("d") == nil)
        // The one held under the fingerprint goes first: the others are still found.
        index.removePending("a", fingerprint: fp)
        #expect(try pending("a") == nil && pending("b") === b && pending("c") === c)
        index.setDone("b", fingerprint: fp, first: 7, count: 1)
        #expect(try pending("b") == nil && pending("c") === c)
        guard case .done(7, 1)? = try index.entry("b", fingerprint: fp, isCommand: { $0 == 7 }) else { Issue.record("b not done"); return }
        index.removePending("c", fingerprint: fp)
        #expect(try pending("c") == nil)
        #expect(index.count == 1)
    }

    @Test func twoIDsWithOneFingerprintAreToldApartByTheLog() throws {
        // Forced collision: two entries under the fingerprint of "a".
        let fp = CommandIndex.fingerprint("a")
        var index = CommandIndex()
        index.insertDone(fingerprint: fp, first: 10, count: 2)
        index.insertDone(fingerprint: fp, first: 20, count: 1)
        // "a" is the command at 20 (the log says so); the one at 10 is another id with the same fingerprint.
        guard case .done(20, 1)? = try index.entry("a", isCommand: { $0 == 20 }) else { Issue.record("not told apart"); return }
        #expect(try index.entry("a", isCommand: { _ in false }) == nil)
        // A read error is reported, not taken for "unknown".
        #expect(throws: EventStoreError.self) { try index.entry("a") { (_) throws(EventStoreError) in throw EventStoreError(.storage, "unreadable") } }
        #expect(CommandIndex.fingerprint("a") != CommandIndex.fingerprint("b"))
        // The formula of docs/FORMAT.md, computed apart (in Python) from the text.
        #expect(CommandIndex.fingerprint("") == 0xefd0_1f60_ba99_2926)
        #expect(CommandIndex.fingerprint("medal-2024-C000017") == 0xc956_2efe_0eca_c29a)
        #expect(CommandIndex.fingerprint("指令-1") == 0xe52e_eef4_2c3f_e753)
        // A stream's key is the first 16 bytes of the SHA-256 of its name (docs/FORMAT.md).
        #expect(StreamKey("cadre-C000017").description == "4322e65d53fbd24353b28cce1784d534")
        #expect(CommandIndex.fingerprint("") != 0)
    }
}

@Suite("Links: 4 bytes a position, long distances kept apart")
struct LinksTests {
    @Test func shortAndLongDistancesReadBackAndDropWithTheirPositions() {
        // Distances of 4 or more are "far" here, as 2^32 - 1 and more are in a store.
        var links = Links(farFrom: 4)
        let previous: [UInt64] = [StreamIndex.none, 0, StreamIndex.none, 1, 0, 2, 5, 3]
        for p in previous { links.append(p) }
        #expect((0..<links.count).map { links[$0] } == previous)
        links[7] = StreamIndex.none
        links[6] = 1
        #expect(links[7] == StreamIndex.none && links[6] == 1)
        links.removeLast(3)
        #expect(links.count == 5)
        links.extend(to: 8)
        #expect((0..<8).map { links[$0] } == [StreamIndex.none, 0, StreamIndex.none, 1, 0, StreamIndex.none, StreamIndex.none, StreamIndex.none])
    }
}

@Suite("store.index against docs/FORMAT.md, read by the independent verifier")
struct StoreIndexFormatTests {
    private func verify(_ dir: String) throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/tools/verify_format.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, dir]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func theVerifierReadsTheSavedIndexesAsTheLogGivesThemAndCatchesAForgedOne() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-index-format-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try EventStore.open(at: dir, types: testTypes())
        for i in 0..<30 {
            try await store.append([Noted(text: "第\(i)条"), Counted(n: i)], to: "cadre-\(i % 7)", metadata: meta("单-\(i)"))
        }
        try await store.append(commands: (0..<20).map { i in
            CommandWrites([StreamWrite(stream: "branch-\(i % 3)", events: [Counted(n: i)]),
                           StreamWrite(stream: "meeting-\(i)", expectedVersion: .noStream, events: [Noted(text: "会议")])],
                          metadata: meta("batch-\(i)"))
        })
        try store.close()
        let (status, output) = try verify(dir)
        #expect(status == 0, "verify_format.py: \(output)")
        #expect(output.contains("store.index: 30 streams, 50 commands, links for 100 positions"), "\(output)")

        // A command's fingerprint changed, the checksum made good again: the verifier says so.
        let path = dir + "/snapshots/store.index"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // The first command entry starts right after the command count, which follows the links.
        let count = bytes.count
        let commandsAt = bytes.withUnsafeBytes { b -> Int in
            var offset = 56   // after the magic, end, chain hash and seed
            let streams = Int(UInt64(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
            func skipVarint() { while b[offset] & 0x80 != 0 { offset += 1 }; offset += 1 }
            for _ in 0..<streams { offset += 16; skipVarint(); skipVarint() }
            for _ in 0..<100 { skipVarint() }
            return offset + 8
        }
        bytes[commandsAt] ^= 0x01
        let crc = CRC32C.checksum(Array(bytes[0..<(count - 4)]))
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((count - 4)..<count, with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (forged, forgedOutput) = try verify(dir)
        #expect(forged == 2, "verify_format.py: \(forgedOutput)")
        #expect(forgedOutput.contains("store.index: the commands differ from the log's"), "\(forgedOutput)")
    }
}
