/// How hard one teacher may be driven. Enforced by the traffic layer (admission before each request);
/// read from the `limits` of a `[[teacher]]` in the daemon config and from `harvest sweep` flags.
public struct TeacherLimits: Sendable, Equatable {
    /// Requests in flight at most (the ceiling of the adaptive window).
    public var maxInFlight: Int
    /// Requests per minute (nil = unlimited).
    public var requestsPerMinute: Double?
    /// Tokens per minute, input plus output (nil = unlimited). Estimated before sending, corrected from `usage`.
    public var tokensPerMinute: Double?
    /// Requests per second (nil = unlimited).
    public var requestsPerSecond: Double?
    /// When true, the in-flight window adapts (AIMD on 429/503, growth while latency stays flat); when false
    /// it is pinned at `maxInFlight` (self-hosted servers).
    public var adaptive: Bool

    /// Creates limits.
    public init(maxInFlight: Int = 64, requestsPerMinute: Double? = nil, tokensPerMinute: Double? = nil,
                requestsPerSecond: Double? = nil, adaptive: Bool = false) {
        self.maxInFlight = maxInFlight
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.requestsPerSecond = requestsPerSecond
        self.adaptive = adaptive
    }
}

/// What a teacher costs, in the currency of the user's choice, per million tokens.
public struct TeacherPrices: Sendable, Equatable {
    /// Price per 1M prompt (input) tokens.
    public var inputPerMillion: Double
    /// Price per 1M completion (output) tokens.
    public var outputPerMillion: Double

    /// Creates prices.
    public init(inputPerMillion: Double = 0, outputPerMillion: Double = 0) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    /// The cost of one answer from its usage.
    public func cost(promptTokens: Int, completionTokens: Int) -> Double {
        (Double(promptTokens) * inputPerMillion + Double(completionTokens) * outputPerMillion) / 1_000_000
    }
}
