#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic seconds (`CLOCK_MONOTONIC`) for the event loop's first-byte and idle limits.
enum MonotonicTime {
    /// Seconds since an arbitrary fixed point; never goes back.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
