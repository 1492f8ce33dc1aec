import Synchronization

/// Applies a ``FailFastPolicy`` to the attempts and answers of a running sweep. Thread-safe; the first trip wins.
public final class FailFastMonitor: Sendable {
    /// The policy applied.
    public let policy: FailFastPolicy
    private let state: Mutex<MonitorState>

    private struct MonitorState {
        var attempts: SlidingRing
        var answers: SlidingRing
        var trip: FailFastTrip?
        /// Failed attempts before the first answer; nil once one arrived.
        var initialFailures: Int? = 0
    }

    /// Creates a monitor.
    public init(policy: FailFastPolicy) {
        self.policy = policy
        state = Mutex(MonitorState(attempts: SlidingRing(size: policy.window), answers: SlidingRing(size: policy.window)))
    }

    /// The rule that tripped, if one did.
    public var trip: FailFastTrip? { state.withLock { $0.trip } }

    /// Records one finished attempt. Returns the trip when this attempt tripped a rule.
    public func recordAttempt(_ result: TeacherCallResult) -> FailFastTrip? {
        var failed = false
        var immediate: FailFastTrip?
        switch result.outcome {
        case .success:
            failed = false
        case .failure(let error):
            if case .transport(let e) = error, e.kind == .cancelled { return nil }
            if policy.stopOnAuthError, error.isAuthFailure {
                immediate = FailFastTrip(rule: .authError,
                                         detail: "the teacher refused the credentials (\(error.description)); check the API key")
            } else if policy.stopOnAuthError, Self.isQuotaExhausted(error) {
                immediate = FailFastTrip(rule: .quotaExhausted,
                                         detail: "the teacher says the quota or credit is used up (\(error.description))")
            }
            if case .http(429, _) = error, immediate == nil { return nil }
            failed = true
        }
        return state.withLock { s -> FailFastTrip? in
            guard s.trip == nil else { return nil }
            if let immediate {
                s.trip = immediate
                return immediate
            }
            if !failed {
                s.initialFailures = nil
            } else if let n = s.initialFailures {
                s.initialFailures = n + 1
                if let limit = policy.maxInitialFailures, n + 1 >= limit {
                    let trip = FailFastTrip(rule: .initialFailures, detail: "the first \(n + 1) attempts all failed and no answer arrived;"
                                            + " last error: \(result.errorText ?? "unknown")")
                    s.trip = trip
                    return trip
                }
            }
            guard policy.window > 0 else { return nil }
            s.attempts.push(failed)
            guard s.attempts.isFull, Double(s.attempts.trueCount) > policy.maxErrorRate * Double(policy.window) else { return nil }
            let trip = FailFastTrip(rule: .errorRate, detail: "\(s.attempts.trueCount) of the last \(policy.window) attempts failed"
                                    + " (limit \(Int((policy.maxErrorRate * 100).rounded())) %); last error: \(result.errorText ?? "unknown")")
            s.trip = trip
            return trip
        }
    }

    /// Records a stored answer to a request that asked for logprobs. Returns the trip when this tripped the rule.
    public func recordAnswer(missingLogprobs: Bool) -> FailFastTrip? {
        guard let limit = policy.maxMissingLogprobsRate, policy.window > 0 else { return nil }
        return state.withLock { s -> FailFastTrip? in
            guard s.trip == nil else { return nil }
            s.answers.push(missingLogprobs)
            guard s.answers.isFull, Double(s.answers.trueCount) > limit * Double(policy.window) else { return nil }
            let trip = FailFastTrip(rule: .missingLogprobs,
                                    detail: "\(s.answers.trueCount) of the last \(policy.window) answers came without the requested logprobs"
                                        + " (they are stored); does the teacher support logprobs?")
            s.trip = trip
            return trip
        }
    }

    /// Checks how long no endpoint has been available. Returns the trip when this tripped the rule.
    public func checkUnavailable(seconds: Double?, lastError: String?) -> FailFastTrip? {
        guard let limit = policy.maxUnavailableSeconds, let seconds, seconds > limit else { return nil }
        return state.withLock { s -> FailFastTrip? in
            guard s.trip == nil else { return nil }
            let trip = FailFastTrip(rule: .unavailable,
                                    detail: "every teacher endpoint has been failing for \(Int(seconds)) s (limit \(Int(limit)) s); last error: \(lastError ?? "unknown")")
            s.trip = trip
            return trip
        }
    }

    /// A 429 whose message says the account is out of quota or credit (OpenAI `insufficient_quota` and kin).
    static func isQuotaExhausted(_ error: TeacherError) -> Bool {
        guard case .http(429, let message) = error else { return false }
        let m = message.lowercased()
        return m.contains("insufficient_quota") || m.contains("exceeded your current quota") || m.contains("insufficient balance")
            || m.contains("credit balance is too low")
    }
}

/// The last `size` booleans and how many of them are true.
struct SlidingRing: Sendable {
    private var bits: [Bool]
    private var next = 0
    private(set) var count = 0
    private(set) var trueCount = 0

    init(size: Int) { bits = Array(repeating: false, count: max(0, size)) }

    var isFull: Bool { !bits.isEmpty && count == bits.count }

    mutating func push(_ value: Bool) {
        guard !bits.isEmpty else { return }
        if count == bits.count {
            if bits[next] { trueCount -= 1 }
        } else {
            count += 1
        }
        bits[next] = value
        if value { trueCount += 1 }
        next = (next + 1) % bits.count
    }
}
