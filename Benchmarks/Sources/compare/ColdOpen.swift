// Cold open: a fresh process (this executable, `compare --cold-open MODE PATH`)
// opens the store and has `DomainState` ready; it prints one line the parent
// reads. The OS page cache cannot be dropped here (no root), so "cold" means a
// fresh process over files the page cache may still hold.
import Foundation
import SilverLedger
import SilverLedgerDomain

enum ColdOpen {
    enum Mode: String, CaseIterable {
        /// `EventStore.open` + `project(DomainState.self, usingSnapshot: false)`.
        case silverledger
        /// `EventStore.open` + `project(DomainState.self)` from the snapshot saved by `saveSnapshot`.
        case silverledgerSnapshot = "silverledger-snapshot"
        /// `DatabaseQueue(path:)` + the full read-and-decode of `SQLiteMeasures.grdbReplay`.
        case grdb
        /// The same, reading and decoding on a second thread.
        case grdbTwoThreads = "grdb-2-threads"
    }

    struct Result {
        var seconds: Double
        var events: Int
        var peakBytes: Int
    }

    /// In the child: open, rebuild, print `cold-open seconds=… events=… peak=…`.
    static func child(_ mode: Mode, path: String) throws {
        var events = 0
        // Kept past the clock (all modes): the state is what the open is for, and freeing it is not part of opening.
        var state: DomainState?
        let t: Double
        switch mode {
        case .silverledger, .silverledgerSnapshot:
            var store: EventStore?
            t = try timed {
                let opened = try EventStore.open(at: path, types: Ledger.eventTypes)
                let projected = try opened.project(DomainState.self, usingSnapshot: mode == .silverledgerSnapshot)
                precondition(projected.usedSnapshot == (mode == .silverledgerSnapshot), "snapshot used: \(projected.usedSnapshot)")
                events = Int(projected.eventsApplied)
                store = opened
                state = projected.projection
            }
            try store?.close()
        case .grdb:
            t = try timed { (state, events) = try SQLiteMeasures.grdbReplay(path: path) }
        case .grdbTwoThreads:
            t = try timed { (state, events) = try SQLiteMeasures.grdbReplayTwoThreads(path: path) }
        }
        precondition(state != nil)
        print("cold-open seconds=\(t) events=\(events) peak=\(peakResidentBytes())")
    }

    /// Saves the snapshot of `DomainState` as of `tail` events before the store's end,
    /// the one `silverledger-snapshot` opens from.
    static func saveSnapshot(path: String, tail: UInt64) throws {
        let store = try EventStore.open(at: path, types: Ledger.eventTypes)
        let end = store.nextPosition
        guard end >= tail else {
            try? store.close()
            throw SQLiteFailure(description: "the store at \(path) has \(end) events, fewer than the tail of \(tail) asked for")
        }
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let projected = try store.project(DomainState.self, asOf: .position(end - tail), usingSnapshot: false)
            let replayed = clock.now
            try store.saveSnapshot(projected)
            let saved = clock.now
            let file = path + "/snapshots/" + DomainState.name + ".snap"
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
            print("save-snapshot replay_seconds=\(seconds(replayed - start)) save_seconds=\(seconds(saved - replayed)) bytes=\(size) peak=\(peakResidentBytes())")
        } catch {
            try? store.close()
            throw error
        }
        try store.close()
    }

    /// In the parent: runs the child once and reads its line.
    static func run(_ mode: Mode, path: String) throws -> Result {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["--cold-open", mode.rawValue, path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard child.terminationStatus == 0,
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix("cold-open ") }) else {
            throw SQLiteFailure(description: "cold-open child \(mode.rawValue) failed (status \(child.terminationStatus)): \(output)")
        }
        var fields: [String: String] = [:]
        for part in line.split(separator: " ").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        return Result(seconds: Double(fields["seconds"] ?? "") ?? .nan, events: Int(fields["events"] ?? "") ?? 0,
                      peakBytes: Int(fields["peak"] ?? "") ?? 0)
    }
}
