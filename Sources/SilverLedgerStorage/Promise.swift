/// A result to come, set once by one thread and awaited by any number of
/// tasks: an append the log will make durable, a batch the store will take.
/// Public under the SPI `Internals` only, and inlinable (see ``Locked``).
@_spi(Internals) public final class Promise<Value: Sendable, Failure: Error>: Sendable {
    @usableFromInline struct State {
        @usableFromInline var result: Result<Value, Failure>?
        @usableFromInline var waiters: [CheckedContinuation<Result<Value, Failure>, Never>] = []
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
        let waiters = state.withLock { s -> [CheckedContinuation<Result<Value, Failure>, Never>] in
            s.result = result
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The value, once resolved (at once if it is); throws the failure it was resolved with.
    @inlinable public func value() async throws(Failure) -> Value {
        if let ready = state.withLock({ $0.result }) { return try ready.get() }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
            let ready = state.withLock { s -> Result<Value, Failure>? in
                if let r = s.result { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }
}
