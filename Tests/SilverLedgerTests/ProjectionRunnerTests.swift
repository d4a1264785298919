import Foundation
import Testing

@testable import SilverLedger

@Suite("Projection runner: rebuild, catch up, follow live appends")
struct ProjectionRunnerTests {
    @Test(arguments: Backend.allCases)
    func theRunnerCatchesUpThenFollowsEveryAppend(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            for i in 0..<20 { try await store.append([Counted(n: i)], to: "s-\(i % 3)", metadata: meta("early-\(i)")) }
            let runner = try ProjectionRunner(SumOfCounted.self, store: store)
            #expect(runner.current.position == 20)
            #expect(runner.current.projection.sum == (0..<20).reduce(0, +))

            // Four writers at once; the runner must see each event exactly once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for i in 0..<25 {
                            try await store.append([Counted(n: 1000 + writer * 100 + i)], to: "w-\(writer)", metadata: meta("late-\(writer)-\(i)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let state = try await runner.state(atLeast: store.nextPosition)
            var expected = (0..<20).reduce(0, +)
            for writer in 0..<4 {
                for i in 0..<25 { expected += 1000 + writer * 100 + i }
            }
            #expect(state.position == 120)
            #expect(state.projection.sum == expected)
            // The live state equals a rebuild from the log.
            #expect(state.projection == (try store.project(SumOfCounted.self, usingSnapshot: false)).projection)
            await runner.stop()
        }
    }

    @Test(arguments: Backend.allCases)
    func waitingForAPositionReturnsOnceItIsApplied(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            let runner = try ProjectionRunner(CountByType.self, store: store)
            let waiter = Task { try await runner.state(atLeast: 3) }
            try await Task.sleep(for: .milliseconds(20))
            try await store.append([Noted(text: "a")], to: "s", metadata: meta("c1"))
            try await store.append([Noted(text: "b"), Noted(text: "c")], to: "s", metadata: meta("c2"))
            let state = try await waiter.value
            #expect(state.position == 3)
            #expect(state.projection.counts == ["Noted": 3])
            // Already reached: returns at once.
            #expect(try await runner.state(atLeast: 1).position == 3)
            await runner.stop()
        }
    }

    @Test(arguments: Backend.allCases)
    func stoppingFailsTheWaitersForPositionsNotReached(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "a")], to: "s", metadata: meta("c1"))
            let runner = try ProjectionRunner(CountByType.self, store: store)
            let waiter = Task { try await runner.state(atLeast: 10) }
            try await Task.sleep(for: .milliseconds(20))
            await runner.stop()
            let error = await eventStoreError { _ = try await waiter.value }
            #expect(error?.code == .closed)
            #expect(runner.current.position == 1)
            // After a stop, waiting for a position not reached fails at once.
            let again = await eventStoreError { _ = try await runner.state(atLeast: 2) }
            #expect(again?.code == .closed)
            #expect(again?.message.contains("stopped at position 1") == true)
        }
    }

    @Test func theRunnerSavesSnapshotsSoTheNextStartReplaysOnlyTheTail() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-runner-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventStoreOptions()
        options.durability = .none
        do {
            let store = try EventStore.open(at: dir, types: testTypes(), options: options)
            let runner = try ProjectionRunner(SumOfCounted.self, store: store, snapshotEvery: 10)
            for i in 0..<25 { try await store.append([Counted(n: i)], to: "s", metadata: meta("c\(i)")) }
            #expect(try await runner.state(atLeast: 25).projection.sum == (0..<25).reduce(0, +))
            await runner.stop()
            try store.close()
        }
        let store = try EventStore.open(at: dir, types: testTypes(), options: options)
        defer { try? store.close() }
        let runner = try ProjectionRunner(SumOfCounted.self, store: store)
        // The last snapshot was saved after the 20th event: only 5 are replayed.
        #expect(runner.current.usedSnapshot)
        #expect(runner.current.eventsApplied == 5)
        #expect(runner.current.projection.sum == (0..<25).reduce(0, +))
        await runner.stop()
    }

    @Test func closingTheStoreStopsTheRunner() async throws {
        let store = EventStore.inMemory(types: testTypes())
        let runner = try ProjectionRunner(CountByType.self, store: store)
        let waiter = Task { try await runner.state(atLeast: 5) }
        try await Task.sleep(for: .milliseconds(20))
        try store.close()
        let error = await eventStoreError { _ = try await waiter.value }
        #expect(error?.code == .closed)
    }
}
