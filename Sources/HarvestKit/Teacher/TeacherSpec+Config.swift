import HarvestCore

extension TeacherSpec {
    /// The keys of one `teachers[]` entry. Each traffic key has the name of the `harvest sweep` flag that
    /// overrides it (`idle_timeout` ↔ `--idle-timeout`).
    public static let configKeys = ["name", "base_url", "base_urls", "model", "endpoint", "server", "api_key_env", "limits", "prices", "sampling",
                                    "max_attempts", "connect_timeout", "total_timeout", "first_byte_timeout", "idle_timeout",
                                    "max_response_mb", "breaker_failures", "breaker_cooldown", "fail_fast", "fail_fast_window",
                                    "fail_fast_error_rate", "fail_fast_unavailable", "fail_fast_cooldown", "keep_raw"] + batchKeys

    /// The batch-mode keys of a `teachers[]` entry, each named like its `harvest sweep --run --via batch` flag.
    public static let batchKeys = ["batch_max_requests", "batch_max_mb", "batch_price_factor", "batch_poll_seconds", "batch_rounds",
                                   "batch_wire"]

    /// The keys of `limits`.
    public static let limitKeys = ["max_in_flight", "rpm", "tpm", "rps", "adaptive"]

    /// Reads one `teachers[]` entry. Errors name the file and the field path.
    public static func parse(_ r: ConfigReader) throws(ConfigFileError) -> TeacherSpec {
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
        if Set(urls).count != urls.count { throw r.bad("base_urls", "lists the same URL twice") }
        let model = try r.requiredString("model", "the model name sent to the teacher")
        var endpoint = EndpointKind.chat
        if let e = try r.string("endpoint") {
            guard let kind = EndpointKind(rawValue: e) else { throw r.bad("endpoint", "must be \"chat\" or \"completions\", found \"\(e)\"") }
            endpoint = kind
        }
        var t = TeacherSpec(name: name, baseURLs: urls, model: model, endpoint: endpoint, apiKeyEnv: try r.string("api_key_env"))
        if let text = try r.string("server") {
            guard let server = TeacherServer(rawValue: text) else {
                throw r.bad("server", "must be " + TeacherServer.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + ", found \"\(text)\"")
            }
            t.server = server
        }
        if let l = try r.object("limits", keys: limitKeys) {
            if let v = try l.int("max_in_flight", min: 1) {
                guard v <= 10_000 else { throw l.bad("max_in_flight", "must be at most 10000, found \(v)") }
                t.limits.maxInFlight = v
            }
            t.limits.requestsPerMinute = try l.positive("rpm")
            t.limits.tokensPerMinute = try l.positive("tpm")
            t.limits.requestsPerSecond = try l.positive("rps")
            t.limits.adaptive = try l.bool("adaptive") ?? false
        }
        if let p = try r.object("prices", keys: ["input_per_million", "output_per_million"]) {
            t.prices = TeacherPrices(inputPerMillion: try p.number("input_per_million", min: 0) ?? 0,
                                     outputPerMillion: try p.number("output_per_million", min: 0) ?? 0)
        }
        if let s = try r.object("sampling", keys: ConfigReader.samplingKeys) {
            try s.applySampling(to: &t.sampling)
            do {
                try t.sampling.prepareScoring(endpoint: t.endpoint)
            } catch {
                throw s.bad("score", error.message)
            }
            if let e = t.server.unsupported(t.sampling) { throw s.bad(e.field, e.message) }
        }
        t.maxAttempts = try r.int("max_attempts", min: 1) ?? t.maxAttempts
        t.connectTimeout = try r.positive("connect_timeout") ?? t.connectTimeout
        t.totalTimeout = try r.positive("total_timeout") ?? t.totalTimeout
        t.firstByteTimeout = try r.number("first_byte_timeout", min: 0) ?? t.firstByteTimeout
        t.idleTimeout = try r.number("idle_timeout", min: 0) ?? t.idleTimeout
        if let mb = try r.int("max_response_mb", min: 1) {
            guard mb <= 4096 else { throw r.bad("max_response_mb", "must be at most 4096, found \(mb)") }
            t.maxResponseBytes = mb << 20
        }
        t.breaker = BreakerPolicy(failureThreshold: try r.int("breaker_failures", min: 1) ?? t.breaker.failureThreshold,
                                  cooldown: try r.number("breaker_cooldown", min: 0) ?? t.breaker.cooldown)
        if try r.bool("fail_fast") == false {
            t.failFast = .off
        } else {
            if let w = try r.int("fail_fast_window", min: 0) { t.failFast.window = w }
            if let rate = try r.number("fail_fast_error_rate", min: 0) {
                guard rate <= 1 else { throw r.bad("fail_fast_error_rate", "must be between 0 and 1, found \(rate)") }
                t.failFast.maxErrorRate = rate
            }
            if let s = try r.number("fail_fast_unavailable", min: 0) { t.failFast.maxUnavailableSeconds = s }
        }
        t.failFastCooldown = try r.positive("fail_fast_cooldown") ?? t.failFastCooldown
        t.keepRaw = try r.bool("keep_raw") ?? false
        t.batch = try parseBatch(r)
        return t
    }

    /// Reads the `batch_*` keys of a `teachers[]` entry over the defaults (OpenAI's limits and price).
    static func parseBatch(_ r: ConfigReader) throws(ConfigFileError) -> BatchSettings {
        var b = BatchSettings()
        b.maxRequestsPerFile = try r.int("batch_max_requests", min: 1) ?? b.maxRequestsPerFile
        if let mb = try r.int("batch_max_mb", min: 1) {
            guard mb <= 100_000 else { throw r.bad("batch_max_mb", "must be at most 100000 (MB per input file), found \(mb)") }
            b.maxBytesPerFile = mb * 1_000_000
        }
        b.priceFactor = try r.number("batch_price_factor", min: 0) ?? b.priceFactor
        if let poll = try r.positive("batch_poll_seconds") {
            b.pollSeconds = poll
            b.maxPollSeconds = max(b.maxPollSeconds, poll)
        }
        b.maxRounds = try r.int("batch_rounds", min: 1) ?? b.maxRounds
        if let text = try r.string("batch_wire") {
            guard let wire = BatchWire(rawValue: text) else {
                throw r.bad("batch_wire", "must be \"openai\" (/v1/batches) or \"anthropic\" (Message Batches), found \"\(text)\"")
            }
            b.wire = wire
        }
        return b
    }
}
