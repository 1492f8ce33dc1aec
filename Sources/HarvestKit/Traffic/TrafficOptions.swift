import HarvestCore

/// How one teacher's traffic is shaped: limits, replicas, breaker and bucket settings.
public struct TrafficOptions: Sendable, Equatable {
    /// In-flight, request-rate and token-rate limits, and whether the window adapts.
    public var limits: TeacherLimits
    /// Base URLs of the teacher's replicas, in order of preference for ties. Empty: each job's own base URL.
    public var endpoints: [String]
    /// Circuit breaker of each endpoint.
    public var breaker: BreakerPolicy
    /// Bucket capacity in seconds of rate (the burst allowed after an idle spell). Default 1 s.
    public var burstSeconds: Double
    /// Upper bound of a pause ordered by `x-ratelimit-*` headers, seconds. Default 300.
    public var maxPause: Double

    /// Creates options.
    public init(limits: TeacherLimits = TeacherLimits(), endpoints: [String] = [], breaker: BreakerPolicy = BreakerPolicy(),
                burstSeconds: Double = 1, maxPause: Double = 300) {
        self.limits = limits
        self.endpoints = endpoints
        self.breaker = breaker
        self.burstSeconds = burstSeconds
        self.maxPause = maxPause
    }
}

/// Permission to send one request, handed out by ``TrafficController/admit(estimatedTokens:abandon:)`` and
/// returned with ``TrafficController/finish(_:report:)``.
public struct Admission: Sendable, Equatable {
    /// Where to send: a replica's base URL, or nil for the job's own.
    public let baseURL: String?
    /// The endpoint's index in ``TrafficOptions/endpoints``.
    public let endpoint: Int
    /// The tokens charged to the token bucket up front.
    public let estimatedTokens: Int
    /// Monotonic seconds of the admission.
    public let admittedAt: Double
    /// Admission number (1, 2, …), used to count a congestion signal once per round trip.
    public let sequence: UInt64
    /// True for a half-open breaker's trial request.
    public let trial: Bool
}

/// How one admitted request ended, as the traffic layer sees it.
public struct TrafficReport: Sendable, Equatable {
    /// The health verdict for its endpoint.
    public var verdict: EndpointVerdict
    /// A 429 or 503: the teacher asks to slow down.
    public var congestion: Bool
    /// Seconds until the answer, for a success (drives window growth).
    public var successLatency: Double?
    /// Tokens the teacher reported using (prompt + completion), to correct the token bucket.
    public var usedTokens: Int?
    /// Rate-limit headers of the answer.
    public var rateLimit: RateLimitInfo?

    /// Creates a report.
    public init(verdict: EndpointVerdict, congestion: Bool = false, successLatency: Double? = nil, usedTokens: Int? = nil,
                rateLimit: RateLimitInfo? = nil) {
        self.verdict = verdict
        self.congestion = congestion
        self.successLatency = successLatency
        self.usedTokens = usedTokens
        self.rateLimit = rateLimit
    }

    /// The report for a teacher call: 2xx, 4xx and undecodable bodies are answers (`alive`); transport errors
    /// and 5xx are failures; 429 and 503 are congestion; a cancelled call gives no verdict.
    public init(_ result: TeacherCallResult) {
        var report = TrafficReport(verdict: .alive, rateLimit: result.rateLimit)
        switch result.outcome {
        case .success(let answer):
            report.successLatency = result.latencyMs / 1000
            if let usage = answer.response.usage {
                let total = usage.totalTokens ?? ((usage.promptTokens ?? 0) + (usage.completionTokens ?? 0))
                report.usedTokens = total > 0 ? total : nil
            }
        case .failure(let error):
            switch error {
            case .http(let status, _):
                report.congestion = status == 429 || status == 503
                if (500...599).contains(status) { report.verdict = .failed }
            case .transport(let e):
                report.verdict = e.kind == .cancelled ? .unknown : .failed
            case .malformedBody, .invalidAnswer, .invalidRequest:
                break
            }
        }
        self = report
    }
}

/// A snapshot of a ``TrafficController`` for progress lines and metrics.
public struct TrafficSnapshot: Sendable, Equatable {
    /// The in-flight window now.
    public var window: Int
    /// Requests in flight.
    public var inFlight: Int
    /// Requests waiting for admission.
    public var waiting: Int
    /// Requests admitted so far.
    public var admitted: Int
    /// Times the window was halved.
    public var windowDecreases: Int
    /// Seconds admissions stay paused by rate-limit headers (0 when not paused).
    public var pausedFor: Double
    /// Pauses ordered by rate-limit headers so far.
    public var pauses: Int
    /// Breakers opened so far.
    public var breakerOpens: Int
    /// Seconds since no endpoint has been healthy, or nil while one is.
    public var unavailableFor: Double?
    /// Per endpoint: base URL (nil = the job's own), breaker open, in flight, sent, failures.
    public var endpoints: [EndpointPool.Endpoint]
}
