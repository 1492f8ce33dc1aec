import HarvestCore
import HarvestJSON
import OpenAIWire
import Testing

@Suite struct RequestEncoderTests {
    static let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Say \"hi\"\n")]
    static let params = SamplingParams(maxTokens: 256, temperature: 0.7, topP: 0.95, seed: 42, stop: ["</s>", "\n\n"], topLogprobs: 5)

    static func job(kind: EndpointKind = .chat, params: SamplingParams = params, messages: [ChatMessage] = messages,
                    sampleIndex: Int = 3) -> Job {
        Job(id: 1, key: [], promptId: 1, messages: messages,
            teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1/", model: "Qwen/Qwen3-8B", kind: kind),
            params: params, sampleIndex: sampleIndex)
    }

    static func text(_ job: Job) throws -> String { String(decoding: try RequestEncoder.body(for: job), as: UTF8.self) }

    @Test func chatBodyExact() throws {
        #expect(try Self.text(Self.job()) == #"""
        {"model":"Qwen/Qwen3-8B","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say \"hi\"\n"}],\#
        "max_tokens":256,"temperature":0.7,"top_p":0.95,"seed":45,"stop":["</s>","\n\n"],"n":1,"logprobs":true,"top_logprobs":5,\#
        "stream":false}
        """#)
    }

    @Test func chatBodyMinimal() throws {
        #expect(try Self.text(Self.job(params: SamplingParams(), sampleIndex: 0)) == #"""
        {"model":"Qwen/Qwen3-8B","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say \"hi\"\n"}],\#
        "n":1,"stream":false}
        """#)
    }

    @Test func chatTopLogprobsZero() throws {
        let body = try Self.text(Self.job(params: SamplingParams(topLogprobs: 0), messages: [ChatMessage(role: "user", content: "x")]))
        #expect(body == #"{"model":"Qwen/Qwen3-8B","messages":[{"role":"user","content":"x"}],"n":1,"logprobs":true,"top_logprobs":0,"stream":false}"#)
    }

    @Test func completionsBodyExact() throws {
        #expect(try Self.text(Self.job(kind: .completions)) == #"""
        {"model":"Qwen/Qwen3-8B","prompt":"Be brief.\n\nSay \"hi\"\n","max_tokens":256,"temperature":0.7,"top_p":0.95,\#
        "seed":45,"stop":["</s>","\n\n"],"n":1,"logprobs":5,"stream":false}
        """#)
    }

    @Test func completionsPromptBuilding() throws {
        #expect(try RequestEncoder.completionsPrompt([ChatMessage(role: "user", content: "u")]) == "u")
        #expect(try RequestEncoder.completionsPrompt([ChatMessage(role: "system", content: "s"), ChatMessage(role: "user", content: "u")]) == "s\n\nu")
    }

    @Test func completionsRejectsOtherConversations() {
        let bad: [[ChatMessage]] = [
            [],
            [ChatMessage(role: "system", content: "s")],
            [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b"), ChatMessage(role: "user", content: "c")],
            [ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")],
        ]
        for messages in bad {
            #expect(throws: WireError.self) { try RequestEncoder.body(for: Self.job(kind: .completions, messages: messages)) }
        }
        do {
            _ = try RequestEncoder.body(for: Self.job(kind: .completions, messages: bad[2]))
        } catch {
            #expect(error.description.contains("3 message(s) (user, assistant, user)"))
            #expect(error.description.contains("use a chat endpoint"))
        }
        // The same conversation is fine for chat.
        #expect(throws: Never.self) { try RequestEncoder.body(for: Self.job(kind: .chat, messages: bad[2])) }
    }

    @Test func extraBodyMergesAndOverrides() throws {
        var p = SamplingParams(maxTokens: 8, temperature: 1, seed: 1, topLogprobs: 2)
        p.extraBody = [
            ("top_k", .number(20)),
            ("temperature", .number(0.6)),
            ("chat_template_kwargs", .object([("enable_thinking", .bool(false))])),
            ("return_tokens_as_token_ids", .bool(true)),
            ("top_k", .number(40)),
            ("stream", .bool(false)),
        ]
        let body = try Self.text(Self.job(params: p, messages: [ChatMessage(role: "user", content: "x")], sampleIndex: 0))
        #expect(body == #"""
        {"model":"Qwen/Qwen3-8B","messages":[{"role":"user","content":"x"}],"max_tokens":8,"temperature":0.6,"seed":1,\#
        "n":1,"logprobs":true,"top_logprobs":2,"stream":false,"top_k":40,"chat_template_kwargs":{"enable_thinking":false},\#
        "return_tokens_as_token_ids":true}
        """#)
        // The body is valid JSON with no duplicate keys.
        let keys = try #require(try JSONValue.parse(body).objectValue).map(\.0)
        #expect(Set(keys).count == keys.count)
    }

    @Test func extraBodyCannotStream() {
        var p = SamplingParams()
        p.extraBody = [("stream", .bool(true))]
        #expect(throws: WireError.self) { try RequestEncoder.body(for: Self.job(params: p)) }
    }

    @Test func seedPerSample() throws {
        for i in 0..<3 {
            let v = try JSONValue.parse(try RequestEncoder.body(for: Self.job(params: SamplingParams(seed: 100), sampleIndex: i)))
            #expect(v["seed"]?.intValue == 100 + i)
        }
    }

    @Test func headers() {
        #expect(RequestEncoder.headers(apiKey: nil) == [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")])
        #expect(RequestEncoder.headers(apiKey: "") == RequestEncoder.headers(apiKey: nil))
        #expect(RequestEncoder.headers(apiKey: "sk-1").last == HTTPHeader("Authorization", "Bearer sk-1"))
        #expect(RequestEncoder.headers(apiKey: "sk-1").count == 3)
    }
}
