import Foundation
import Testing

@testable import SilverLedger
import SilverLedgerStorage

/// Opening a store to read while a writer has it; progress reports; what a storage failure is.
@Suite("Read-only stores, progress, storage kinds")
struct ReadOnlyStoreTests {
    func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-readonly-\(UUID().uuidString)").path
    }

    func writer(_ dir: String) throws -> EventStore {
        var options = EventStoreOptions()
        options.durability = .none
        return try EventStore.open(at: dir, types: testTypes(), options: options)
    }

    func reader(_ dir: String) throws -> EventStore {
        var options = EventStoreOptions()
        options.readOnly = true
        return try EventStore.open(at: dir, types: testTypes(), options: options)
    }

    @Test func aReaderOpensWhileTheWriterHoldsTheLockAndWritesNothing() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try writer(dir)
        for i in 0..<10 {
            try await store.append([Counted(n: i)], to: "s-\(i % 3)", metadata: meta("c\(i)"))
        }
        // A second writer is refused with a storage error of kind `locked`.
        let second = await eventStoreError { _ = try writer(dir) }
        #expect(second?.code == .storage)
        #expect(second?.storageKind == .locked)
        // A reader is not.
        let reader = try reader(dir)
        #expect(reader.nextPosition == 10)
        #expect(try reader.readStream("s-1").map(\.position) == [1, 4, 7])
        #expect(reader.knowsCommand("c9"))
        let sum = try reader.project(SumOfCounted.self)
        #expect(sum.projection.sum == 45)
        // It writes nothing: appends and snapshots fail, and closing saves no indexes.
        let append = await eventStoreError { try await reader.append([Counted(n: 1)], to: "s-0", metadata: meta("x")) }
        #expect(append?.storageKind == .readOnly)
        let snapshot = await eventStoreError { try reader.saveSnapshot(sum) }
        #expect(snapshot?.message.contains("read-only") == true)
        try reader.close()
        #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/" + IndexCheckpoint.fileName))
        #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/" + SnapshotFormat.fileName(SumOfCounted.self)))
        try store.close()
        #expect(FileManager.default.fileExists(atPath: dir + "/snapshots/" + IndexCheckpoint.fileName))
    }

    @Test func aReaderOfAMissingDirectoryIsToldItIsNotAStore() async throws {
        let dir = directory()
        let error = await eventStoreError { _ = try reader(dir) }
        #expect(error?.storageKind == .notAStore)
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func progressIsReportedUpToTheTotal() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try writer(dir)
        var batch: [any Event] = []
        for i in 0..<6_000 { batch.append(Counted(n: i)) }
        try await store.append(batch, to: "many", metadata: meta("all"))
        // Pipelined (more than 4,096 events) and one at a time.
        for asOf in [AsOf.now, .position(3_000)] {
            var reports: [(UInt64, UInt64)] = []
            let projected = try store.project(SumOfCounted.self, asOf: asOf, usingSnapshot: false) { reports.append(($0, $1)) }
            #expect(!reports.isEmpty)
            #expect(reports.last.map { $0.0 == $0.1 } == true)
            #expect(reports.last?.0 == projected.eventsApplied)
            #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        }
        // An import reports after each command.
        var lines: [String] = []
        try store.exportJSONLines { lines.append($0) }
        try store.close()
        let copy = dir + "-copy"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let target = try writer(copy)
        var imported: [(Int, Int)] = []
        try await target.importJSONLines(lines.joined(separator: "\n")) { imported.append(($0, $1)) }
        #expect(imported.count == 1)
        #expect(imported.last.map { $0 == (6_000, 6_000) } == true)
        try target.close()
        // Verification reports the bytes walked, up to every byte of the segments.
        var walked: [(Int64, Int64)] = []
        let report = try Log.verify(at: copy) { walked.append(($0, $1)) }
        #expect(report.isIntact)
        #expect(!walked.isEmpty)
        let segmentBytes = try FileManager.default.contentsOfDirectory(atPath: copy).filter { $0.hasSuffix(".seg") }
            .map { try FileManager.default.attributesOfItem(atPath: copy + "/" + $0)[.size] as! Int }.reduce(0, +)
        #expect(walked.last.map { $0.0 == $0.1 && $0.1 == Int64(segmentBytes) } == true)
    }
}
