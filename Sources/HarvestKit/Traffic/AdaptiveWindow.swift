/// The in-flight window of one teacher: AIMD (additive increase, multiplicative decrease).
///
/// - A congestion signal (429 or 503) halves the window, at most once per round trip: only a request admitted
///   after the previous decrease can trigger the next one, so a burst of 429s from requests that were already
///   in flight counts once.
/// - Each window's worth of successes grows it by one, up to the ceiling, while latency stays flat: the fast
///   average of success latencies (the last ~10) is at most 1.5 × the baseline plus 5 ms. The baseline is the
///   lowest average seen; at each window's worth of successes it moves 10 % of the way towards the current
///   average, so a lasting change of the teacher (longer answers, another model) becomes the new normal after
///   about ten windows. Rising latency means the teacher is queueing; more requests would only wait longer.
/// - Not adaptive: the window is pinned at the ceiling.
public struct AdaptiveWindow: Sendable, Equatable {
    /// The largest window (``TeacherLimits/maxInFlight``).
    public private(set) var ceiling: Int
    /// Whether the window moves at all.
    public private(set) var adaptive: Bool
    /// Requests that may be in flight now.
    public private(set) var size: Int
    /// Fast moving average of success latency, seconds (0 until the first success).
    public private(set) var latency = 0.0
    /// The baseline latency growth is measured against, seconds (0 until the first success).
    public private(set) var baseline = 0.0
    private var successes = 0
    private var lastDecreaseSequence: UInt64 = 0

    /// Creates a window starting at its ceiling.
    public init(ceiling: Int, adaptive: Bool) {
        self.ceiling = max(1, ceiling)
        self.adaptive = adaptive
        self.size = self.ceiling
    }

    /// Applies new limits (a reloaded config) without forgetting the latency history: a pinned window moves to
    /// the new ceiling; an adaptive one keeps its size, capped at the new ceiling (it grows back by AIMD).
    public mutating func update(ceiling: Int, adaptive: Bool) {
        self.ceiling = max(1, ceiling)
        self.adaptive = adaptive
        size = adaptive ? min(size, self.ceiling) : self.ceiling
        successes = 0
    }

    /// True when the latency average is within the tolerated band of the baseline.
    public var latencyIsFlat: Bool {
        baseline == 0 || latency <= baseline * 1.5 + 0.005
    }

    /// Records a success that took `seconds`.
    public mutating func recordSuccess(latency seconds: Double) {
        let sample = max(0, seconds)
        if latency == 0 {
            latency = sample
            baseline = sample
        } else {
            latency += (sample - latency) * 0.1
            baseline = min(baseline, latency)
        }
        guard adaptive, size < ceiling else { return }
        successes += 1
        if successes >= size {
            successes = 0
            if latencyIsFlat { size += 1 }
            baseline += (latency - baseline) * 0.1
        }
    }

    /// Records a congestion signal (429, 503) from the request admitted as number `sequence`, when the latest
    /// admission so far is number `latestSequence`. Returns true when the window was halved.
    @discardableResult
    public mutating func recordCongestion(sequence: UInt64, latestSequence: UInt64) -> Bool {
        guard adaptive, sequence > lastDecreaseSequence else { return false }
        lastDecreaseSequence = latestSequence
        successes = 0
        let halved = max(1, size / 2)
        guard halved < size else { return false }
        size = halved
        return true
    }
}
