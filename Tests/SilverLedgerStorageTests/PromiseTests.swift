import Testing

@_spi(Internals) @testable import SilverLedgerStorage

struct PromiseFailure: Error, Equatable { var code: Int }

@Suite("Promise: set once, awaited by any number of tasks", .timeLimit(.minutes(1)))
struct PromiseTests {
    /// Tasks that wait before the result, one that asks after it, and a
    /// failure: each gets the one result, once; a promise made with its value
    /// answers at once.
    @Test func everyWaiterGetsTheOneResult() async throws {
        let promise = Promise<Int, PromiseFailure>()
        let waiting = Locked(0)
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    waiting.withLock { $0 += 1 }
                    return try await promise.value()
                }
            }
            // Resolve once every task has at least started (some may not have suspended yet: both paths count).
            while waiting.withLock({ $0 }) < 40 { await Task.yield() }
            promise.resolve(.success(17))
            var values: [Int] = []
            for try await value in group { values.append(value) }
            return values
        }
        #expect(values == Array(repeating: 17, count: 40))
        #expect(try await promise.value() == 17)

        let failing = Promise<Int, PromiseFailure>()
        @Sendable func outcome() async -> Result<Int, PromiseFailure> {
            do throws(PromiseFailure) { return .success(try await failing.value()) } catch { return .failure(error) }
        }
        async let first = outcome()
        async let second = outcome()
        try await Task.sleep(for: .milliseconds(20))
        failing.resolve(.failure(PromiseFailure(code: 5)))
        #expect(await first == .failure(PromiseFailure(code: 5)))
        #expect(await second == .failure(PromiseFailure(code: 5)))
        #expect(try await Promise<Int, PromiseFailure>(3).value() == 3)
    }
}
