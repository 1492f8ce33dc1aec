/// When an endpoint is taken out and how it is probed back.
public struct BreakerPolicy: Sendable, Equatable {
    /// Consecutive failures (transport errors, 5xx) that open the breaker.
    public var failureThreshold: Int
    /// Seconds an opened breaker waits before one trial request (half-open).
    public var cooldown: Double
    /// The cool-down doubles after each failed trial, up to this many seconds.
    public var maxCooldown: Double

    /// Creates a policy.
    public init(failureThreshold: Int = 5, cooldown: Double = 2, maxCooldown: Double = 60) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = max(0, cooldown)
        self.maxCooldown = max(self.cooldown, maxCooldown)
    }
}

/// How a request ended, as far as the health of its endpoint is concerned.
public enum EndpointVerdict: Sendable, Equatable {
    /// The endpoint answered (any 2xx, 4xx including 429, or an undecodable 2xx body).
    case alive
    /// Transport error or 5xx.
    case failed
    /// No verdict (cancelled before an answer).
    case unknown
}

/// The circuit breaker of one endpoint: closed → open after N consecutive failures → half-open after the
/// cool-down (exactly one trial request) → closed on an answer, open again (with a doubled cool-down) on a
/// failure.
public struct CircuitBreaker: Sendable, Equatable {
    /// The breaker's state.
    public enum State: Sendable, Equatable {
        /// Requests flow.
        case closed
        /// No requests until the time given (monotonic seconds).
        case open(until: Double)
        /// One trial request is in flight.
        case halfOpen
    }

    /// The policy.
    public private(set) var policy: BreakerPolicy
    /// Current state.
    public private(set) var state = State.closed
    /// Failures in a row.
    public private(set) var consecutiveFailures = 0
    private var cooldown: Double

    /// Creates a closed breaker.
    public init(policy: BreakerPolicy) {
        self.policy = policy
        self.cooldown = policy.cooldown
    }

    /// Applies a new policy (a reloaded config); the state is kept, the cool-down restarts from the new base
    /// at the next opening.
    public mutating func update(policy: BreakerPolicy) {
        self.policy = policy
        cooldown = min(max(cooldown, policy.cooldown), policy.maxCooldown)
    }

    /// Whether a normal request may go out now.
    public var isClosed: Bool { state == .closed }

    /// True when open and the cool-down has passed: the next request is the trial.
    public func trialDue(now: Double) -> Bool {
        if case .open(let until) = state { return now >= until }
        return false
    }

    /// When an open breaker allows its trial; nil when not open.
    public var reopensAt: Double? {
        if case .open(let until) = state { return until }
        return nil
    }

    /// Marks the trial request as sent (call when ``trialDue(now:)``).
    public mutating func beginTrial() {
        state = .halfOpen
    }

    /// Records how a request ended. `trial` says whether it was the half-open trial.
    /// Returns true when this opened the breaker.
    @discardableResult
    public mutating func record(_ verdict: EndpointVerdict, trial: Bool, now: Double) -> Bool {
        switch verdict {
        case .alive:
            consecutiveFailures = 0
            if trial, state == .halfOpen {
                state = .closed
                cooldown = policy.cooldown
            }
            return false
        case .unknown:
            if trial, state == .halfOpen { state = .open(until: now) }
            return false
        case .failed:
            consecutiveFailures += 1
            if trial, state == .halfOpen {
                cooldown = min(policy.maxCooldown, max(cooldown * 2, policy.cooldown))
                state = .open(until: now + cooldown)
                return true
            }
            if state == .closed, consecutiveFailures >= policy.failureThreshold {
                state = .open(until: now + cooldown)
                return true
            }
            return false
        }
    }
}
