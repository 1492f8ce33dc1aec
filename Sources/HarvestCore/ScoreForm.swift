/// Scoring mode: instead of sampling an answer, the teacher is asked for its top-k distribution at every position
/// of a fixed sequence (the prompt's conversation, which ends in the assistant turn to score). Part of the job key
/// (``SamplingParams/score``), with `k` (``SamplingParams/topLogprobs``) and the exact sequence (the prompt).
public enum ScoreForm: String, Sendable, Hashable, CaseIterable {
    /// Legacy completions `echo: true, logprobs: k, max_tokens: 1` (llama.cpp's Python server, vLLM, the old
    /// OpenAI API): the echoed prompt's `tokens`, `token_logprobs` and `top_logprobs` maps, token strings. Needs
    /// the completions endpoint; the sequence is the conversation's completions prompt followed by the answer.
    case echo
    /// vLLM `prompt_logprobs: k` (chat or completions, `max_tokens: 1`): per prompt token a map token id →
    /// `{logprob, rank, decoded_token}`, `null` for the first token. Chat requests send
    /// `add_generation_prompt: false`, so the sequence ends with the scored assistant turn.
    case promptLogprobs = "prompt_logprobs"

    /// The spelling of flags and config values (`echo`, `prompt-logprobs`; `prompt_logprobs` is accepted too).
    public var flagName: String { self == .echo ? "echo" : "prompt-logprobs" }

    /// Parses a flag or config value.
    public init?(flag: String) {
        switch flag {
        case "echo": self = .echo
        case "prompt-logprobs", "prompt_logprobs": self = .promptLogprobs
        default: return nil
        }
    }
}

/// Why sampling parameters cannot score (``SamplingParams/prepareScoring(endpoint:)``).
public struct ScoringSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and what to do.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// One line for people.
    public var description: String { message }
}

extension SamplingParams {
    /// For scoring parameters (``score`` set): checks that `k` (``topLogprobs``) is given and that echo goes to a
    /// completions endpoint, and pins ``maxTokens`` to 1 (what is sent, and what the token estimate counts).
    /// Parameters without ``score`` are left alone.
    public mutating func prepareScoring(endpoint: EndpointKind) throws(ScoringSetupError) {
        guard let score else { return }
        guard topLogprobs != nil else {
            throw ScoringSetupError("scoring needs k, the alternatives per position: give --logprobs K (sampling.logprobs)")
        }
        if score == .echo, endpoint != .completions {
            throw ScoringSetupError("scoring with echo needs the completions endpoint (--endpoint completions); for a chat endpoint use prompt-logprobs (vLLM)")
        }
        maxTokens = 1
    }
}
