import HarvestCore
import HarvestJSON
import OpenAIWire
import Testing

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds random responses with JSONWriter together with the value the decoder must produce.
struct ResponseGenerator {
    var rng: SplitMix64

    static let pieces = ["a", "the", " ", "é", "😀", "中文", "\"", "\\", "\n", "\t", "\u{1}", "\u{1F}", "/", "<|im_end|>", "\u{7F}", "ß", "\u{FFFD}"]

    mutating func token() -> String {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return [-0.0, 0.0, -9999.0, .leastNonzeroMagnitude, 1e-300, -1.7976931348623157e308].randomElement(using: &rng)!
        case 1...4: return Double(Float.random(in: -20...0, using: &rng))  // vLLM-like float32 values
        default:
            while true {
                // Any finite bit pattern the value rules accept: at most 0, or a float-rounding positive ≤ 1e-6.
                let d = Double(bitPattern: rng.next())
                if d.isFinite { return d <= 1e-6 ? d : -d }
            }
        }
    }

    mutating func entry() -> (token: String, logprob: Double, bytes: [UInt8]?, tokenId: Int?, writeId: Bool) {
        var token = token()
        var tokenId: Int?
        var writeId = false
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            tokenId = Int.random(in: -1000...Int(Int32.max), using: &rng)
            token = "token_id:\(tokenId!)"
        case 1:
            tokenId = Int.random(in: 0...200_000, using: &rng)
            writeId = true
        default: break
        }
        let bytes: [UInt8]? = Bool.random(using: &rng) ? nil
            : (Bool.random(using: &rng) ? Array(token.utf8) : (0..<Int.random(in: 0...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return (token, double(), bytes, tokenId, writeId)
    }

    mutating func make() -> (body: [UInt8], expected: TeacherResponse) {
        var w = JSONWriter()
        var expected = TeacherResponse()
        w.beginObject()
        let id = "chatcmpl-\(rng.next())"
        w.key("id"); w.string(id); expected.id = id
        w.key("object"); w.string("chat.completion")
        let created = Int.random(in: 0...2_000_000_000, using: &rng)
        w.key("created"); w.int(created); expected.created = created
        let model = "m/\(token())"
        w.key("model"); w.string(model); expected.model = model
        w.key("choices")
        w.beginArray()
        for index in 0..<Int.random(in: 1...3, using: &rng) {
            w.beginObject()
            w.key("index"); w.int(index)
            var choice = CompletionChoice(index: index, content: "")
            w.key("message")
            w.beginObject()
            w.key("role"); w.string("assistant")
            let content = (0..<Int.random(in: 0...20, using: &rng)).map { _ in token() }.joined()
            w.key("content"); w.string(content); choice.content = content
            if Bool.random(using: &rng) {
                let r = token()
                w.key("reasoning_content"); w.string(r); choice.reasoning = r
            }
            w.endObject()
            if Bool.random(using: &rng) {
                w.key("logprobs"); w.null()
            } else {
                w.key("logprobs")
                w.beginObject()
                w.key("content")
                w.beginArray()
                var tokens = [TokenLogprob]()
                for _ in 0..<Int.random(in: 0...30, using: &rng) {
                    let e = entry()
                    w.beginObject()
                    if e.writeId { w.key("id"); w.int(e.tokenId!) }
                    w.key("token"); w.string(e.token)
                    w.key("logprob"); w.double(e.logprob)
                    if let b = e.bytes { w.key("bytes"); w.intArray(b) } else if Bool.random(using: &rng) { w.key("bytes"); w.null() }
                    w.key("top_logprobs")
                    w.beginArray()
                    var top = [TopLogprob]()
                    for _ in 0..<Int.random(in: 0...6, using: &rng) {
                        let a = entry()
                        w.beginObject()
                        w.key("token"); w.string(a.token)
                        w.key("logprob"); w.double(a.logprob)
                        if let b = a.bytes { w.key("bytes"); w.intArray(b) }
                        if a.writeId { w.key("id"); w.int(a.tokenId!) }
                        w.endObject()
                        top.append(TopLogprob(token: a.token, logprob: a.logprob, bytes: a.bytes, tokenId: a.tokenId))
                    }
                    w.endArray()
                    w.endObject()
                    tokens.append(TokenLogprob(token: e.token, logprob: e.logprob, bytes: e.bytes, tokenId: e.tokenId, top: top))
                }
                w.endArray()
                w.key("refusal"); w.null()
                w.endObject()
                choice.logprobs = tokens
            }
            let finish = ["stop", "length"].randomElement(using: &rng)!
            w.key("finish_reason"); w.string(finish); choice.finishReason = finish
            w.endObject()
            expected.choices.append(choice)
        }
        w.endArray()
        let usage = Usage(promptTokens: Int.random(in: 0...9999, using: &rng), completionTokens: Int.random(in: 0...9999, using: &rng),
                          totalTokens: Int.random(in: 0...99999, using: &rng))
        w.key("usage")
        w.beginObject()
        w.key("prompt_tokens"); w.int(usage.promptTokens!)
        w.key("completion_tokens"); w.int(usage.completionTokens!)
        w.key("total_tokens"); w.int(usage.totalTokens!)
        w.endObject()
        expected.usage = usage
        w.endObject()
        return (w.bytes, expected)
    }
}

@Suite struct RoundTripPropertyTests {
    @Test func twoHundredRandomResponsesDecodeBitExact() throws {
        var gen = ResponseGenerator(rng: SplitMix64(state: 0x5EED))
        for n in 0..<200 {
            let (body, expected) = gen.make()
            let got = try ResponseDecoder.decode(body, kind: .chat)
            #expect(got == expected, "response \(n)")
            if got != expected { break }
        }
    }
}
