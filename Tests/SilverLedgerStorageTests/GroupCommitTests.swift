import Foundation
import Testing

@_spi(Internals) @testable import SilverLedgerStorage

@Suite("Group commit: concurrent appends", .timeLimit(.minutes(1)))
struct GroupCommitTests {
    private func payload(task: Int, index: Int) -> [UInt8] {
        Array("task \(task) append \(index)".utf8) + [UInt8(task), UInt8(index)]
    }

    @Test(arguments: [Durability.groupCommit, .fsyncPerAppend])
    func concurrentAppendsGetDistinctPositions(durability: Durability) async throws {
        let tasks = 64
        let appends = durability == .groupCommit ? 20 : 4
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir, options: LogOptions(durability: durability))
            let receipts = try await withThrowingTaskGroup(of: [(Int, Int, AppendReceipt)].self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var mine: [(Int, Int, AppendReceipt)] = []
                        for index in 0..<appends {
                            let receipt = try await log.append(LogBatch([payload(task: task, index: index)]))
                            mine.append((task, index, receipt))
                        }
                        return mine
                    }
                }
                var all: [(Int, Int, AppendReceipt)] = []
                for try await mine in group {
                    // Each task's own appends are in the order it made them.
                    #expect(mine.map(\.2.firstPosition) == mine.map(\.2.firstPosition).sorted())
                    all += mine
                }
                return all
            }
            let total = tasks * appends
            #expect(receipts.count == total)
            #expect(Set(receipts.map(\.2)).count == total, "all receipts distinct")
            #expect(receipts.allSatisfy { $0.2.count == 1 })
            #expect(receipts.map(\.2.firstPosition).sorted() == Array(0..<UInt64(total)), "positions cover 0..<\(total) once each")
            #expect(log.nextPosition == UInt64(total))

            let records = try readAll(log)
            #expect(records.count == total)
            for (task, index, receipt) in receipts {
                let record = records[Int(receipt.firstPosition)]
                #expect(record.payload == payload(task: task, index: index))
                #expect(record.timestamp == receipt.firstTimestamp)
            }
            for (a, b) in zip(records, records.dropFirst()) { #expect(a.timestamp <= b.timestamp) }
            try log.close()

            let reopened = try openLog(at: dir)
            #expect(try readAll(reopened, verifyingChain: true) == records)
            try reopened.close()
        }
    }

    /// Concurrent synchronous appends from threads go through the same writer.
    @Test func concurrentSynchronousAppendsFromThreads() throws {
        try withTemporaryDirectory { dir in
            let log = try openLog(at: dir, options: LogOptions(durability: .groupCommit))
            let positions = Locked<[UInt64]>([])
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { task in
                for index in 0..<10 {
                    do {
                        let receipt = try log.append(LogBatch([payload(task: task, index: index), [0]]))
                        positions.withLock { $0.append(receipt.firstPosition) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            let all = positions.withLock { $0 }
            #expect(all.count == 80)
            #expect(all.sorted() == stride(from: UInt64(0), to: 160, by: 2).map { $0 })
            let records = try readAll(log)
            #expect(records.count == 160)
            #expect(records.enumerated().allSatisfy { $0.offset % 2 == 0 || $0.element.payload == [0] })
            try log.close()
        }
    }

    /// Groups that span a segment roll are split around it.
    @Test func concurrentAppendsAcrossSegmentRolls() async throws {
        try await withTemporaryDirectoryAsync { dir in
            var options = LogOptions(durability: .groupCommit)
            options.segmentSize = 4096
            let log = try openLog(at: dir, options: options)
            let positions = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for task in 0..<32 {
                    group.addTask {
                        var mine: [UInt64] = []
                        for index in 0..<10 {
                            let filler = [UInt8](repeating: UInt8(index), count: 50 + task * 3)
                            mine.append(try await log.append(LogBatch([payload(task: task, index: index) + filler])).firstPosition)
                        }
                        return mine
                    }
                }
                var all: [UInt64] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(positions.sorted() == Array(0..<320))
            #expect(log.segments.count >= 5)
            let records = try readAll(log, verifyingChain: true)
            #expect(records.count == 320)
            try log.close()
            let reopened = try openLog(at: dir)
            #expect(reopened.recoveryReport.rebuiltIndexes.isEmpty)
            #expect(try readAll(reopened, verifyingChain: true) == records)
            try reopened.close()
        }
    }

    /// A batch refused in the middle of a group does not disturb the others in it.
    @Test func aRefusedBatchInAGroupLeavesTheOthersAlone() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try openLog(at: dir, options: LogOptions(durability: .groupCommit))
            try await log.append(LogBatch([[0]]))
            let results = await withTaskGroup(of: (Int, Result<AppendReceipt, StorageError>).self) { group in
                for i in 0..<40 {
                    group.addTask {
                        var batch = LogBatch()
                        if i % 4 == 0 {
                            try! batch.append([UInt8(i)], timestamp: 1) // long before the log's first record
                        } else {
                            batch.append([UInt8(i)])
                        }
                        do throws(StorageError) {
                            return (i, .success(try await log.append(batch)))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<AppendReceipt, StorageError>)] = []
                for await result in group { all.append(result) }
                return all
            }
            var accepted: [UInt64: UInt8] = [:]
            for (i, result) in results {
                switch result {
                case .success(let receipt):
                    #expect(i % 4 != 0, "batch \(i) should have been refused")
                    accepted[receipt.firstPosition] = UInt8(i)
                case .failure(let error):
                    #expect(i % 4 == 0, "batch \(i) failed: \(error)")
                    #expect(error.code == .invalidArgument)
                }
            }
            #expect(accepted.count == 30)
            #expect(accepted.keys.sorted() == Array(1...30))
            let records = try readAll(log, verifyingChain: true)
            #expect(records.count == 31)
            for record in records.dropFirst() { #expect(record.payload == [accepted[record.position]!]) }
            try log.close()
        }
    }
}
