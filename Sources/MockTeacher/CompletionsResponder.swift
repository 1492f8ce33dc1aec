#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestJSON

/// Writes legacy `/v1/completions` answers (`text`, and `logprobs` with parallel arrays).
enum CompletionsResponder {
    /// Writes the whole response body for `request` into `w`.
    static func write(_ request: CompletionRequest, context: AnswerContext, sampler: inout AnswerSampler,
                      scratch: inout [UInt8], into w: inout JSONWriter) {
        let vocabulary = sampler.vocabulary
        var completionTokens = 0
        w.beginObject()
        w.key("id"); w.string("cmpl-" + context.idSuffix)
        w.key("object"); w.string("text_completion")
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
            w.key("text")
            scratch.removeAll(keepingCapacity: true)
            TextAssembler.appendQuotedText(of: sampler, vocabulary: vocabulary, into: &scratch)
            w.raw(bytes: scratch)
            w.key("logprobs")
            if request.logprobs {
                scratch.removeAll(keepingCapacity: true)
                appendLogprobs(of: sampler, k: request.topLogprobs, ids: request.tokenIds, vocabulary: vocabulary, into: &scratch)
                w.raw(bytes: scratch)
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

    /// Appends the legacy logprobs object:
    /// `{"tokens":[…],"token_logprobs":[…],"top_logprobs":[{"tok":lp,…},…],"text_offset":[…]}`.
    static func appendLogprobs(of sampler: borrowing AnswerSampler, k: Int, ids: Bool, vocabulary: Vocabulary,
                               into out: inout [UInt8]) {
        let count = sampler.count
        vocabulary.fragments.withUnsafeBufferPointer { fragments in
            vocabulary.spans.withUnsafeBufferPointer { spans in
                out.append(contentsOf: #"{"tokens":["#.utf8)
                for position in 0..<count {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(fragments, spans[sampler.chosen(at: position)].quoted(ids: ids))
                }
                out.append(contentsOf: #"],"token_logprobs":["#.utf8)
                for position in 0..<count {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.appendLogprob(sampler.chosenProbability(at: position))
                }
                out.append(contentsOf: #"],"top_logprobs":["#.utf8)
                for position in 0..<count {
                    out.append(contentsOf: position > 0 ? #",{"#.utf8 : #"{"#.utf8)
                    for slot in 0..<k {
                        if slot > 0 { out.append(UInt8(ascii: ",")) }
                        let (id, probability) = sampler.reported(position: position, slot: slot, k: k)
                        out.append(fragments, spans[id].legacyKey(ids: ids))
                        out.appendLogprob(probability)
                    }
                    out.append(UInt8(ascii: "}"))
                }
                out.append(contentsOf: #"],"text_offset":["#.utf8)
                var offset = 0
                for position in 0..<count {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: String(offset).utf8)
                    offset += vocabulary.scalarCounts[sampler.chosen(at: position)]
                }
                out.append(contentsOf: "]}".utf8)
            }
        }
    }
}
