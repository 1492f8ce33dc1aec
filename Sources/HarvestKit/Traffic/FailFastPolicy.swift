/// When a sweep stops early instead of spending attempts (and money) on a teacher that cannot serve it.
/// A tripped rule drains the sweep (in-flight answers are still stored) and the CLI exits with code 8.
public struct FailFastPolicy: Sendable, Equatable {
    /// Stop on the first 401/403, and on a 429 whose error says the quota or credit is exhausted.
    public var stopOnAuthError: Bool
    /// Attempts in the sliding window of the error-rate rule (0 disables the rule).
    public var window: Int
    /// Stop when, over a full window of attempts, more than this fraction failed. 429s are not counted (they are
    /// rate limiting, handled by the window and `Retry-After`), neither are cancelled attempts.
    public var maxErrorRate: Double
    /// Stop when, over a full window of answers that asked for logprobs, more than this fraction came without
    /// them (the teacher ignores `logprobs`). Nil disables the rule. Such answers are stored either way.
    public var maxMissingLogprobsRate: Double?
    /// Stop when no endpoint has been available (every breaker open) for this many seconds (nil disables).
    public var maxUnavailableSeconds: Double?
    /// Stop when the first this many attempts of a run all failed (429s not counted) before a single answer
    /// arrived: the teacher is up but cannot serve these requests (nil disables).
    public var maxInitialFailures: Int?

    /// Creates a policy; the defaults stop on a wrong key at once, on a teacher that answers nothing after 10
    /// attempts, and on a broken teacher after 100 attempts.
    public init(stopOnAuthError: Bool = true, window: Int = 100, maxErrorRate: Double = 0.5,
                maxMissingLogprobsRate: Double? = 0.5, maxUnavailableSeconds: Double? = 300, maxInitialFailures: Int? = 10) {
        self.stopOnAuthError = stopOnAuthError
        self.window = max(0, window)
        self.maxErrorRate = maxErrorRate
        self.maxMissingLogprobsRate = maxMissingLogprobsRate
        self.maxUnavailableSeconds = maxUnavailableSeconds
        self.maxInitialFailures = maxInitialFailures
    }

    /// No rule at all: the sweep runs until every job is settled or it is stopped by hand.
    public static let off = FailFastPolicy(stopOnAuthError: false, window: 0, maxMissingLogprobsRate: nil, maxUnavailableSeconds: nil,
                                           maxInitialFailures: nil)
}

/// Which fail-fast rule stopped a sweep, and why, for people.
public struct FailFastTrip: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rules.
    public enum Rule: String, Sendable, Equatable {
        /// 401 or 403.
        case authError
        /// A 429 saying the quota or credit is used up.
        case quotaExhausted
        /// Too many failed attempts in the window.
        case errorRate
        /// The first attempts of the run all failed.
        case initialFailures
        /// Too many answers without the requested logprobs.
        case missingLogprobs
        /// No endpoint available for too long.
        case unavailable
    }

    /// The rule that tripped.
    public var rule: Rule
    /// What happened and what to do.
    public var detail: String

    /// Creates a trip.
    public init(rule: Rule, detail: String) {
        self.rule = rule
        self.detail = detail
    }

    /// One line for people.
    public var description: String { "fail-fast rule \"\(rule.rawValue)\": \(detail)" }
}
