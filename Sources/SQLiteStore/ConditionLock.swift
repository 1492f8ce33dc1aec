#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with one condition variable. Used by the writer queue, the reader pool and
/// blocking waits; it never suspends a Swift task (only blocks a thread for short, bounded sections,
/// except in ``OneShot/wait()`` which synchronous callers use on purpose).
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only while holding the mutex (inside ``withLock(_:)``).
    func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits on the condition until the wall-clock `deadline` (Unix seconds); returns false on timeout.
    func wait(until deadline: Double) -> Bool {
        var ts = timespec()
        ts.tv_sec = Int(deadline)
        ts.tv_nsec = Int((deadline - Double(ts.tv_sec)) * 1e9)
        return pthread_cond_timedwait(cond, mutex, &ts) == 0
    }

    /// Wakes all waiters.
    func broadcast() { pthread_cond_broadcast(cond) }
}

/// A value delivered once from one thread and awaited by a blocked thread (synchronous API calls).
final class OneShot<T: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: T?

    /// Delivers the value and wakes the waiter.
    func set(_ v: T) {
        lock.withLock {
            value = v
            lock.broadcast()
        }
    }

    /// Blocks the calling thread until the value arrives.
    func wait() -> T {
        lock.withLock {
            while value == nil { lock.wait() }
            return value!
        }
    }
}

/// Wall-clock time as Unix seconds with a fractional part.
func unixNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
