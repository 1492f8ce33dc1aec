import HarvestJSON

/// SGLang's `return_token_ids` members of a choice: `prompt_token_ids` (the prompt's tokens: the legacy prompt, or
/// the chat rendered ChatML-style, tokenized by ``ScoredSequence``) and `token_ids` (the generated tokens' ids, the
/// mock's vocabulary indices). Order as SGLang's `CompletionResponseChoice` / `ChatCompletionResponseChoice` declare
/// them.
enum SGLangTokenIds {
    /// Writes both members after the choice's `finish_reason`.
    static func write(_ request: CompletionRequest, sampler: borrowing AnswerSampler, into w: inout JSONWriter) {
        let chat = request.endpoint == .chat
        if !chat { writeGenerated(sampler, into: &w) }
        w.key("prompt_token_ids")
        w.beginArray()
        for id in ScoredSequence(request.sequenceText, vocabulary: sampler.vocabulary).ids { w.int(id) }
        w.endArray()
        if chat { writeGenerated(sampler, into: &w) }
    }

    private static func writeGenerated(_ sampler: borrowing AnswerSampler, into w: inout JSONWriter) {
        w.key("token_ids")
        w.beginArray()
        for i in 0..<sampler.count { w.int(sampler.chosen(at: i)) }
        w.endArray()
    }
}
