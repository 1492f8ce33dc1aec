/// Which server software a teacher runs, for the request members that are not OpenAI's: how token ids are asked
/// for and which scoring forms exist (`teachers[].server`, `--server`). Not part of the job key: like the base URL,
/// it says how to ask, not what is asked (the parameters — `token_ids`, `score`, k — are in the key).
///
/// | server | token ids (`token_ids`) | `score: echo` | `score: prompt_logprobs` |
/// |---|---|---|---|
/// | ``vllm`` | `return_tokens_as_token_ids: true`: every token, sampled and alternative, as `token_id:N` | completions | chat, completions |
/// | ``sglang`` | `return_token_ids: true`: the sampled tokens' ids (choice `token_ids`; echo: `prompt_token_ids`); alternatives carry text only | completions | refused: SGLang's OpenAI routes compute no prompt logprobs |
/// | ``openai`` | refused: OpenAI's API has no ids | completions | refused |
///
/// Checked against SGLang's source (`python/sglang/srt/entrypoints/openai/protocol.py`, `serving_chat.py`,
/// `serving_completions.py`, `utils.py`): docs/FORMATS.md, *SGLang*.
public enum TeacherServer: String, Sendable, Hashable, CaseIterable {
    /// vLLM (the default; what harvest sent before this setting existed).
    case vllm
    /// SGLang's OpenAI-compatible routes.
    case sglang
    /// Only members of OpenAI's API (OpenAI, DeepSeek, llama.cpp's servers).
    case openai

    /// What `server` cannot do with these parameters, or nil when it can: token ids from a server that has none,
    /// `prompt_logprobs` from a server without them.
    public func unsupported(_ params: SamplingParams) -> ServerSupportError? {
        if params.tokenIds, self == .openai {
            return ServerSupportError(field: "token_ids", "server \"openai\" has no token ids (OpenAI's API sends token text only); "
                + "token_ids needs server \"vllm\" (return_tokens_as_token_ids) or \"sglang\" (return_token_ids)")
        }
        if params.score == .promptLogprobs, self != .vllm {
            let why = self == .sglang
                ? "SGLang's OpenAI routes compute no prompt logprobs (chat always asks for none; completions only with echo)"
                : "prompt_logprobs is a vLLM extension"
            return ServerSupportError(field: "score", "server \"\(rawValue)\" cannot score with prompt_logprobs: \(why); "
                + "use score echo with endpoint completions")
        }
        return nil
    }
}

/// A teacher setting the server cannot honour (``TeacherServer/unsupported(_:)``).
public struct ServerSupportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sampling key concerned (`token_ids`, `score`).
    public var field: String
    /// What is wrong and what to do.
    public var message: String
    /// Creates an error.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    /// One line for people.
    public var description: String { message }
}
