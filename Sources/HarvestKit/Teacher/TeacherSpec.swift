import HarvestCore

/// Everything harvest needs to know about one teacher: identity, where it is, what to ask, how hard it may be
/// driven, when to give up, and what it costs. One `teachers[]` entry of the config is one spec; `harvest sweep
/// SET --run` builds one from its flags (over a configured teacher when `--teacher-name` names one).
/// ``TeacherPipeline`` turns a spec into transport, client, traffic controller and runner.
public struct TeacherSpec: Sendable, Equatable {
    /// Identity (part of every job key): changing `base_url` keeps the name, so nothing is paid for twice.
    public var name: String
    /// One or more base URLs (replicas of the same model), each ending in `/v1`. Requests go to the least-loaded
    /// replica whose breaker is closed.
    public var baseURLs: [String]
    /// `model` sent with each request.
    public var model: String
    /// Chat or legacy completions.
    public var endpoint: EndpointKind
    /// The server software, for its own request members (token ids, scoring forms); not part of the identity.
    public var server: TeacherServer = .vllm
    /// Name of the environment variable holding the API key (the key itself is never in the config).
    public var apiKeyEnv: String?
    /// In-flight, rate and adaptivity limits.
    public var limits: TeacherLimits
    /// Prices per million tokens; nil when the teacher is free (self-hosted) or the prices are unknown.
    public var prices: TeacherPrices?
    /// Sampling defaults for sweeps of this teacher (a sweep's own `sampling` overrides them key by key).
    public var sampling: SamplingParams
    /// Attempts per job and run, first attempt included.
    public var maxAttempts: Int
    /// Connect timeout in seconds.
    public var connectTimeout: Double
    /// Total timeout per request in seconds.
    public var totalTimeout: Double
    /// Seconds until the first response byte (0 = off).
    public var firstByteTimeout: Double
    /// Seconds without data once a response has started before the transfer is cut and retried (0 = off).
    public var idleTimeout: Double
    /// Largest accepted response body in bytes (a larger one fails the attempt).
    public var maxResponseBytes: Int
    /// Circuit breaker of each replica.
    public var breaker: BreakerPolicy
    /// When runs of this teacher stop (foreground) or pause (daemon) instead of spending attempts.
    public var failFast: FailFastPolicy
    /// Daemon only: seconds a teacher paused by a fail-fast rule waits before it tries again (SIGHUP resumes it at once).
    public var failFastCooldown: Double
    /// Keep each raw response body in the database.
    public var keepRaw: Bool
    /// Batch mode (`via: batch` sweeps, `--via batch`): file limits, price factor, polling, rounds.
    public var batch: BatchSettings

    /// Creates a teacher with the documented defaults.
    public init(name: String, baseURLs: [String], model: String, endpoint: EndpointKind = .chat, apiKeyEnv: String? = nil,
                limits: TeacherLimits = TeacherLimits(), prices: TeacherPrices? = nil, sampling: SamplingParams = SamplingParams(),
                maxAttempts: Int = 8, connectTimeout: Double = 10, totalTimeout: Double = 600, keepRaw: Bool = false) {
        self.name = name
        self.baseURLs = baseURLs
        self.model = model
        self.endpoint = endpoint
        self.apiKeyEnv = apiKeyEnv
        self.limits = limits
        self.prices = prices
        self.sampling = sampling
        self.maxAttempts = maxAttempts
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.firstByteTimeout = 0
        self.idleTimeout = 30
        self.maxResponseBytes = 64 << 20
        self.breaker = BreakerPolicy()
        self.failFast = FailFastPolicy()
        self.failFastCooldown = 900
        self.keepRaw = keepRaw
        self.batch = BatchSettings()
    }

    /// The identity of a teacher given without a name: ``TeacherIdentity/defaultName(model:kind:)`` (model plus
    /// endpoint kind, never the URL, so a new port or replica pays for nothing again). The one place this is derived.
    public static func defaultName(baseURLs: [String], model: String, endpoint: EndpointKind) -> String {
        TeacherIdentity.defaultName(model: model, kind: endpoint)
    }

    /// The endpoint stored with new jobs (the first base URL; the name is the identity).
    public var endpointForJobs: TeacherEndpoint {
        TeacherEndpoint(baseURL: baseURLs[0], model: model, kind: endpoint, apiKeyEnv: apiKeyEnv, name: name)
    }

    /// Per-request timeouts.
    public var timeouts: HTTPTimeouts {
        HTTPTimeouts(connect: connectTimeout, total: totalTimeout, firstByte: firstByteTimeout, idle: idleTimeout)
    }

    /// How the traffic layer shapes this teacher's requests: limits, replicas, breaker.
    public var traffic: TrafficOptions {
        TrafficOptions(limits: limits, endpoints: baseURLs, breaker: breaker)
    }

    /// True when `other` differs only in what ``TrafficController/update(options:)`` applies live (limits,
    /// replicas, breaker) or in what the daemon reads per run (prices, sampling defaults, fail-fast cool-down, batch settings).
    public func differsOnlyLive(from other: TeacherSpec) -> Bool {
        var a = self
        a.limits = other.limits
        a.baseURLs = other.baseURLs
        a.breaker = other.breaker
        a.prices = other.prices
        a.sampling = other.sampling
        a.failFastCooldown = other.failFastCooldown
        a.batch = other.batch
        return a == other
    }
}
