/// Fault injection for completion requests (`/v1/chat/completions`, `/v1/completions`).
///
/// Each rate is a probability in 0...1. One uniform number is drawn per request from a seeded
/// generator keyed by (``seed``, request fingerprint, how many times that fingerprint has been
/// seen), so a run is reproducible regardless of thread scheduling, and a retried request gets a
/// fresh draw. The kinds are tried in the order of ``MockFaultKind/allCases``; while the rates sum
/// to at most 1 each fires with exactly its rate. `GET` endpoints are never faulted.
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
    /// Value of `Retry-After` on 429 answers, in seconds (fractions allowed; written without a
    /// fraction when whole, e.g. `1`, `0`, `0.25`).
    public var retryAfterSeconds: Double = 1
    /// How long a stalled connection stays silent, in seconds.
    public var stallSeconds: Double = 30
    /// When a request's `model` equals this, answer 400 with an OpenAI error (`model_not_found`).
    /// This is deterministic, not drawn.
    public var badRequestForModel: String? = nil
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
        case .badRequestForModel: 0
        }
    }

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
    /// 400 for ``MockFaults/badRequestForModel``.
    case badRequestForModel

    /// The probabilistic kinds, in draw order.
    static let drawn: [MockFaultKind] = [.rateLimited, .serverError, .truncated, .reset, .stall, .html]
}
