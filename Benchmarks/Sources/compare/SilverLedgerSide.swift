// The SilverLedger side of each measure.
import Foundation
import SilverLedger
@_spi(Benchmarks) import SilverLedgerStorage
import SilverLedgerDomain

/// Counts events by type from their envelopes alone (payloads not decoded).
struct EnvelopesOnly: Projection {
    static let name = "compare-envelopes-only"
    static let decodesPayloads = false
    var count = 0
    var days: Int64 = 0
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        count += 1
        days &+= Int64(event.businessDate.daysSinceEpoch)   // not `metadata`: that builds its strings
    }
}

/// Decodes every payload and drops it: the replay without `DomainState`'s work.
struct DecodeOnly: Projection {
    static let name = "compare-decode-only"
    var count = 0
    mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
        if decoded != nil { count += 1 }
    }
}

enum SilverLedgerMeasures {
    static func fresh(_ dir: String) -> String {
        try? FileManager.default.removeItem(atPath: dir)
        return dir
    }

    /// Times `body` on a fresh store at `dir` opened with `durability`; checks that
    /// the store then holds `events` events, closes and removes it. Returns the seconds.
    static func timedOnFreshStore(_ dir: String, _ durability: EventStoreOptions.Durability, events: Int,
                                  _ body: (EventStore) async throws -> Void) async throws -> Double {
        let path = fresh(dir)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = EventStoreOptions()
        options.durability = durability
        let store = try EventStore.open(at: path, types: Ledger.eventTypes, options: options)
        let t = try await timedAsync { try await body(store) }
        precondition(store.nextPosition == UInt64(events), "appended \(store.nextPosition) of \(events)")
        try store.close()
        return t
    }

    // MARK: 1. Batched durable appends

    /// `EventStore.append(commands:)` of each batch (one log batch, one write,
    /// one fdatasync: `fsyncPerAppend`) to a fresh store, by `callers` tasks
    /// each awaiting its appends; the typed events are encoded inside.
    static func batchedAppend(_ batches: [[CommandWrites]], events: Int, dir: String, callers: Int) async throws -> Double {
        try await timedOnFreshStore(dir, .fsyncPerAppend, events: events) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        for b in stride(from: caller, to: batches.count, by: callers) { _ = try await store.append(commands: batches[b]) }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// The same events as one command per batch: `EventStore.append(_ writes:metadata:)`
    /// (each batch's events grouped by stream, the batch's first metadata with a
    /// batch command id): what the per-command bookkeeping of the line above costs.
    static func oneCommandPerBatch(_ sources: [SourceEvent], _ ranges: [Range<Int>]) -> [(writes: [StreamWrite], metadata: EventMetadata)] {
        ranges.enumerated().map { b, range in
            var order: [String] = []
            var events: [String: [any Event]] = [:]
            for i in range {
                let stream = sources[i].row.stream
                if events[stream] == nil { order.append(stream) }
                events[stream, default: []].append(sources[i].event)
            }
            var metadata = sources[range.lowerBound].metadata
            metadata.commandID = "batch-\(b)"
            return (order.map { StreamWrite(stream: $0, expectedVersion: .any, events: events[$0]!) }, metadata)
        }
    }

    static func batchedAppend(_ batches: [(writes: [StreamWrite], metadata: EventMetadata)], events: Int, dir: String) async throws -> Double {
        try await timedOnFreshStore(dir, .fsyncPerAppend, events: events) { store in
            for batch in batches { _ = try await store.append(batch.writes, metadata: batch.metadata) }
        }
    }

    /// The storage `Log` alone: the same events' stored envelopes (already
    /// encoded), 1,000 per batch, `Log.append` with one fdatasync each.
    static func logAppend(_ batches: [LogBatch], dir: String) throws -> Double {
        let path = fresh(dir)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try Log.open(at: path, options: LogOptions(durability: .fsyncPerAppend))
        let t = try timed { for batch in batches { _ = try log.append(batch) } }
        try log.close()
        return t
    }

    // MARK: 2. 64 concurrent writers, one event per append

    /// `writers` tasks, each appending one event at a time (`append(_:to:expectedVersion: .any)`)
    /// to a store opened with `durability: .groupCommit`: each append returns once synced.
    static func groupCommit(_ sources: [SourceEvent], writers: Int, perWriter: Int, dir: String) async throws -> Double {
        let total = writers * perWriter
        precondition(total <= sources.count, "more writes than events")
        let t = try await timedOnFreshStore(dir, .groupCommit, events: total) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in stride(from: w, to: total, by: writers) {
                            let s = sources[i]
                            var metadata = s.metadata
                            metadata.commandID = "gc-\(i)"
                            _ = try await store.append([s.event], to: s.row.stream, expectedVersion: .any, metadata: metadata)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return Double(total) / t
    }
}
