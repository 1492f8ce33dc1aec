import HarvestCore

/// A small fixed set of stored responses covering the shapes the formats must handle.
enum Fixtures {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen2.5-7B-Instruct")

    /// Single turn, no system, no reasoning, no logprobs.
    static let single = StoredResponse(
        id: 1, jobId: 11, promptId: 101, promptHash: "aa01", externalId: "q1", metadataJSON: #"{"source":"gsm8k","level":2}"#,
        messages: [ChatMessage(role: "user", content: "What is 2+2?")],
        teacher: teacher, params: SamplingParams(maxTokens: 64, temperature: 0.7), sampleIndex: 0,
        choice: CompletionChoice(index: 0, content: "4", finishReason: "stop"),
        usage: Usage(promptTokens: 12, completionTokens: 1, totalTokens: 13), model: "qwen2.5-7b",
        responseId: "chatcmpl-1", receivedAt: 1_700_000_000.5)

    /// System prompt and reasoning.
    static let reasoning = StoredResponse(
        id: 2, jobId: 12, promptId: 102, promptHash: "aa02", externalId: nil, metadataJSON: nil,
        messages: [ChatMessage(role: "system", content: "You are terse."), ChatMessage(role: "user", content: "Capital of France?")],
        teacher: teacher, params: SamplingParams(temperature: 0.6, topP: 0.95), sampleIndex: 1,
        choice: CompletionChoice(index: 0, content: "Paris.", reasoning: "France's capital is Paris.", finishReason: "stop"),
        usage: Usage(promptTokens: 20, completionTokens: 9, totalTokens: 29, reasoningTokens: 6), model: nil,
        responseId: nil, receivedAt: 1_700_000_100)

    /// Multi-turn prompt; logprobs without token ids; text needing escapes.
    static let multiTurn = StoredResponse(
        id: 3, jobId: 13, promptId: 103, promptHash: "aa03", externalId: "q3", metadataJSON: nil,
        messages: [
            ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello!"),
            ChatMessage(role: "user", content: "Say \"moo\"\non a new line"),
        ],
        teacher: teacher, params: SamplingParams(temperature: 1.0, topLogprobs: 2), sampleIndex: 0,
        choice: CompletionChoice(index: 0, content: "Moo 🐄", finishReason: "length", logprobs: [
            TokenLogprob(token: "Moo", logprob: -0.25, bytes: [77, 111, 111],
                         top: [TopLogprob(token: "Moo", logprob: -0.25), TopLogprob(token: "moo", logprob: -1.5)]),
            TokenLogprob(token: " 🐄", logprob: -3.0, bytes: nil,
                         top: [TopLogprob(token: " 🐄", logprob: -3.0), TopLogprob(token: "!", logprob: -0.0625)]),
        ]),
        usage: nil, model: "qwen2.5-7b", responseId: "chatcmpl-3", receivedAt: 1_700_000_050.25)

    /// Logprobs with token ids; one position without alternatives.
    static let tokenIds = StoredResponse(
        id: 4, jobId: 14, promptId: 104, promptHash: "aa04", externalId: nil, metadataJSON: nil,
        messages: [ChatMessage(role: "system", content: "Answer yes or no."), ChatMessage(role: "user", content: "Is water wet?")],
        teacher: TeacherEndpoint(baseURL: "http://10.0.0.2:8000/v1", model: "meta-llama/Llama-3.1-8B-Instruct", kind: .completions),
        params: SamplingParams(temperature: nil, seed: 7, topLogprobs: 2), sampleIndex: 0,
        choice: CompletionChoice(index: 0, content: "Yes.", finishReason: "stop", logprobs: [
            TokenLogprob(token: "Yes", logprob: -0.5, bytes: [89, 101, 115], tokenId: 9642,
                         top: [TopLogprob(token: "Yes", logprob: -0.5, bytes: [89, 101, 115], tokenId: 9642),
                               TopLogprob(token: "No", logprob: -1.0, bytes: [78, 111], tokenId: 2822)]),
            TokenLogprob(token: ".", logprob: -0.125, tokenId: 13, top: []),
        ]),
        usage: Usage(promptTokens: 30, completionTokens: 2, totalTokens: 32), model: "llama-3.1-8b",
        responseId: "cmpl-4", receivedAt: 1_700_000_200)

    static let all = [single, reasoning, multiTurn, tokenIds]
}
