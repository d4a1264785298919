import Foundation
import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// Batches queued with `Ledger.enqueue` and not yet taken by the store: held
/// back on purpose (`submissions.hold()`), so that a later batch is checked
/// while an earlier one is only in the queue.
/// A ledger of branch B1 with members B1-C1 and B1-C2, whose queue to the
/// store holds the batches until `release()` (or until it goes).
private final class HeldLedger {
    let ledger: Ledger
    /// The store's next position when the queue was held.
    let before: UInt64
    private var held = true

    init() async throws {
        ledger = try SilverLedgerDomainTests.ledger()
        try await branchWithMembers(ledger, 2)
        before = ledger.store.nextPosition
        ledger.submissions.hold()
    }

    func release() {
        guard held else { return }
        held = false
        ledger.submissions.release()
    }

    deinit { release() }
}

@Suite("Queued batches: checked against the batches before them, written in order, stopped by a failure before them")
struct QueuedBatchTests {
    private func meeting(_ id: String, attendee: CadreID, absentee: CadreID? = nil, on day: String = "2024-05-16") -> RecordMeeting {
        RecordMeeting(meeting: id, branch: "B1", kind: .generalMeeting, topic: "党纪学习", heldOn: date(day), attendees: [attendee],
                      absentees: absentee.map { [MeetingAbsence(cadre: $0, reason: "住院")] } ?? [])
    }

