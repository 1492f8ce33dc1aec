import Foundation

/// When to try reconnecting after a lost connection: the first try at once, then after `initial` seconds, doubling
/// up to `cap` (default 0.1 s … 5 s), so a daemon whose database is down for minutes tries every 5 s instead of
/// hammering it; a success starts over. Not thread-safe: one per connection, used on its thread.
public struct PostgresBackoff: Sendable, Equatable {
    /// The first delay after a failed try, in seconds.
    public var initial: Double
    /// The longest delay, in seconds.
    public var cap: Double
    /// The delay after the next failure.
    private(set) var delay: Double
    /// Monotonic time before which no new try is made (0: try now).
    private(set) var notBefore: Double = 0

    /// A backoff from `initial` doubling to `cap` seconds.
    public init(initial: Double = 0.1, cap: Double = 5) {
        self.initial = initial
        self.cap = max(initial, cap)
        delay = initial
    }

    /// The default for connections: 0.1 s doubling to 5 s.
    public static let standard = PostgresBackoff()

    /// Seconds to wait before the next try may be made (0 when it may be made now).
    public func wait(now: Double = PostgresBackoff.monotonicNow()) -> Double { max(0, notBefore - now) }

    /// A try failed: the next one waits the current delay, which then doubles (up to the cap).
    public mutating func failed(now: Double = PostgresBackoff.monotonicNow()) {
        notBefore = now + delay
        delay = min(cap, delay * 2)
    }

    /// A try succeeded: the next failure starts from `initial` again.
    public mutating func succeeded() {
        delay = initial
        notBefore = 0
    }

    /// Seconds on a monotonic clock.
    public static func monotonicNow() -> Double { ProcessInfo.processInfo.systemUptime }
}
