import HarvestJSON

/// Writes answers to scoring requests (``CompletionRequest/isScoring``), in the two real shapes:
///
/// - legacy completions with `echo: true, logprobs: k` (vLLM / OpenAI form): `text` is the prompt followed by the
///   generated tokens; `logprobs.tokens`, `token_logprobs` (`null` first), `top_logprobs` (`null` first, then maps
///   token text → logprob: the top-k, plus the scored token when it is not among them, as llama.cpp's Python server
///   does) and `text_offset` cover the prompt's tokens and then the generated ones;
/// - vLLM `prompt_logprobs: k` (chat: a top-level `prompt_logprobs`; completions: one per choice): `null` first,
///   then per token a map token id → `{logprob, rank, decoded_token}`, the prompt's own token first, then the top-k
///   by rank (the prompt token only once).
///
/// With ``MockServerShape/sglang`` the echo takes SGLang's form (``MockServerShape``) and `prompt_logprobs` is never
/// asked (the request reader ignores it, as SGLang does).
///
/// The scored values come from ``ScoredSequence`` (a pure function of the sequence); the generated tokens from
/// ``AnswerSampler`` as for any answer. A request whose logprobs were suppressed (the missing-logprobs fault) gets
/// `logprobs: null` / no `prompt_logprobs`.
enum ScoreResponder {
    /// Writes the whole response body.
    static func write(_ request: CompletionRequest, context: AnswerContext, sampler: inout AnswerSampler, into w: inout JSONWriter) {
        let sequence = ScoredSequence(request.sequenceText, vocabulary: sampler.vocabulary)
        let k = request.promptLogprobs ?? request.topLogprobs
        sampler.generate(seed: context.seed, choice: 0, maxTokens: request.maxTokens, topK: max(k, 1), greedy: request.temperature == 0,
                         stops: request.stops, earlyStopRate: 0)
        let generatedText = (0..<sampler.count).map { sampler.vocabulary.texts[sampler.chosen(at: $0)] }.joined()
        let chat = request.endpoint == .chat
        w.beginObject()
        w.key("id"); w.string((chat ? "chatcmpl-" : "cmpl-") + context.idSuffix)
        w.key("object"); w.string(chat ? "chat.completion" : "text_completion")
        w.key("created"); w.int(context.created)
        w.key("model"); w.string(context.model)
        w.key("choices"); w.beginArray()
        w.beginObject()
        w.key("index"); w.int(0)
        if chat {
            w.key("message"); w.beginObject()
            w.key("role"); w.string("assistant")
            w.key("content"); w.string(generatedText)
            w.endObject()
            w.key("logprobs"); w.null()
        } else {
            w.key("text"); w.string(request.echo ? request.sequenceText + generatedText : generatedText)
            w.key("logprobs")
            if request.echo && request.logprobs {
                writeEcho(sequence, k: k, sglang: request.shape == .sglang, sampler: sampler, into: &w)
            } else {
                w.null()
            }
            if let pk = request.promptLogprobs {
                w.key("prompt_logprobs")
                writePromptLogprobs(sequence, k: pk, into: &w)
            }
        }
        w.key("finish_reason"); w.string(sampler.finish == .stop ? "stop" : "length")
        if request.returnTokenIds { SGLangTokenIds.write(request, sampler: sampler, into: &w) }
        w.endObject()
        w.endArray()
        if chat, let pk = request.promptLogprobs {
            w.key("prompt_logprobs")
            writePromptLogprobs(sequence, k: pk, into: &w)
        }
        UsageWriter.write(prompt: sequence.count, completion: sampler.count, into: &w)
        w.endObject()
    }

    /// The legacy `logprobs` object of an echoed prompt followed by the generated tokens. `sglang`: as SGLang's
    /// `to_openai_style_logprobs` writes it — every `text_offset` -1, the alternatives only the top-k maps.
    private static func writeEcho(_ sequence: ScoredSequence, k: Int, sglang: Bool, sampler: borrowing AnswerSampler,
                                  into w: inout JSONWriter) {
        let vocabulary = sampler.vocabulary
        let positions = (1..<max(sequence.count, 1)).map { sequence.position($0, k: k) }
        w.beginObject()
        w.key("tokens"); w.beginArray()
        for t in sequence.texts { w.string(t) }
        for i in 0..<sampler.count { w.string(vocabulary.texts[sampler.chosen(at: i)]) }
        w.endArray()
        w.key("token_logprobs"); w.beginArray()
        if sequence.count > 0 { w.null() }
        for p in positions { w.double(p.logprob) }
        for i in 0..<sampler.count { w.double(ScoredSequence.logprob(sampler.chosenProbability(at: i))) }
        w.endArray()
        w.key("top_logprobs"); w.beginArray()
        if sequence.count > 0 { w.null() }
        for (n, p) in positions.enumerated() {
            w.beginObject()
            for c in p.top { w.key(c.text); w.double(c.logprob) }
            if p.rank > k, !sglang { w.key(sequence.texts[n + 1]); w.double(p.logprob) }
            w.endObject()
        }
        for i in 0..<sampler.count {
            w.beginObject()
            for slot in 0..<k {
                let (id, probability) = sampler.reported(position: i, slot: slot, k: k)
                w.key(vocabulary.texts[id]); w.double(ScoredSequence.logprob(probability))
            }
            w.endObject()
        }
        w.endArray()
        w.key("text_offset"); w.beginArray()
        var offset = 0
        for t in sequence.texts {
            w.int(sglang ? -1 : offset)
            offset += t.unicodeScalars.count
        }
        for i in 0..<sampler.count {
            w.int(sglang ? -1 : offset)
            offset += vocabulary.scalarCounts[sampler.chosen(at: i)]
        }
        w.endArray()
        w.endObject()
    }

    /// vLLM's `prompt_logprobs` array.
    private static func writePromptLogprobs(_ sequence: ScoredSequence, k: Int, into w: inout JSONWriter) {
        w.beginArray()
        for p in 0..<sequence.count {
            guard p > 0 else {
                w.null()
                continue
            }
            let position = sequence.position(p, k: k)
            w.beginObject()
            entry(id: sequence.ids[p], text: sequence.texts[p], logprob: position.logprob, rank: position.rank, into: &w)
            for (rank, c) in position.top.enumerated() where c.id != sequence.ids[p] {
                entry(id: c.id, text: c.text, logprob: c.logprob, rank: rank + 1, into: &w)
            }
            w.endObject()
        }
        w.endArray()
    }

    private static func entry(id: Int, text: String, logprob: Double, rank: Int, into w: inout JSONWriter) {
        w.key(String(id)); w.beginObject()
        w.key("logprob"); w.double(logprob)
        w.key("rank"); w.int(rank)
        w.key("decoded_token"); w.string(text)
        w.endObject()
    }
}
