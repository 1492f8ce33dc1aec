#if canImport(Glibc)
import Glibc
#endif

/// What went wrong with one attempt, as far as the retry decision is concerned.
public enum FailureClass: Sendable, Equatable {
    /// The teacher answered with this HTTP status (not 2xx).
    case http(status: Int)
    /// No answer: the transport failed.
    case transport(TransportError.Kind)
    /// A 2xx answer whose body could not be decoded (HTML, truncated JSON, no choices).
    case malformedBody
    /// A 2xx answer that decodes but breaks the value rules: a non-finite (`NaN`, `Infinity`) or positive
    /// logprob, or a `content`/`text` that is neither a string nor null. Retried once (the teacher may have
    /// had a glitch), then the job fails: the same request is not paid for again and again.
    case invalidAnswer
    /// The request could not be built (e.g. a multi-turn conversation for the completions endpoint).
    case invalidRequest
}

/// The decision for a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    /// Try again after this many seconds.
    case retry(after: Double)
    /// Give up: the job fails.
    case fail
}

/// Exponential backoff with jitter, honouring `Retry-After`.
///
/// Retried: 408, 409, 429, every 5xx, connect/timeout/connection-lost transport errors, malformed bodies and
/// 2xx bodies that do not decode. Invalid answers (``FailureClass/invalidAnswer``) are retried once: the job
/// fails after ``invalidAnswerAttempts`` attempts in a run. Failed at once: any other 4xx (the request itself is wrong), TLS errors,
/// oversized responses, requests that cannot be built.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per job in one run, first attempt included.
    public var maxAttempts: Int
    /// Backoff before the second attempt, in seconds.
    public var baseDelay: Double
    /// Upper bound of any single backoff, in seconds.
    public var maxDelay: Double
    /// Upper bound honoured for a server's `Retry-After`, in seconds.
    public var maxRetryAfter: Double

    /// Creates a policy.
    public init(maxAttempts: Int = 8, baseDelay: Double = 0.5, maxDelay: Double = 60, maxRetryAfter: Double = 300) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Attempts per job in one run for answers that break the value rules (``FailureClass/invalidAnswer``):
    /// the first and one retry.
    public static let invalidAnswerAttempts = 2

    /// True when this failure class is worth another attempt at all.
    public static func isRetryable(_ failure: FailureClass) -> Bool {
        switch failure {
        case .http(let status):
            return status == 408 || status == 409 || status == 429 || (500...599).contains(status)
        case .transport(let kind):
            switch kind {
            case .connect, .timeout, .connectionLost, .other: return true
            case .tls, .responseTooLarge, .cancelled: return false
            }
        case .malformedBody, .invalidAnswer:
            return true
        case .invalidRequest:
            return false
        }
    }

    /// Decides after attempt number `attempt` (1-based) failed.
    /// - Parameters:
    ///   - retryAfter: the server's `Retry-After` in seconds, if it sent one.
    ///   - random: a number in 0..<1 for the jitter (injected so tests are deterministic).
    public func decide(_ failure: FailureClass, attempt: Int, retryAfter: Double? = nil, random: Double) -> RetryDecision {
        guard Self.isRetryable(failure), attempt < maxAttempts else { return .fail }
        if failure == .invalidAnswer, attempt >= Self.invalidAnswerAttempts { return .fail }
        let exponential = min(maxDelay, baseDelay * pow(2.0, Double(max(0, attempt - 1))))
        // "Equal jitter": half fixed, half random, so retries of a burst spread out but never retry at once.
        let backoff = exponential / 2 + exponential / 2 * random
        if let retryAfter, retryAfter >= 0 {
            return .retry(after: min(maxRetryAfter, max(retryAfter, backoff * 0.1)))
        }
        return .retry(after: backoff)
    }

    /// Parses a `Retry-After` value: delta-seconds (fractional accepted) or an HTTP-date (RFC 9110 IMF-fixdate),
    /// relative to `now` (Unix seconds). Returns nil when it is neither.
    public static func parseRetryAfter(_ value: String, now: Double) -> Double? {
        let trimmed = value.trimmingSpaces
        if let seconds = Double(trimmed), seconds.isFinite { return max(0, seconds) }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        return max(0, date - now)
    }
}

/// Parsing of IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    /// Unix seconds of an IMF-fixdate, or nil.
    public static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let m = monthIndex + 1
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
