import HarvestCore
import OpenAIWire
import Testing

@Suite struct FixtureDecodingTests {
    @Test func openAIChatWithLogprobs() throws {
        let r = try ResponseDecoder.decode(try fixture("openai_chat_logprobs.json"), kind: .chat)
        #expect(r.id == "chatcmpl-9xYzQ2bT7kLmNoPqRsTuVwXyZ012")
        #expect(r.model == "gpt-4o-mini-2024-07-18")
        #expect(r.created == 1_718_049_373)
        #expect(r.systemFingerprint == "fp_0ba0d124f1")
        #expect(r.usage == Usage(promptTokens: 19, completionTokens: 7, totalTokens: 26, reasoningTokens: 0))
        #expect(r.choices.count == 1)
        let c = r.choices[0]
        #expect(c.index == 0)
        #expect(c.content == "Hello! \"Café\" 😀")
        #expect(c.reasoning == nil)
        #expect(c.finishReason == "stop")
        let lp = try #require(c.logprobs)
        #expect(lp.map(\.token) == ["Hello", "!", " \"", "Café", "\" ", #"bytes:\xf0\x9f"#, #"\x98\x80"#])
        #expect(lp.map(\.logprob.bitPattern) == [
            "-0.31725305", "-0.02380986", "-1.2664457e-06", "-0.0009114635", "0.0", "-0.5231608", "-3.1281633e-07",
        ].map(bits))
        #expect(lp.map(\.bytes) == [
            [72, 101, 108, 108, 111], [33], [32, 34], [67, 97, 102, 195, 169], [34, 32], [240, 159], [152, 128],
        ])
        #expect(lp.allSatisfy { $0.tokenId == nil && $0.top.count == 2 })
        #expect(lp[0].top == [
            TopLogprob(token: "Hello", logprob: Double("-0.31725305")!, bytes: [72, 101, 108, 108, 111]),
            TopLogprob(token: "Hi", logprob: Double("-1.3190403")!, bytes: [72, 105]),
        ])
        #expect(lp[4].logprob.sign == .plus)
        #expect(lp[5].top[1] == TopLogprob(token: "\n", logprob: Double("-0.8981608")!, bytes: [10]))
        #expect(lp[6].top[1].logprob.bitPattern == bits("-15.000000312816"))
        #expect(ResponseDecoder.missingLogprobs(r, requested: SamplingParams(topLogprobs: 2)).isEmpty)
    }

    @Test func vllmTokenIdsAndMinusInfinity() throws {
        let r = try ResponseDecoder.decode(try fixture("vllm_chat_token_ids.json"), kind: .chat)
        #expect(r.id == "chatcmpl-5c2b9e0f4a1d4e6f9b8a7c6d5e4f3a2b")
        #expect(r.model == "Qwen/Qwen3-8B")
        #expect(r.created == 1_718_050_001)
        #expect(r.systemFingerprint == nil)
        #expect(r.usage == Usage(promptTokens: 14, completionTokens: 3, totalTokens: 17))
        #expect(r.choices.count == 2)

        let a = r.choices[0]
        #expect(a.content == "Hi there")
        #expect(a.reasoning == "The user greets me.\nI should reply briefly.")
        #expect(a.finishReason == "stop")
        let lp = try #require(a.logprobs)
        #expect(lp.count == 2)
        // Tokens keep the text as sent; the id comes from the "token_id:N" form.
        #expect(lp[0] == TokenLogprob(
            token: "token_id:13048", logprob: Double("-0.0011695867776870728")!, bytes: [72, 105], tokenId: 13048,
            top: [
                TopLogprob(token: "token_id:13048", logprob: Double("-0.0011695867776870728")!, bytes: [72, 105], tokenId: 13048),
                TopLogprob(token: "token_id:9707", logprob: Double("-6.876169681549072")!, bytes: [72, 101, 108, 108, 111], tokenId: 9707),
                TopLogprob(token: "token_id:151645", logprob: -9999.0, bytes: [], tokenId: 151_645),
            ]))
        #expect(lp[1].tokenId == 1052)
        #expect(lp[1].logprob.bitPattern == bits("-0.2519287168979645"))
        #expect(lp[1].top.map(\.tokenId) == [1052, 0, 151_645])
        #expect(lp[1].top[2].logprob == -9999.0)
        #expect(lp[1].top[2].bytes == [])

        // Second choice: plain tokens, ids filled from the choice's token_ids (same count).
        let b = r.choices[1]
        #expect(b.index == 1)
        #expect(b.content == "Hello")
        #expect(b.reasoning == nil)
        #expect(b.finishReason == "length")
        let lpb = try #require(b.logprobs)
        #expect(lpb.map(\.tokenId) == [9707])
        #expect(lpb[0].token == "Hello")
        #expect(lpb[0].top == [TopLogprob(token: "Hi", logprob: Double("-0.0011695867776870728")!, bytes: [72, 105])])
    }

    @Test func vllmReasoningField() throws {
        let r = try ResponseDecoder.decode(try fixture("vllm_reasoning.json"), kind: .chat)
        let c = r.choices[0]
        #expect(c.content == "")  // content: null
        #expect(c.reasoning == "We need to add 2 and 2.\nThat is 4, so the answer is")
        #expect(c.finishReason == "length")
        #expect(c.logprobs == nil)
        #expect(r.usage == Usage(promptTokens: 71, completionTokens: 16, totalTokens: 87, reasoningTokens: 16))
        #expect(r.model == "openai/gpt-oss-20b")
        // Logprobs asked for but absent: not a decode error, reported by the helper.
        #expect(ResponseDecoder.missingLogprobs(r, requested: SamplingParams(topLogprobs: 5)) == [0])
        #expect(ResponseDecoder.missingLogprobs(r, requested: SamplingParams()) == [])
    }

    @Test func llamaCppChatQuirks() throws {
        let r = try ResponseDecoder.decode(try fixture("llamacpp_chat.json"), kind: .chat)
        #expect(r.id == "chatcmpl-LpX8s0k2Tq")
        #expect(r.model == "gpt-3.5-turbo")
        #expect(r.created == 1_718_051_000)
        #expect(r.systemFingerprint == "b4567-1a2b3c4d")
        #expect(r.usage == Usage(promptTokens: 9, completionTokens: 3, totalTokens: 12))
        let c = r.choices[0]
        #expect(c.content == "Olá!")
        #expect(c.finishReason == "length")
        let lp = try #require(c.logprobs)
        #expect(lp.count == 3)
        // k+1 alternatives kept as sent, llama.cpp "id" gives the token id.
        #expect(lp[0] == TokenLogprob(
            token: "Ol", logprob: Double("-0.10536054521799088")!, bytes: [79, 108], tokenId: 46,
            top: [
                TopLogprob(token: "Ol", logprob: Double("-0.10536054521799088")!, bytes: [79, 108], tokenId: 46),
                TopLogprob(token: "H", logprob: Double("-2.3025851249694824")!, bytes: [72], tokenId: 39),
                TopLogprob(token: "", logprob: Double("-5.298317432403564")!, bytes: nil, tokenId: 1),
            ]))
        // Partial UTF-8 token: empty text, bytes null, fewer alternatives than asked.
        #expect(lp[1] == TokenLogprob(
            token: "", logprob: Double("-0.6931471824645996")!, bytes: nil, tokenId: 1842,
            top: [TopLogprob(token: "", logprob: Double("-0.6931471824645996")!, bytes: nil, tokenId: 1842)]))
        // null logprob → canonical NaN; empty alternatives.
        #expect(lp[2].logprob.bitPattern == Double.nan.bitPattern)
        #expect(lp[2].top.isEmpty)
        #expect(lp[2].tokenId == 94)
    }

    @Test func llamaCppLegacyCompletions() throws {
        let r = try ResponseDecoder.decode(try fixture("llamacpp_completions.json"), kind: .completions)
        #expect(r.id == "cmpl-Qm3nV5xZ1c")
        #expect(r.model == "llama-3.2-1b-instruct-q8_0.gguf")
        #expect(r.usage == Usage(promptTokens: 6, completionTokens: 4, totalTokens: 10))
        let c = r.choices[0]
        #expect(c.content == "Paris.\nThe")
        #expect(c.finishReason == "length")
        let lp = try #require(c.logprobs)
        #expect(lp.map(\.token) == ["Paris", ".", "\n", "token_id:791"])
        #expect(lp[0].logprob.bitPattern == Double.nan.bitPattern)  // null
        #expect(lp[1...].map(\.logprob.bitPattern) == ["-0.05129329", "-1.3862944", "-0.22314355"].map(bits))
        #expect(lp.map(\.tokenId) == [nil, nil, nil, 791])
        #expect(lp.allSatisfy { $0.bytes == nil })
        #expect(lp[0].top.isEmpty)  // null entry
        #expect(lp[1].top == [
            TopLogprob(token: ".", logprob: Double("-0.05129329")!),
            TopLogprob(token: ",", logprob: Double("-3.0512933")!),
            TopLogprob(token: "!", logprob: -5.5),
        ])
        #expect(lp[2].top.map(\.token) == ["\n", " The"])  // dict order as sent
        #expect(lp[3].top == [
            TopLogprob(token: "token_id:791", logprob: Double("-0.22314355")!, tokenId: 791),
            TopLogprob(token: "token_id:576", logprob: Double("-1.6094379")!, tokenId: 576),
        ])
    }

    @Test func deepSeekReasoner() throws {
        let r = try ResponseDecoder.decode(try fixture("deepseek_chat.json"), kind: .chat)
        #expect(r.id == "930c60df-bf64-41c9-a88e-3ec75f81e00e")
        #expect(r.model == "deepseek-reasoner")
        #expect(r.created == 1_718_052_222)
        #expect(r.systemFingerprint == "fp_5417b77867_prod0425fp8")
        #expect(r.usage == Usage(promptTokens: 13, completionTokens: 24, totalTokens: 37, reasoningTokens: 17))
        #expect(r.choices == [CompletionChoice(
            index: 0, content: "The answer is 4.", reasoning: "2 + 2 = 4. Simple arithmetic.", finishReason: "stop", logprobs: nil)])
    }

    @Test func openAIErrorBody() throws {
        let e = decodeError(try fixture("openai_error.json"))
        #expect(e == .serverError(
            message: "Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.",
            type: "invalid_request_error"))
        #expect(e?.description.hasPrefix("server error (invalid_request_error): Incorrect API key") == true)
    }

    @Test func htmlPage() throws {
        let body = try fixture("html_error.html")
        guard case .malformed(let reason, let offset, let prefix) = decodeError(body) else {
            Issue.record("expected malformed")
            return
        }
        #expect(reason == "body is HTML, not JSON")
        #expect(offset == 0)
        #expect(prefix.hasPrefix("<html> <head><title>502 Bad Gateway</title></head>"))
        #expect(!prefix.contains("\n"))
    }

    @Test func truncatedBody() throws {
        let body = try fixture("truncated.json")
        guard case .malformed(let reason, let offset, let prefix) = decodeError(body) else {
            Issue.record("expected malformed")
            return
        }
        #expect(offset == body.count)
        #expect(reason.contains("end of input"))
        #expect(prefix.hasSuffix("…"))
        #expect(prefix.utf8.count == WireError.bodyPrefixLimit + "…".utf8.count)
    }
}
