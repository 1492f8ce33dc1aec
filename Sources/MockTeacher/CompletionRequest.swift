import HarvestJSON

/// The fields of a `/v1/chat/completions` or `/v1/completions` body that the mock honours.
struct CompletionRequest {
    /// Which endpoint the body was sent to.
    enum Endpoint { case chat, legacy }

    /// An invalid request: answered 400 with an OpenAI `invalid_request_error`.
    struct Invalid: Error {
        var message: String
        var param: String?
    }

    var endpoint: Endpoint
    /// Whose shapes the answer takes.
    var shape: MockServerShape = .vllm
    /// The request's `model`, if given.
    var model: String?
    /// `max_tokens` (or `max_completion_tokens`), default 16.
    var maxTokens = 16
    /// `temperature`, default 1.
    var temperature = 1.0
    /// `n`, default 1.
    var choices = 1
    /// `stop` strings as UTF-8.
    var stops: [[UInt8]] = []
    /// Whether logprobs were requested.
    var logprobs = false
    /// Alternatives per position (`top_logprobs` for chat, `logprobs: k` for legacy).
    var topLogprobs = 0
    /// vLLM's `return_tokens_as_token_ids`: tokens are sent as `token_id:N` (N = the mock's vocabulary index).
    var tokenIds = false
    /// SGLang's `return_token_ids`: the choice gets `token_ids` (and `prompt_token_ids`), the tokens stay text.
    var returnTokenIds = false
    /// The `mock_reasoning` extension: add `reasoning_content` to chat messages.
    var mockReasoning = false
    /// Whitespace-separated words in the prompt or the messages' text.
    var promptWords = 0
    /// Legacy `echo`: the prompt's tokens come back with the answer (scored when `logprobs` is set).
    var echo = false
    /// vLLM `prompt_logprobs: k`: per prompt token the top-k (nil: not asked).
    var promptLogprobs: Int?
    /// vLLM chat `add_generation_prompt` (default true): the rendered chat ends with an open assistant turn.
    var addGenerationPrompt = true
    /// The text a scoring request scores: the legacy prompt, or the chat messages rendered ChatML-style
    /// (``ScoredSequence/render(_:addGenerationPrompt:)``).
    var sequenceText = ""
    /// Whether the request asks for scores of its own sequence (echo with logprobs, or prompt_logprobs).
    var isScoring: Bool { (echo && logprobs) || promptLogprobs != nil }

    static let maxTopLogprobs = 20
    static let maxChoices = 128
    static let maxTokensLimit = 1 << 20

