/// Whose OpenAI-compatible answers the mock imitates (``MockTeacherConfiguration/shape``, `mock-teacher --server`).
public enum MockServerShape: String, Sendable, CaseIterable {
    /// vLLM (the default): `return_tokens_as_token_ids` turns tokens into `token_id:N`; `prompt_logprobs`; echo
    /// offsets counted in characters, the scored token added to the echo alternatives (as llama.cpp's Python
    /// server does).
    case vllm
    /// SGLang's OpenAI routes (`python/sglang/srt/entrypoints/openai/`): `return_token_ids` adds the choice's
    /// `token_ids` (sampled ids) and `prompt_token_ids`; tokens and alternatives stay text; `prompt_logprobs`,
    /// `return_tokens_as_token_ids` and `add_generation_prompt` are ignored like any unknown member (pydantic's
    /// default); echo sends `text_offset` -1 everywhere, `null` first in `token_logprobs` and `top_logprobs`, and
    /// alternatives as SGLang's top-k maps (the scored token only when it is among them).
    case sglang
}
