import HarvestJSON

/// Which OpenAI-compatible endpoint a teacher is asked through.
public enum EndpointKind: String, Sendable, Hashable, CaseIterable {
    /// `POST {base}/chat/completions` with `messages`.
    case chat
    /// `POST {base}/completions` with a `prompt` string (legacy logprobs shape).
    case completions

    /// The path appended to the base URL.
    public var path: String { self == .chat ? "/chat/completions" : "/completions" }
}

/// Sampling parameters of one request. Their canonical JSON is part of the job idempotency key.
public struct SamplingParams: Sendable, Hashable {
    /// `max_tokens`.
    public var maxTokens: Int?
    /// `temperature`.
    public var temperature: Double?
    /// `top_p`.
    public var topP: Double?
    /// Base `seed`; sample `i` is sent with `seed + i` so deterministic servers give distinct samples.
    public var seed: Int?
    /// `stop` sequences.
    public var stop: [String]
    /// Token logprobs: nil = off; k ≥ 0 asks for the chosen token plus k alternatives
    /// (chat: `logprobs: true, top_logprobs: k`; completions: `logprobs: k`).
    public var topLogprobs: Int?
    /// Ask for token ids with the logprobs (vLLM's `return_tokens_as_token_ids`: every token, sampled and
    /// alternative, comes back as `token_id:N`). Part of the job key only when set.
    public var tokenIds = false
    /// Scoring mode (``ScoreForm``): ask for the teacher's top-`topLogprobs` at every position of the prompt's
    /// sequence instead of sampling. Part of the job key only when set.
    public var score: ScoreForm?
    /// Extra body fields merged into the request (server-specific: vLLM `top_k`, `min_p`, ...), as a JSON object.
    public var extraBody: [(String, JSONValue)]

    /// Creates parameters.
    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, seed: Int? = nil,
        stop: [String] = [], topLogprobs: Int? = nil, extraBody: [(String, JSONValue)] = []
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.topLogprobs = topLogprobs
        self.extraBody = extraBody
    }

    /// Equality by canonical form.
    public static func == (lhs: SamplingParams, rhs: SamplingParams) -> Bool { lhs.canonicalJSON == rhs.canonicalJSON }
    /// Hash by canonical form.
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalJSON) }

    /// Request members harvest writes itself and an extra body may not set: they decide which prompt is asked,
    /// how many answers come back and how logprobs are shaped, so an override would store answers against the
    /// wrong prompt or in the wrong form.
    public static let ownedBodyKeys: [String] = ["model", "messages", "prompt", "n", "logprobs", "top_logprobs", "echo", "best_of", "prompt_logprobs"]

    /// The members of ``extraBody`` that are ``ownedBodyKeys`` (empty when the extra body is allowed).
    public var ownedExtraKeys: [String] {
        extraBody.map(\.0).filter { Self.ownedBodyKeys.contains($0) }
    }

    /// Canonical JSON: fixed key order, absent values omitted, extra body keys sorted.
    /// Two parameter sets that would send the same request have the same canonical JSON.
    public var canonicalJSON: String {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        if let maxTokens { w.key("max_tokens"); w.int(maxTokens) }
        if let temperature { w.key("temperature"); w.double(temperature) }
        if let topP { w.key("top_p"); w.double(topP) }
        if let seed { w.key("seed"); w.int(seed) }
        if !stop.isEmpty {
            w.key("stop")
            w.beginArray()
            for s in stop { w.string(s) }
            w.endArray()
        }
        if let topLogprobs { w.key("top_logprobs"); w.int(topLogprobs) }
        if tokenIds { w.key("token_ids"); w.bool(true) }
        if let score { w.key("score"); w.string(score.rawValue) }
        if !extraBody.isEmpty {
            w.key("extra")
            w.value(.object(extraBody.sorted { $0.0 < $1.0 }.map { ($0.0, Self.canonical($0.1)) }))
        }
        w.endObject()
        return w.string
    }

    private static func canonical(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let m): return .object(m.sorted { $0.0 < $1.0 }.map { ($0.0, canonical($0.1)) })
        case .array(let a): return .array(a.map(canonical))
        default: return v
        }
    }

    /// Parses ``canonicalJSON`` back.
    public static func fromCanonicalJSON(_ text: String) throws -> SamplingParams {
        let v = try JSONValue.parse(text)
        var p = SamplingParams()
        p.maxTokens = v["max_tokens"]?.intValue
        p.temperature = v["temperature"]?.doubleValue
        p.topP = v["top_p"]?.doubleValue
        p.seed = v["seed"]?.intValue
        p.stop = v["stop"]?.arrayValue?.compactMap(\.stringValue) ?? []
        p.topLogprobs = v["top_logprobs"]?.intValue
        p.tokenIds = v["token_ids"]?.boolValue ?? false
        p.score = v["score"]?.stringValue.flatMap(ScoreForm.init(rawValue:))
        p.extraBody = v["extra"]?.objectValue ?? []
        return p
    }

    /// The seed to send for sample `index` (nil when no base seed).
    public func seed(forSample index: Int) -> Int? { seed.map { $0 + index } }
}
