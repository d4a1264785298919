/// A result to come, set once by one thread and awaited by any number of
/// tasks: an append the log will make durable, a batch the store will take.
/// Public under the SPI `Internals` only, and inlinable (see ``Locked``).
@_spi(Internals) public final class Promise<Value: Sendable, Failure: Error>: Sendable {
    @usableFromInline typealias Waiter = UnsafeContinuation<Result<Value, Failure>, Never>
    @usableFromInline struct State {
        @usableFromInline var result: Result<Value, Failure>?
        /// The first task waiting (most promises have one at most: no array to
        /// allocate here and free on the resolving thread), and any others.
        @usableFromInline var waiter: Waiter?
        @usableFromInline var others: [Waiter] = []
        @inlinable init() {}
    }
    @usableFromInline let state = Locked(State())

    /// A result still to come.
    @inlinable public init() {}

    /// A value already known.
    @inlinable public init(_ value: Value) {
        state.withLock { $0.result = .success(value) }
    }

    /// Sets the result and wakes every task waiting for it.
    @inlinable public func resolve(_ result: Result<Value, Failure>) {
        let (waiter, others) = state.withLock { s -> (Waiter?, [Waiter]) in
            s.result = result
            defer { s.waiter = nil; s.others = [] }
            return (s.waiter, s.others)
        }
        // Each waiter was taken out under the lock once: resumed exactly once.
        waiter?.resume(returning: result)
        for other in others { other.resume(returning: result) }
    }

    /// The value, once resolved (at once if it is); throws the failure it was resolved with.
    @inlinable public func value() async throws(Failure) -> Value {
        if let ready = state.withLock({ $0.result }) { return try ready.get() }
        let result = await withUnsafeContinuation { (continuation: Waiter) in
            let ready = state.withLock { s -> Result<Value, Failure>? in
                if let r = s.result { return r }
                if s.waiter == nil { s.waiter = continuation } else { s.others.append(continuation) }
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
