import Foundation
import Testing

@testable import SilverLedger

@Suite("Subscriptions: catch up, then live")
struct SubscriptionTests {
    @Test(arguments: Backend.allCases)
    func aSubscriptionCatchesUpThenFollowsWithoutGapsOrDuplicates(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            for i in 0..<10 { try await store.append([Counted(n: i)], to: "s", metadata: meta("early-\(i)")) }
            let consumer = Task { () -> [UInt64] in
                var seen: [UInt64] = []
                for try await event in store.subscribe(from: 3) {
                    seen.append(event.position)
                    if seen.count == 37 { break }
                }
                return seen
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for i in 0..<10 {
                            try await store.append([Counted(n: 1000 * writer + i)], to: "w\(writer)", metadata: meta("late-\(writer)-\(i)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seen = try await consumer.value
            #expect(seen == Array(3..<40))
        }
    }

    @Test(arguments: Backend.allCases)
    func aSubscriptionEndsWhenTheStoreCloses(_ backend: Backend) async throws {
        try await backend.withStore { store, _ in
            try await store.append([Noted(text: "a")], to: "s", metadata: meta("c1"))
            let consumer = Task { () -> Int in
                var count = 0
                for try await _ in store.subscribe() { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            try store.close()
            #expect(try await consumer.value == 1)
        }
    }
}
