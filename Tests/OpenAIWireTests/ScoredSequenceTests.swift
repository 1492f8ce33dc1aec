import HarvestCore
import HarvestJSON
import OpenAIWire
import Testing

/// Scoring answers in the real shapes: vLLM `prompt_logprobs` (chat: top level; completions: per choice; `null`
/// first, maps id → {logprob, rank, decoded_token} with the prompt's own token first) and the legacy completions
/// `echo` columns (llama.cpp's Python server: BOS dropped, the scored token listed among the alternatives, the
/// generated token last).
@Suite struct ScoredSequenceTests {
    private func positions(_ name: String, _ kind: EndpointKind, _ form: ScoreForm) throws -> [TokenLogprob] {
        let body = try fixture(name)
        let response = try ResponseDecoder.decode(body, kind: kind)
        return try #require(try ScoredSequenceDecoder.positions(body: body, response: response, form: form))
    }

    @Test func vllmChatPromptLogprobs() throws {
        let p = try positions("vllm_prompt_logprobs_chat.json", .chat, .promptLogprobs)
        #expect(p.count == 6)
        #expect(p[0].logprob.isNaN && p[0].top.isEmpty && p[0].tokenId == 151644, "first position: no score, id from prompt_token_ids")
        #expect(p[1].token == "user" && p[1].tokenId == 872 && p[1].logprob.bitPattern == bits("-1.9073468138230965e-06"))
        // The scored token outside the top-k: first member, then the top-k in rank order.
        #expect(p[3].token == "Hi" && p[3].tokenId == 13048 && p[3].logprob == -9.625)
        #expect(p[3].top.map(\.tokenId) == [13048, 9707, 40])
        #expect(p[4].top[1].logprob == -9999.0, "vLLM's minus infinity kept as sent")
        #expect(p.map(\.tokenId) == [151644, 872, 198, 13048, 151645, 198])
    }

    @Test func vllmCompletionsPromptLogprobs() throws {
        let p = try positions("vllm_prompt_logprobs_completions.json", .completions, .promptLogprobs)
        #expect(p.count == 3)
        #expect(p[0].tokenId == nil && p[0].logprob.isNaN)
        #expect(p[1].tokenId == 15043 && p[1].logprob.bitPattern == bits("-7.584228515625") && p[1].top.count == 2)
        #expect(p[2].token == "," && p[2].top.count == 1)
    }

    /// Captured from the project's real teacher (llama-cpp-python 0.3.36 server, SmolLM2-135M, `echo: true, logprobs: 3,
    /// max_tokens: 1`): entries for the prompt's tokens only (none for a generated token), `null` first, the scored
    /// token listed among the alternatives.
    @Test func llamaCppEchoKeepsEveryPromptToken() throws {
        let body = try fixture("llamacpp_echo_completions.json")
        let response = try ResponseDecoder.decode(body, kind: .completions)
        let prompt = "Q: What is 2 + 2?\nA: 4."
        let p = try #require(try ScoredSequenceDecoder.positions(body: body, response: response, form: .echo,
                                                                 promptCharacters: prompt.unicodeScalars.count))
        #expect(p.map(\.token).joined() == prompt, "by text_offset: every entry starts inside the prompt")
        #expect(p[0].logprob.isNaN && p[0].top.isEmpty)
        #expect(p[1].token == ":" && p[1].logprob.bitPattern == bits("-10.776525497436523"))
        for t in p.dropFirst() { #expect(t.top.contains { $0.token == t.token && $0.logprob.bitPattern == t.logprob.bitPattern }) }
    }

    @Test func echoWithoutOffsetsDropsUsageCompletionTokens() throws {
        let body = Array(#"{"choices":[{"index":0,"text":"ab c","logprobs":{"tokens":["a","b"," c"],"token_logprobs":[null,-1.5,-0.25],"top_logprobs":[null,{"b":-1.5},{" c":-0.25}]}}],"usage":{"prompt_tokens":2,"completion_tokens":1}}"#.utf8)
        let response = try ResponseDecoder.decode(body, kind: .completions)
        let p = try #require(try ScoredSequenceDecoder.positions(body: body, response: response, form: .echo, promptCharacters: 2))
        #expect(p.map(\.token) == ["a", "b"])
    }

    @Test func scoringAnswersRoundTripThroughTheBlobBitExact() throws {
        for (name, kind, form) in [("vllm_prompt_logprobs_chat.json", EndpointKind.chat, ScoreForm.promptLogprobs),
                                   ("vllm_prompt_logprobs_completions.json", .completions, .promptLogprobs)] {
            let p = try positions(name, kind, form)
            #expect(try LogprobCodec.decode(LogprobCodec.encode(p)) == p)
            let table = try LogprobTable(hlp1: LogprobCodec.encode(p))
            let vocabulary = try table.keys.map { try LogprobCodec.VocabularyEntry(key: $0) }
            let back = try LogprobCodec.decode(table.encode(vocabularyIndex: Array(vocabulary.indices)), vocabulary: { vocabulary[$0] })
            #expect(back.count == p.count)
            for (a, b) in zip(back, p) {
                #expect(a.logprob.bitPattern == b.logprob.bitPattern && a.token == b.token && a.tokenId == b.tokenId && a.top == b.top)
            }
        }
    }

    @Test func aPositiveScoreIsAnInvalidValue() throws {
        let body = Array(#"{"choices":[{"index":0,"text":"x","prompt_logprobs":[null,{"5":{"logprob":0.5,"rank":1,"decoded_token":"a"}}]}]}"#.utf8)
        let response = try ResponseDecoder.decode(body, kind: .completions)
        #expect(throws: WireError.self) { try ScoredSequenceDecoder.positions(body: body, response: response, form: .promptLogprobs) }
    }

    @Test func requestsForBothForms() throws {
        let messages = [ChatMessage(role: "user", content: "Say hi"), ChatMessage(role: "assistant", content: " Hi!")]
        var params = SamplingParams(maxTokens: 256, temperature: 0, topLogprobs: 5)
        params.score = .echo
        let completions = TeacherEndpoint(baseURL: "http://h/v1", model: "m", kind: .completions)
        let echo = try JSONValue.parse(RequestEncoder.body(messages: messages, teacher: completions, params: params, sampleIndex: 0))
        #expect(echo["prompt"]?.stringValue == "Say hi Hi!" && echo["echo"]?.boolValue == true)
        #expect(echo["logprobs"]?.intValue == 5 && echo["max_tokens"]?.intValue == 1)
        params.score = .promptLogprobs
        let chat = TeacherEndpoint(baseURL: "http://h/v1", model: "m", kind: .chat)
        let pl = try JSONValue.parse(RequestEncoder.body(messages: messages, teacher: chat, params: params, sampleIndex: 0))
        #expect(pl["prompt_logprobs"]?.intValue == 5 && pl["add_generation_prompt"]?.boolValue == false && pl["logprobs"] == nil)
        #expect(pl["messages"]?.arrayValue?.count == 2)
        params.score = .echo
        #expect(throws: WireError.self) { try RequestEncoder.body(messages: messages, teacher: chat, params: params, sampleIndex: 0) }
        #expect(throws: WireError.self) {
            try RequestEncoder.body(messages: [messages[0]], teacher: completions, params: params, sampleIndex: 0)
        }
        #expect(params.canonicalJSON.contains(#""score":"echo""#))
        #expect(try SamplingParams.fromCanonicalJSON(params.canonicalJSON) == params)
    }
}