    @Test func aBatchQueuedBehindAnotherIsCheckedAgainstIt() async throws {
        let held = try await HeldLedger()
        let (ledger, before) = (held.ledger, held.before)
        let first = try await ledger.enqueue([LedgerCommand(meeting("M1", attendee: "B1-C1", absentee: "B1-C2"), id: "q1")], by: "op")
        let second = try await ledger.enqueue([
            // The meeting's stream is only in the queue: still refused as existing.
            LedgerCommand(meeting("M1", attendee: "B1-C2"), id: "q2"),
            // Needs the queued meeting's absence (the state has it).
            LedgerCommand(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C2", deliveredOn: date("2024-05-20")), id: "q3"),
            // A command id the queued batch has: its first result, not a second meeting.
            LedgerCommand(meeting("M2", attendee: "B1-C1"), id: "q1"),
        ], by: "op")
        #expect(ledger.store.nextPosition == before, "the store took a held batch")
        #expect(!ledger.submissions.isEmpty)
        held.release()
        let firstResults = try await first.results()
        let secondResults = try await second.results()
        #expect(try firstResults[0].get().positions == before..<(before + 1))
        guard case .failure(let refused) = secondResults[0] else { Issue.record("a second meeting M1 was accepted"); return }
        #expect(refused.code == .recordExists)
        #expect(refused.values["stream"] == RecordMeeting.stream("M1"))
        #expect(try secondResults[1].get().positions == (before + 1)..<(before + 2))
        #expect(try secondResults[2].get() == firstResults[0].get())
        #expect(ledger.store.nextPosition == before + 2)
        #expect(try ledger.store.readStream(RecordMeeting.stream("M1")).map(\.metadata.commandID) == ["q1", "q3"])
        let rebuilt = try ledger.store.project(DomainState.self).projection
        #expect(rebuilt == (await ledger.state))
    }

    @Test func aBatchTheStoreRefusesStopsTheBatchesQueuedAfterItAndTheLedgerRebuilds() async throws {
        let held = try await HeldLedger()
        let (ledger, before) = (held.ledger, held.before)
        let first = try await ledger.enqueue([LedgerCommand(meeting("M1", attendee: "B1-C1"), id: "clash")], by: "op")
        let second = try await ledger.enqueue([LedgerCommand(meeting("M2", attendee: "B1-C2"), id: "later")], by: "op")
        // Another writer (against the ledger's rule) takes the first batch's command id meanwhile.
        let other = meeting("M9", attendee: "B1-C2", on: "2024-06-01")
        let writes = try other.decide(try ledger.store.project(DomainState.self).projection, today: date("2024-12-31"))
        try await ledger.store.append(writes, metadata: EventMetadata(businessDate: other.date, recordedBy: "someone", commandID: "clash"))
        held.release()
        do {
            _ = try await first.results()
            Issue.record("a batch with a command id already in the store was written")
        } catch {
            #expect(error.code == .store)
            #expect(error.english.contains("refused a batch of 1 commands"), "\(error)")
        }
        do {
            _ = try await second.results()
            Issue.record("a batch queued after a refused one was written")
        } catch {
            #expect(error.code == .store)
            #expect(error.english.contains("a batch queued before it was not"), "\(error)")
        }
        #expect(ledger.store.nextPosition == before + 1)
        // The next command finds the state rebuilt from the log: M9 in it, M1 and M2 not.
        try await ledger.execute(meeting("M2", attendee: "B1-C2"), by: "op", commandID: "later-again")
        #expect(ledger.store.nextPosition == before + 2)
        let rebuilt = try ledger.store.project(DomainState.self).projection
        #expect(rebuilt == (await ledger.state))
        #expect(await ledger.state.organisationalLife.awaitingStudy[MeetingID("M1")] == nil)
        let results = try await ledger.execute([LedgerCommand(meeting("M1", attendee: "B1-C1"), id: "m1-again")], by: "op")
        #expect(try results[0].get().positions == (before + 2)..<(before + 3))
    }

    @Test func aSingleCommandWaitsForTheQueuedBatches() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2)
        let before = ledger.store.nextPosition
        let queued = try await ledger.enqueue([LedgerCommand(meeting("M1", attendee: "B1-C1", absentee: "B1-C2"), id: "q1")], by: "op")
        // Sent alone right after: checked against a store that has the queued batch.
        try await ledger.execute(DeliverStudyAtHome(meeting: "M1", cadre: "B1-C2", deliveredOn: date("2024-05-20")), by: "op", commandID: "s1")
        let again = try await ledger.execute(meeting("M2", attendee: "B1-C1"), by: "op", commandID: "q1")
        #expect(try await queued.results()[0].get() == again)
        #expect(try ledger.store.readStream(RecordMeeting.stream("M1")).map(\.metadata.commandID) == ["q1", "s1"])
        #expect(ledger.store.nextPosition == before + 2)
    }

    /// A single command that waits for the queue while another batch is queued
    /// behind it is checked against that batch and written after it.
    @Test func aSingleCommandWaitingForTheQueueIsWrittenAfterEveryBatchQueuedMeanwhile() async throws {
        let held = try await HeldLedger()
        let (ledger, before) = (held.ledger, held.before)
        let first = try await ledger.enqueue([LedgerCommand(meeting("M1", attendee: "B1-C1"), id: "q1")], by: "op")
        // Needs the meeting queued below; it waits for the held queue meanwhile.
        let single = Task {
            try await ledger.execute(DeliverStudyAtHome(meeting: "M2", cadre: "B1-C2", deliveredOn: date("2024-06-20")), by: "op", commandID: "s1")
        }
        try await Task.sleep(for: .milliseconds(50))
        let second = try await ledger.enqueue([LedgerCommand(meeting("M2", attendee: "B1-C1", absentee: "B1-C2", on: "2024-06-16"), id: "q2")],
                                              by: "op")
        held.release()
        #expect(try await first.results()[0].get().positions == before..<(before + 1))
        #expect(try await second.results()[0].get().positions == (before + 1)..<(before + 2))
        #expect(try await single.value.positions == (before + 2)..<(before + 3))
        #expect(try ledger.store.readStream(RecordMeeting.stream("M2")).map(\.metadata.commandID) == ["q2", "s1"])
        let rebuilt = try ledger.store.project(DomainState.self).projection
        #expect(rebuilt == (await ledger.state))
    }
}
