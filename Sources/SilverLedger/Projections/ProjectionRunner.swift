@_spi(Internals) import SilverLedgerStorage

/// Keeps a projection up to date: rebuilds it from the log (from its snapshot
/// if there is a valid one), then applies every new event as it commits.
///
/// ```swift
/// let visits = try ProjectionRunner(VisitsByCadre.self, store: store)
/// let result = try await store.append(events, to: "cadre-17", metadata: metadata)
/// let state = try await visits.state(atLeast: result.positions.upperBound)   // read-your-writes
/// print(state.projection.count(of: "cadre-17"))
/// await visits.stop()
/// ```
///
/// The runner follows the log in order, one event at a time, without gaps or
/// duplicates. With `snapshotEvery`, a `Codable` projection's state is saved
/// (``EventStore/saveSnapshot(_:)``) each time that many events have been
/// applied since the last save, so that the next start replays only the tail.
/// If an event cannot be read, the runner stops and every waiter gets the error.
public final class ProjectionRunner<P: Projection>: Sendable {
    private struct State: Sendable {
        var projected: Projected<P>
        var failure: EventStoreError?
        var stopped = false
        var waiters: [(position: UInt64, continuation: CheckedContinuation<Projected<P>, any Error>)] = []
    }

    /// Shared with the following task, which must not keep the runner itself alive.
    private final class Shared: Sendable {
        let state: Locked<State>
        init(_ state: State) { self.state = Locked(state) }
    }

    private let shared: Shared
    private let follower = Locked<Task<Void, Never>?>(nil)

    /// Rebuilds `P` up to the committed end of `store` (using its snapshot if
    /// `usingSnapshot`), then starts following new events.
    public init(_ type: P.Type = P.self, store: EventStore, usingSnapshot: Bool = true, snapshotEvery: UInt64? = nil) throws {
        let projected = try store.project(P.self, asOf: .now, usingSnapshot: usingSnapshot)
        let shared = Shared(State(projected: projected))
        self.shared = shared
        let save = Self.snapshotSaver(store: store, every: snapshotEvery)
        let task = Task {
            var sinceSave: UInt64 = 0
            do {
                for try await event in store.subscribe(from: projected.position) {
                    let decoded = P.decodesPayloads ? try event.decoded(with: store.types) : nil
                    let (ready, copy) = shared.state.withLock { s -> ([CheckedContinuation<Projected<P>, any Error>], Projected<P>) in
                        s.projected.projection.apply(event, decoded: decoded)
                        s.projected.position = event.position + 1
                        s.projected.eventsApplied += 1
                        let position = s.projected.position
                        let ready = s.waiters.filter { $0.position <= position }.map { $0.continuation }
                        s.waiters.removeAll { $0.position <= position }
                        return (ready, s.projected)
                    }
                    for waiter in ready { waiter.resume(returning: copy) }
                    sinceSave += 1
                    if let save, let every = snapshotEvery, sinceSave >= every {
                        sinceSave = 0
                        save(copy, store)
                    }
                }
                Self.finish(shared, with: nil)
            } catch {
                let failure = (error as? EventStoreError)
                    ?? EventStoreError(.corruptedEvent, "projection \(P.name) stopped following the log: \(error)")
                Self.finish(shared, with: failure)
            }
        }
        follower.withLock { $0 = task }
    }

    /// The projection as it is now, and the position it has seen up to.
    public var current: Projected<P> {
        shared.state.withLock { $0.projected }
    }

    /// The projection once it has applied every event before `position` (for
    /// example the end of an append's ``AppendResult/positions``); waits for them.
    ///
    /// Throws the runner's failure if it stopped on an event it could not read,
    /// or ``EventStoreError/Code/closed`` if it was stopped (or the store closed) first.
    public func state(atLeast position: UInt64) async throws -> Projected<P> {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = shared.state.withLock { s -> Result<Projected<P>, any Error>? in
                if s.projected.position >= position { return .success(s.projected) }
                if let failure = s.failure { return .failure(failure) }
                if s.stopped {
                    return .failure(EventStoreError(.closed, "projection \(P.name) is stopped at position \(s.projected.position); position \(position) will not be reached"))
                }
                s.waiters.append((position, continuation))
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Stops following the log; waiters for positions not reached get ``EventStoreError/Code/closed``.
    public func stop() async {
        let task = follower.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    deinit {
        follower.withLock { $0?.cancel() }
    }

    private static func finish(_ shared: Shared, with failure: EventStoreError?) {
        let waiters = shared.state.withLock { s -> [CheckedContinuation<Projected<P>, any Error>] in
            s.stopped = true
            s.failure = failure
            defer { s.waiters.removeAll() }
            return s.waiters.map { $0.continuation }
        }
        for waiter in waiters {
            waiter.resume(throwing: failure ?? EventStoreError(.closed, "projection \(P.name) was stopped before it reached the position waited for"))
        }
    }

    /// How to save a snapshot of `P`, if it can be snapshotted and saving was asked for.
    private static func snapshotSaver(store: EventStore, every: UInt64?) -> (@Sendable (Projected<P>, EventStore) -> Void)? {
        guard every != nil, let codable = P.self as? any (Projection & Codable).Type else { return nil }
        return { projected, store in
            func save<C: Projection & Codable>(_: C.Type) {
                guard let typed = projected as? Projected<C> else { return }
                do {
                    try store.saveSnapshot(typed)
                } catch {
                    // The log still holds every event: a missed snapshot only makes the next start slower.
                    store.options.logger.warning("could not save a snapshot", metadata: ["projection": "\(P.name)", "position": "\(projected.position)", "error": "\(error)"])
                }
            }
            save(codable)
        }
    }
}
