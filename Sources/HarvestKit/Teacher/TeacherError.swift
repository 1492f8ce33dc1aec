import HarvestCore

/// Why a call to the teacher produced no usable answer.
public enum TeacherError: Error, Sendable, CustomStringConvertible {
    /// The teacher answered with a non-2xx status. `message` is the server's own error text when it sent one.
    case http(status: Int, message: String)
    /// No answer arrived (connect, timeout, reset, size cap, TLS).
    case transport(TransportError)
    /// A 2xx answer that is not the expected JSON; `detail` holds the decoder's reason and the body's first bytes.
    case malformedBody(detail: String)
    /// The request could not be built for this endpoint.
    case invalidRequest(String)
    /// A 2xx answer that decodes but breaks the value rules (non-finite or positive logprob, `content` of the
    /// wrong type); retried once, then the job fails (``RetryPolicy/invalidAnswerAttempts``).
    case invalidAnswer(detail: String)

    /// The class used by ``RetryPolicy``.
    public var failureClass: FailureClass {
        switch self {
        case .http(let status, _): .http(status: status)
        case .transport(let e): .transport(e.kind)
        case .malformedBody: .malformedBody
        case .invalidRequest: .invalidRequest
        case .invalidAnswer: .invalidAnswer
        }
    }

    /// True for 401 and 403: every further request would fail the same way.
    public var isAuthFailure: Bool {
        if case .http(let status, _) = self { return status == 401 || status == 403 }
        return false
    }

    /// One line for people.
    public var description: String {
        switch self {
        case .http(let status, let message): "teacher answered HTTP \(status): \(message)"
        case .transport(let e): e.description
        case .malformedBody(let detail): "teacher answer is not a valid completion: \(detail)"
        case .invalidRequest(let reason): "cannot build the request: \(reason)"
        case .invalidAnswer(let detail): "teacher answer breaks the value rules (retried once, then failed): \(detail)"
        }
    }
}

/// The result of one call: timing, status, and the decoded answer or the error.
public struct TeacherCallResult: Sendable {
    /// Unix time the request was handed to the transport.
    public var startedAt: Double
    /// Milliseconds until the answer (or error).
    public var latencyMs: Double
    /// HTTP status when an answer arrived.
    public var httpStatus: Int?
    /// `Retry-After` in seconds when the server sent one.
    public var retryAfter: Double?
    /// The decoded answer (with the raw body when kept) or the error.
    public var outcome: Result<TeacherAnswer, TeacherError>
    /// Rate-limit headers of the answer (`x-ratelimit-*`, `Retry-After`), when the teacher sent any.
    public var rateLimit: RateLimitInfo?
    /// Monotonic seconds (``MonotonicTrafficClock``) when the request was handed to the transport; 0 if unknown.
    public var sentAt: Double = 0
    /// Monotonic seconds when the transport returned the response or the error; 0 if unknown.
    public var receivedAt: Double = 0

    /// Creates a result.
    public init(startedAt: Double, latencyMs: Double, httpStatus: Int?, retryAfter: Double?, outcome: Result<TeacherAnswer, TeacherError>,
                rateLimit: RateLimitInfo? = nil) {
        self.startedAt = startedAt
        self.latencyMs = latencyMs
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.outcome = outcome
        self.rateLimit = rateLimit
    }

    /// The error for people, nil on success.
    public var errorText: String? {
        if case .failure(let e) = outcome { return e.description }
        return nil
    }
}

/// A decoded teacher answer plus, when asked for, the raw body.
public struct TeacherAnswer: Sendable {
    /// The decoded response (at least one choice).
    public var response: TeacherResponse
    /// The raw body, kept only with `keepRaw`.
    public var rawBody: [UInt8]?

    /// Creates an answer.
    public init(response: TeacherResponse, rawBody: [UInt8]?) {
        self.response = response
        self.rawBody = rawBody
    }
}

/// The teacher seam: one job in, one call result out. ``TeacherClient`` is the production conformer.
public protocol TeacherCalling: Sendable {
    /// Sends the job's request once and reports what happened. Never throws: failures are results.
    func call(_ job: Job) async -> TeacherCallResult
}
