/// A result to come, set once by one thread and awaited by any number of
/// tasks: an append the log will make durable, a batch the store will take.
package final class Promise<Value: Sendable, Failure: Error>: Sendable {
    private struct State {
        var result: Result<Value, Failure>?
        var waiters: [CheckedContinuation<Result<Value, Failure>, Never>] = []
    }
    private let state = Locked(State())

    /// A result still to come.
    package init() {}

    /// A value already known.
    package init(_ value: Value) {
        state.withLock { $0.result = .success(value) }
    }

    /// Sets the result and wakes every task waiting for it.
    package func resolve(_ result: Result<Value, Failure>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Result<Value, Failure>, Never>] in
            s.result = result
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The value, once resolved (at once if it is); throws the failure it was resolved with.
    package func value() async throws(Failure) -> Value {
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
