/// One alternative in a token's top-k list.
public struct TopLogprob: Sendable, Equatable {
    /// Token text exactly as sent (may be empty for a partial UTF-8 token on llama.cpp).
    public var token: String
    /// Log-probability exactly as sent (vLLM's `-9999.0` stands for minus infinity and is kept as is).
    public var logprob: Double
    /// UTF-8 bytes of the token as sent, or nil when absent or `null`.
    public var bytes: [UInt8]?
    /// Token id when the server gives one (vLLM `token_ids`, or a `token_id:N` token).
    public var tokenId: Int?

    /// Creates an alternative.
    public init(token: String, logprob: Double, bytes: [UInt8]? = nil, tokenId: Int? = nil) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.tokenId = tokenId
    }

    /// Bit-exact comparison (so NaN == NaN and -0.0 != 0.0).
    public static func == (a: TopLogprob, b: TopLogprob) -> Bool {
        a.token == b.token && a.logprob.bitPattern == b.logprob.bitPattern && a.bytes == b.bytes && a.tokenId == b.tokenId
    }
}

/// One sampled token with its log-probability and the teacher's top-k alternatives.
public struct TokenLogprob: Sendable, Equatable {
    /// Token text exactly as sent.
    public var token: String
    /// Log-probability exactly as sent.
    public var logprob: Double
    /// UTF-8 bytes as sent, or nil.
    public var bytes: [UInt8]?
    /// Token id when known.
    public var tokenId: Int?
    /// Alternatives in the order sent (may hold k+1 or fewer than k entries on some servers).
    public var top: [TopLogprob]

    /// Creates a token entry.
    public init(token: String, logprob: Double, bytes: [UInt8]? = nil, tokenId: Int? = nil, top: [TopLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.tokenId = tokenId
        self.top = top
    }

    /// Bit-exact comparison.
    public static func == (a: TokenLogprob, b: TokenLogprob) -> Bool {
        a.token == b.token && a.logprob.bitPattern == b.logprob.bitPattern && a.bytes == b.bytes
            && a.tokenId == b.tokenId && a.top == b.top
    }
}

/// Token accounting as reported by the teacher.
public struct Usage: Sendable, Equatable {
    /// `prompt_tokens`.
    public var promptTokens: Int?
    /// `completion_tokens`.
    public var completionTokens: Int?
    /// `total_tokens`.
    public var totalTokens: Int?
    /// `completion_tokens_details.reasoning_tokens`, when given.
    public var reasoningTokens: Int?
    /// What was corrected when the usage was read, for people (e.g. `usage.prompt_tokens -5 is negative:
    /// treated as unknown`); empty when the teacher's counts were taken as sent. See ``Usage/maxTokens``.
    public var corrections: [String] = []
    /// Prompt tokens charged when `promptTokens` is unknown because the teacher's count was rejected (an
    /// estimate from the prompt's length); never stored as the answer's usage.
    public var estimatedPromptTokens: Int?
    /// Completion tokens charged when `completionTokens` is unknown because the teacher's count was rejected.
    public var estimatedCompletionTokens: Int?

    /// The largest token count taken from a teacher's `usage`; larger values are clamped to it and flagged.
    public static let maxTokens = 10_000_000

    /// Creates usage.
    public init(promptTokens: Int? = nil, completionTokens: Int? = nil, totalTokens: Int? = nil, reasoningTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
        self.reasoningTokens = reasoningTokens
    }
}

/// One choice of a completion.
public struct CompletionChoice: Sendable, Equatable {
    /// `index`.
    public var index: Int
    /// Answer text (`message.content` for chat, `text` for completions); empty when null.
    public var content: String
    /// Reasoning text (`reasoning_content` or `reasoning`), when the server sends it.
    public var reasoning: String?
    /// `finish_reason` (`stop`, `length`, ...).
    public var finishReason: String?
    /// Token logprobs of the content, when requested and sent.
    public var logprobs: [TokenLogprob]?
    /// The token logprobs already encoded as an `HLP1` blob (``LogprobCodec``), when the decoder was asked to
    /// transcode them straight from the body (``logprobs`` is then nil). Stored as is.
    public var encodedLogprobs: [UInt8]?
    /// Token entries in ``encodedLogprobs``.
    public var encodedLogprobCount = 0

    /// Token entries with logprobs, from whichever form the choice holds; nil when it has none at all.
    public var logprobTokenCount: Int? {
        if let logprobs { return logprobs.count }
        return encodedLogprobs == nil ? nil : encodedLogprobCount
    }

    /// The logprobs as an `HLP1` blob (encoding ``logprobs`` when they were decoded), or nil when there are none.
    public var logprobsBlob: [UInt8]? {
        encodedLogprobs ?? logprobs.map(LogprobCodec.encode)
    }

    /// Creates a choice.
    public init(index: Int, content: String, reasoning: String? = nil, finishReason: String? = nil, logprobs: [TokenLogprob]? = nil) {
        self.index = index
        self.content = content
        self.reasoning = reasoning
        self.finishReason = finishReason
        self.logprobs = logprobs
    }
}

/// A decoded teacher response.
public struct TeacherResponse: Sendable, Equatable {
    /// The response `id`.
    public var id: String?
    /// The `model` the server reports.
    public var model: String?
    /// `created` (Unix seconds).
    public var created: Int?
    /// `system_fingerprint`.
    public var systemFingerprint: String?
    /// The choices in the order sent.
    public var choices: [CompletionChoice]
    /// Token accounting.
    public var usage: Usage?

    /// Creates a response.
    public init(id: String? = nil, model: String? = nil, created: Int? = nil, systemFingerprint: String? = nil,
                choices: [CompletionChoice] = [], usage: Usage? = nil) {
        self.id = id
        self.model = model
        self.created = created
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
    }
}
