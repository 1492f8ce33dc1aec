/// A token bucket on an injected monotonic time line: it fills at ``ratePerSecond`` up to ``capacity``.
///
/// A cost is admitted when the level covers it, or — for a cost larger than the whole bucket — when the bucket
/// is full; the level may then go negative (debt), which later admissions wait out. Over any long interval the
/// admitted cost therefore never exceeds `capacity + rate × seconds`, whatever the costs are.
public struct TokenBucket: Sendable, Equatable {
    /// Refill rate, per second.
    public private(set) var ratePerSecond: Double
    /// Largest level (the burst).
    public private(set) var capacity: Double
    /// Current level (negative while in debt).
    public private(set) var level: Double
    private var updatedAt: Double

    /// Creates a full bucket at time `now`.
    public init(ratePerSecond: Double, capacity: Double, now: Double) {
        self.ratePerSecond = max(ratePerSecond, 1e-9)
        self.capacity = max(capacity, 1e-9)
        self.level = self.capacity
        self.updatedAt = now
    }

    /// A bucket for `perMinute` units a minute whose burst holds `burstSeconds` worth (at least `minimumBurst`).
    public static func perMinute(_ perMinute: Double, burstSeconds: Double, minimumBurst: Double = 1, now: Double) -> TokenBucket {
        let rate = perMinute / 60
        return TokenBucket(ratePerSecond: rate, capacity: max(minimumBurst, rate * burstSeconds), now: now)
    }

    /// Applies a new rate and burst (a reloaded config): what accrued so far counts at the old rate, the level is
    /// capped at the new capacity (a debt is kept), and from `now` on the bucket fills at the new rate.
    public mutating func update(ratePerSecond: Double, capacity: Double, now: Double) {
        refill(now: now)
        self.ratePerSecond = max(ratePerSecond, 1e-9)
        self.capacity = max(capacity, 1e-9)
        level = min(level, self.capacity)
    }

    /// Adds what has accrued since the last update.
    public mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        level = min(capacity, level + (now - updatedAt) * ratePerSecond)
        updatedAt = now
    }

    /// Seconds to wait before `cost` can be taken (0 = now).
    public mutating func delay(for cost: Double, now: Double) -> Double {
        refill(now: now)
        let needed = min(cost, capacity)
        return level >= needed ? 0 : (needed - level) / ratePerSecond
    }

    /// Takes `cost` (the caller checked ``delay(for:now:)``); the level may go negative.
    public mutating func take(_ cost: Double, now: Double) {
        refill(now: now)
        level -= cost
    }

    /// Gives back (positive) or charges more (negative): the correction once the real cost is known.
    public mutating func adjust(by delta: Double, now: Double) {
        refill(now: now)
        level = min(capacity, level + delta)
    }
}
