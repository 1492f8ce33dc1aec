#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestJSON

/// Writes `/v1/chat/completions` answers in the OpenAI / vLLM shape, token logprobs included.
/// The per-token parts (`content` and `logprobs.content`) are assembled from the vocabulary's
/// pre-encoded fragments in a scratch buffer and handed to the writer in one piece.
enum ChatResponder {
    /// Writes the whole response body for `request` into `w`.
    static func write(_ request: CompletionRequest, context: AnswerContext, sampler: inout AnswerSampler,
                      scratch: inout [UInt8], into w: inout JSONWriter) {
        let vocabulary = sampler.vocabulary
        var completionTokens = 0
        w.beginObject()
        w.key("id"); w.string("chatcmpl-" + context.idSuffix)
        w.key("object"); w.string("chat.completion")
        w.key("created"); w.int(context.created)
        w.key("model"); w.string(context.model)
        w.key("choices"); w.beginArray()
        for choice in 0..<request.choices {
            sampler.generate(seed: context.seed, choice: choice, maxTokens: request.maxTokens, topK: request.topLogprobs,
                             greedy: request.temperature == 0, stops: request.stops,
                             earlyStopRate: context.earlyStopRate)
            completionTokens += sampler.count
            w.beginObject()
            w.key("index"); w.int(choice)
            w.key("message"); w.beginObject()
            w.key("role"); w.string("assistant")
            w.key("content")
            scratch.removeAll(keepingCapacity: true)
            TextAssembler.appendQuotedText(of: sampler, vocabulary: vocabulary, into: &scratch)
            w.raw(bytes: scratch)
            if request.mockReasoning {
                w.key("reasoning_content")
                scratch.removeAll(keepingCapacity: true)
                scratch.append(UInt8(ascii: "\""))
                _ = sampler.reasoning(seed: context.seed, choice: choice, into: &scratch)
                scratch.append(UInt8(ascii: "\""))
                w.raw(bytes: scratch)
            }
            w.endObject()
            w.key("logprobs")
            if request.logprobs {
                w.beginObject()
                w.key("content")
                scratch.removeAll(keepingCapacity: true)
                appendLogprobEntries(of: sampler, k: request.topLogprobs, ids: request.tokenIds, vocabulary: vocabulary, into: &scratch)
                w.raw(bytes: scratch)
                w.endObject()
            } else {
                w.null()
            }
            w.key("finish_reason"); w.string(sampler.finish == .stop ? "stop" : "length")
            if request.returnTokenIds { SGLangTokenIds.write(request, sampler: sampler, into: &w) }
            w.endObject()
        }
        w.endArray()
        UsageWriter.write(prompt: request.promptWords, completion: completionTokens, into: &w)
        w.endObject()
    }

    /// Appends the `logprobs.content` array:
    /// `[{"token":…,"logprob":…,"bytes":[…],"top_logprobs":[{"token":…,"logprob":…,"bytes":[…]},…]},…]`.
    static func appendLogprobEntries(of sampler: borrowing AnswerSampler, k: Int, ids: Bool, vocabulary: Vocabulary,
                                     into out: inout [UInt8]) {
        vocabulary.fragments.withUnsafeBufferPointer { fragments in
            vocabulary.spans.withUnsafeBufferPointer { spans in
                out.append(UInt8(ascii: "["))
                for position in 0..<sampler.count {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    let chosen = spans[sampler.chosen(at: position)]
                    out.append(fragments, chosen.entryPrefix(ids: ids))
                    out.appendLogprob(sampler.chosenProbability(at: position))
                    out.append(fragments, chosen.chosenSuffix)
                    for slot in 0..<k {
                        if slot > 0 { out.append(UInt8(ascii: ",")) }
                        let (id, probability) = sampler.reported(position: position, slot: slot, k: k)
                        out.append(fragments, spans[id].entryPrefix(ids: ids))
                        out.appendLogprob(probability)
                        out.append(fragments, spans[id].alternativeSuffix)
                    }
                    out.append(UInt8(ascii: "]"))
                    out.append(UInt8(ascii: "}"))
                }
                out.append(UInt8(ascii: "]"))
            }
        }
    }
}
