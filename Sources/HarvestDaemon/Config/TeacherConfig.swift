import HarvestCore
import HarvestKit

/// One configured teacher: where it is, its identity in job keys, how hard it may be driven and what it costs.
public struct TeacherConfig: Sendable, Equatable {
    /// Identity (part of every job key): changing `base_url` keeps the name, so nothing is paid for twice.
    public var name: String
    /// One or more base URLs (replicas of the same model), each ending in `/v1`. Requests are spread round-robin.
    public var baseURLs: [String]
    /// `model` sent with each request.
    public var model: String
    /// Chat or legacy completions.
    public var endpoint: EndpointKind
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
    /// Keep each raw response body in the database.
    public var keepRaw: Bool

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
        self.keepRaw = keepRaw
    }

    /// The endpoint stored with new jobs (the first base URL; the name is the identity).
    public var endpointForJobs: TeacherEndpoint {
        TeacherEndpoint(baseURL: baseURLs[0], model: model, kind: endpoint, apiKeyEnv: apiKeyEnv, name: name)
    }

    static let keys = ["name", "base_url", "base_urls", "model", "endpoint", "api_key_env", "limits", "prices", "sampling",
                       "max_attempts", "connect_timeout_s", "total_timeout_s", "keep_raw"]

    static func parse(_ r: ConfigReader) throws(DaemonConfigError) -> TeacherConfig {
        let name = try r.requiredString("name", "every teacher needs a name (its identity in job keys)")
        var urls: [String] = []
        if let one = try r.string("base_url") { urls.append(one) }
        if let many = try r.array("base_urls") {
            for (i, v) in many.enumerated() {
                guard let s = v.stringValue else { throw r.bad("base_urls", "element \(i) is \(v.typeName), expected a URL string") }
                urls.append(s)
            }
        }
        urls = urls.map { url in
            var u = url
            while u.hasSuffix("/") { u.removeLast() }
            return u
        }
        guard !urls.isEmpty else { throw r.bad("base_url", "missing: give base_url (or base_urls for replicas), e.g. \"http://127.0.0.1:8000/v1\"") }
        for url in urls where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw r.bad(r.value("base_url") != nil ? "base_url" : "base_urls", "\"\(url)\" is not an http:// or https:// URL")
        }
        let model = try r.requiredString("model", "the model name sent to the teacher")
        var endpoint = EndpointKind.chat
        if let e = try r.string("endpoint") {
            guard let kind = EndpointKind(rawValue: e) else { throw r.bad("endpoint", "must be \"chat\" or \"completions\", found \"\(e)\"") }
            endpoint = kind
        }
        var teacher = TeacherConfig(name: name, baseURLs: urls, model: model, endpoint: endpoint, apiKeyEnv: try r.string("api_key_env"))
        if let l = try r.object("limits", keys: ["max_in_flight", "rpm", "tpm", "rps", "adaptive"]) {
            if let v = try l.int("max_in_flight", min: 1) {
                guard v <= 10_000 else { throw l.bad("max_in_flight", "must be at most 10000, found \(v)") }
                teacher.limits.maxInFlight = v
            }
            teacher.limits.requestsPerMinute = try l.positive("rpm")
            teacher.limits.tokensPerMinute = try l.positive("tpm")
            teacher.limits.requestsPerSecond = try l.positive("rps")
            teacher.limits.adaptive = try l.bool("adaptive") ?? false
        }
        if let p = try r.object("prices", keys: ["input_per_million", "output_per_million"]) {
            teacher.prices = TeacherPrices(inputPerMillion: try p.number("input_per_million", min: 0) ?? 0,
                                           outputPerMillion: try p.number("output_per_million", min: 0) ?? 0)
        }
        if let s = try r.object("sampling", keys: ConfigReader.samplingKeys) { try s.applySampling(to: &teacher.sampling) }
        teacher.maxAttempts = try r.int("max_attempts", min: 1) ?? teacher.maxAttempts
        teacher.connectTimeout = try r.positive("connect_timeout_s") ?? teacher.connectTimeout
        teacher.totalTimeout = try r.positive("total_timeout_s") ?? teacher.totalTimeout
        teacher.keepRaw = try r.bool("keep_raw") ?? false
        return teacher
    }
}