    /// Validates `json` as a body for `endpoint`, read as the server `shape` reads it (SGLang ignores vLLM's members).
    init(_ json: JSONValue, endpoint: Endpoint, shape: MockServerShape = .vllm) throws(Invalid) {
        self.endpoint = endpoint
        self.shape = shape
        guard case .object = json else { throw Invalid(message: "The request body must be a JSON object.") }
        if let value = json["model"], !value.isNull {
            guard let model = value.stringValue else { throw Invalid(message: "'model' must be a string.", param: "model") }
            self.model = model
        }
        if json["stream"]?.boolValue == true {
            throw Invalid(message: "The mock teacher does not support streaming.", param: "stream")
        }
        if let value = Self.present(json, "max_tokens") ?? Self.present(json, "max_completion_tokens") {
            guard let n = value.intValue, n >= 1, n <= Self.maxTokensLimit else {
                throw Invalid(message: "'max_tokens' must be an integer in 1...\(Self.maxTokensLimit).", param: "max_tokens")
            }
            maxTokens = n
        }
        if let value = Self.present(json, "temperature") {
            guard let t = value.doubleValue, t >= 0, t <= 2 else {
                throw Invalid(message: "'temperature' must be a number in 0...2.", param: "temperature")
            }
            temperature = t
        }
        if let value = Self.present(json, "n") {
            guard let n = value.intValue, n >= 1, n <= Self.maxChoices else {
                throw Invalid(message: "'n' must be an integer in 1...\(Self.maxChoices).", param: "n")
            }
            choices = n
        }
        if let value = Self.present(json, "stop") {
            if let s = value.stringValue {
                stops = [Array(s.utf8)]
            } else if let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
                stops = items.map { Array($0.stringValue!.utf8) }
            } else {
                throw Invalid(message: "'stop' must be a string or an array of strings.", param: "stop")
            }
        }
        mockReasoning = json["mock_reasoning"]?.boolValue == true
        switch shape {
        case .vllm: try parseVLLMMembers(json)
        case .sglang:
            if let value = Self.present(json, "return_token_ids") {
                guard let flag = value.boolValue else { throw Invalid(message: "'return_token_ids' must be a boolean.", param: "return_token_ids") }
                returnTokenIds = flag
            }
        }
        switch endpoint {
        case .chat: try parseChat(json)
        case .legacy: try parseLegacy(json)
        }
    }

    /// vLLM's own members: `return_tokens_as_token_ids`, `prompt_logprobs`, `add_generation_prompt`.
    private mutating func parseVLLMMembers(_ json: JSONValue) throws(Invalid) {
        if let value = Self.present(json, "return_tokens_as_token_ids") {
            guard let flag = value.boolValue else {
                throw Invalid(message: "'return_tokens_as_token_ids' must be a boolean.", param: "return_tokens_as_token_ids")
            }
            tokenIds = flag
        }
        if let value = Self.present(json, "prompt_logprobs") {
            guard let k = value.intValue, k >= 0, k <= Self.maxTopLogprobs else {
                throw Invalid(message: "'prompt_logprobs' must be an integer in 0...\(Self.maxTopLogprobs).", param: "prompt_logprobs")
            }
            promptLogprobs = k
        }
        if let value = Self.present(json, "add_generation_prompt") {
            guard let flag = value.boolValue else {
                throw Invalid(message: "'add_generation_prompt' must be a boolean.", param: "add_generation_prompt")
            }
            addGenerationPrompt = flag
        }
    }

    private mutating func parseChat(_ json: JSONValue) throws(Invalid) {
        guard let messages = json["messages"]?.arrayValue, !messages.isEmpty else {
            throw Invalid(message: "'messages' must be a non-empty array.", param: "messages")
        }
        for message in messages {
            guard case .object = message, message["role"]?.stringValue != nil else {
                throw Invalid(message: "Each message needs a string 'role'.", param: "messages")
            }
            switch message["content"] {
            case .string(let text): promptWords += Self.wordCount(text)
            case .array(let parts):
                for part in parts { if let text = part["text"]?.stringValue { promptWords += Self.wordCount(text) } }
            default: break
            }
        }
        sequenceText = ScoredSequence.render(messages, addGenerationPrompt: addGenerationPrompt)
        if let value = Self.present(json, "logprobs") {
            guard let flag = value.boolValue else { throw Invalid(message: "'logprobs' must be a boolean.", param: "logprobs") }
            logprobs = flag
        }
        if let value = Self.present(json, "top_logprobs") {
            guard let k = value.intValue, k >= 0, k <= Self.maxTopLogprobs else {
                throw Invalid(message: "'top_logprobs' must be an integer in 0...\(Self.maxTopLogprobs).", param: "top_logprobs")
            }
            guard logprobs || k == 0 else {
                throw Invalid(message: "'top_logprobs' requires 'logprobs' to be true.", param: "top_logprobs")
            }
            topLogprobs = k
        }
    }

    private mutating func parseLegacy(_ json: JSONValue) throws(Invalid) {
        switch json["prompt"] {
        case .string(let text):
            promptWords = Self.wordCount(text)
            sequenceText = text
        case .array(let items) where items.count == 1 && items[0].stringValue != nil:
            promptWords = Self.wordCount(items[0].stringValue!)
            sequenceText = items[0].stringValue!
        default:
            throw Invalid(message: "'prompt' must be a string (or an array of one string).", param: "prompt")
        }
        if let value = Self.present(json, "logprobs") {
            guard let k = value.intValue, k >= 0, k <= Self.maxTopLogprobs else {
                throw Invalid(message: "'logprobs' must be an integer in 0...\(Self.maxTopLogprobs).", param: "logprobs")
            }
            logprobs = true
            topLogprobs = k
        }
        if let value = Self.present(json, "echo") {
            guard let flag = value.boolValue else { throw Invalid(message: "'echo' must be a boolean.", param: "echo") }
            echo = flag
        }
    }

    /// The member `key`, unless absent or null.
    private static func present(_ json: JSONValue, _ key: String) -> JSONValue? {
        guard let value = json[key], !value.isNull else { return nil }
        return value
    }

    /// Counts runs of non-whitespace characters.
    static func wordCount(_ text: String) -> Int {
        var words = 0
        var inWord = false
        for byte in text.utf8 {
            let space = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
            if !space && !inWord { words += 1 }
            inWord = !space
        }
        return words
    }
}
