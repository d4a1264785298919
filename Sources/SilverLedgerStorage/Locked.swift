#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`: the package's lock.
///
/// Not the standard library's `Mutex`: on Linux that one is built on futexes
/// inside an uninstrumented library, so ThreadSanitizer cannot see it and
/// reports every access it guards as a race (a two-thread program that only
/// touches its state inside `withLock` gets five reports). ThreadSanitizer
/// intercepts `pthread_mutex_lock`, so with this lock `swift test
/// --sanitize=thread` reports only real races. The cost is the same: one
/// uncontended lock and unlock.
///
/// Public under the SPI `Internals`, which the package's own modules import
/// (not part of the documented API), and inlinable, so that their calls are
/// specialized for their value and closure.
/// (A `package` declaration is not: Swift 6.3 calls an `@inlinable package`
/// generic from another module unspecialized, looking up generic metadata at
/// run time on every call.)
@_spi(Internals) public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    /// A lock guarding `value`.
    @inlinable public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
        // Spins briefly before sleeping in the kernel: the package's critical
        // sections are short, and a thread that found one held would otherwise
        // pay a futex wait and its holder a futex wake.
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    @inlinable @inline(__always)
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if MemoryLayout<Value>.size == 0 {
            // A value of no size (`Locked(())`, a lock guarding no data) has the
            // address of the field beside it: a modifying access to it would look,
            // to ThreadSanitizer, like a race with the unlocked read of `mutex`.
            // It holds nothing to change, so `body` gets a copy.
            var nothing = value
            return try body(&nothing)
        }
        return try body(&value)
    }
}
