#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A monotonic clock in seconds for the traffic layer (token buckets, pauses, cool-downs, latency).
/// Tests inject a clock they move by hand; production uses ``MonotonicTrafficClock``.
public protocol TrafficClock: Sendable {
    /// Seconds since an arbitrary fixed point; never goes back.
    func now() -> Double
}

/// `CLOCK_MONOTONIC`: unaffected by wall-clock changes.
public struct MonotonicTrafficClock: TrafficClock {
    /// Creates the clock.
    public init() {}

    /// Seconds since boot (or another fixed point).
    public func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
