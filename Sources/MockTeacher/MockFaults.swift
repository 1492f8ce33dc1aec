/// Fault injection for completion requests (`/v1/chat/completions`, `/v1/completions`).
///
/// Each rate is a probability in 0...1. One uniform number is drawn per request from a seeded
/// generator keyed by (``seed``, request fingerprint, how many times that fingerprint has been
/// seen), so a run is reproducible regardless of thread scheduling, and a retried request gets a
/// fresh draw. The kinds are tried in the order of ``MockFaultKind/allCases``; while the rates sum
/// to at most 1 each fires with exactly its rate. ``slowBody`` is drawn separately (a second number), so
/// it combines with the others. `GET` endpoints are never faulted.
public struct MockFaults: Sendable, Equatable {
    /// 429 with a `Retry-After` header of ``retryAfterSeconds``.
    public var rateLimited: Double = 0
    /// 500 with a JSON error body.
    public var serverError: Double = 0
    /// 200 whose `Content-Length` announces the full body, but only half is sent before the connection closes.
    public var truncated: Double = 0
    /// The connection is closed without an answer, with `SO_LINGER` 0 (the peer sees RST).
    public var reset: Double = 0
    /// Nothing is sent for ``stallSeconds``, then the connection is closed.
    public var stall: Double = 0
    /// 200 with `Content-Type: text/html` and an HTML page instead of JSON.
    public var html: Double = 0
    /// 200 with a completion whose bytes are not valid UTF-8 (two bytes of the `id` replaced by `0xFF 0xFE`).
    /// Not counted as served.
    public var invalidUTF8: Double = 0
    /// A valid completion sent as `Content-Type: text/plain`. Counted as served (the answer is usable).
    public var wrongContentType: Double = 0
    /// 200 with `"choices": []`. Not counted as served.
    public var emptyChoices: Double = 0
    /// A valid completion with `"logprobs": null` although logprobs were requested. Counted as served.
    public var missingLogprobs: Double = 0
    /// Drawn on its own (so it combines with every fault that sends a body): the body is sent in
    /// ``slowBodyChunks`` pieces spread over ``slowBodySeconds``. If the client hangs up meanwhile, a completion
    /// is not counted as served.
    public var slowBody: Double = 0
    /// How long a slow body takes from its first to its last piece, in seconds.
    public var slowBodySeconds: Double = 2
    /// Pieces of a slow body (at least 2).
    public var slowBodyChunks: Int = 8
    /// Value of `Retry-After` on 429 answers, in seconds (fractions allowed; written without a
    /// fraction when whole, e.g. `1`, `0`, `0.25`).
    public var retryAfterSeconds: Double = 1
    /// How long a stalled connection stays silent, in seconds.
    public var stallSeconds: Double = 30
    /// When a request's `model` equals this, answer 400 with an OpenAI error (`model_not_found`).
    /// This is deterministic, not drawn.
    public var badRequestForModel: String? = nil
    /// When a request's `model` equals this, answer 429 saying the quota is used up (`insufficient_quota`, as
    /// OpenAI does for an account without credit). Deterministic, not drawn.
    public var quotaExhaustedForModel: String? = nil
    /// When set, every 2xx answer carries `x-ratelimit-remaining-requests: 0` and `x-ratelimit-reset-requests`
    /// of this many seconds (a hosted API whose request budget is used up until the reset).
    public var rateLimitResetSeconds: Double? = nil
    /// Seed of the per-request fault draw.
    public var seed: UInt64 = 0

    /// No faults.
    public static let none = MockFaults()

    /// Creates a fault set; every parameter defaults to "off".
    public init(
        rateLimited: Double = 0, serverError: Double = 0, truncated: Double = 0, reset: Double = 0,
        stall: Double = 0, html: Double = 0, retryAfterSeconds: Double = 1, stallSeconds: Double = 30,
        badRequestForModel: String? = nil, seed: UInt64 = 0
    ) {
        self.rateLimited = rateLimited
        self.serverError = serverError
        self.truncated = truncated
        self.reset = reset
        self.stall = stall
        self.html = html
        self.retryAfterSeconds = retryAfterSeconds
        self.stallSeconds = stallSeconds
        self.badRequestForModel = badRequestForModel
        self.seed = seed
    }

    /// The rate configured for `kind`.
    public func rate(of kind: MockFaultKind) -> Double {
        switch kind {
        case .rateLimited: rateLimited
        case .serverError: serverError
        case .truncated: truncated
        case .reset: reset
        case .stall: stall
        case .html: html
        case .invalidUTF8: invalidUTF8
        case .wrongContentType: wrongContentType
        case .emptyChoices: emptyChoices
        case .missingLogprobs: missingLogprobs
        case .slowBody: slowBody
        case .badRequestForModel: 0
        }
    }

    /// Whether the slow-body modifier fires for a uniform number `u` in [0, 1).
    func slowBodyFires(_ u: Double) -> Bool { u < min(max(slowBody, 0), 1) }

    /// The drawn fault for a uniform number `u` in [0, 1), or nil for a normal answer.
    func pick(_ u: Double) -> MockFaultKind? {
        var threshold = 0.0
        for kind in MockFaultKind.drawn {
            let rate = min(max(rate(of: kind), 0), 1)
            threshold += rate
            if rate > 0 && u < threshold { return kind }
        }
        return nil
    }
}

/// The kinds of injected fault, as counted in ``MockTeacherStats/faultsInjected``.
public enum MockFaultKind: String, Sendable, Hashable, CaseIterable {
    /// 429 + `Retry-After`.
    case rateLimited
    /// 500.
    case serverError
    /// Short body, then close.
    case truncated
    /// RST without an answer.
    case reset
    /// Silence, then close.
    case stall
    /// 200 with an HTML body.
    case html
    /// 200 with invalid UTF-8 in the body.
    case invalidUTF8
    /// A valid completion sent as `text/plain`.
    case wrongContentType
    /// 200 with `choices: []`.
    case emptyChoices
    /// A valid completion without the requested logprobs.
    case missingLogprobs
    /// The body trickles in slowly (a modifier, drawn on its own).
    case slowBody
    /// 400 for ``MockFaults/badRequestForModel``.
    case badRequestForModel

    /// The probabilistic kinds, in draw order.
    static let drawn: [MockFaultKind] = [.rateLimited, .serverError, .truncated, .reset, .stall, .html,
                                         .invalidUTF8, .wrongContentType, .emptyChoices, .missingLogprobs]
}
