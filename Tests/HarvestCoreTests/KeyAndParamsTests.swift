import HarvestCore
import HarvestJSON
import Testing

@Suite struct KeyAndParamsTests {
    static let messages = [ChatMessage(role: "system", content: "You are terse."), ChatMessage(role: "user", content: "2+2?")]
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1///", model: "Qwen/Qwen3-8B", kind: .chat)
    static let params = SamplingParams(
        maxTokens: 512, temperature: 0.6, topP: 0.95, seed: 1234, stop: ["</s>"], topLogprobs: 5,
        extraBody: [("top_k", .number(20)), ("chat_template_kwargs", .object([("enable_thinking", .bool(false))]))])

    @Test func canonicalJSONIsStable() {
        #expect(Self.params.canonicalJSON == #"""
        {"max_tokens":512,"temperature":0.6,"top_p":0.95,"seed":1234,"stop":["</s>"],"top_logprobs":5,\#
        "extra":{"chat_template_kwargs":{"enable_thinking":false},"top_k":20}}
        """#)
        #expect(SamplingParams().canonicalJSON == "{}")
        #expect(SamplingParams(temperature: 1, topLogprobs: 0).canonicalJSON == #"{"temperature":1.0,"top_logprobs":0}"#)
    }

    @Test func canonicalFormIgnoresExtraOrder() {
        var a = SamplingParams(extraBody: [("b", .number(1)), ("a", .object([("y", .null), ("x", .array([.string("s")]))]))])
        var b = SamplingParams(extraBody: [("a", .object([("x", .array([.string("s")])), ("y", .null)])), ("b", .number(1))])
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.canonicalJSON == #"{"extra":{"a":{"x":["s"],"y":null},"b":1}}"#)
        a.temperature = 0.5
        #expect(a != b)
        b.temperature = 0.5
        #expect(a == b)
    }

    @Test func canonicalRoundTrip() throws {
        let back = try SamplingParams.fromCanonicalJSON(Self.params.canonicalJSON)
        #expect(back == Self.params)
        #expect(back.canonicalJSON == Self.params.canonicalJSON)
        #expect(back.maxTokens == 512 && back.seed == 1234 && back.topLogprobs == 5 && back.stop == ["</s>"])
    }

    @Test func seedPerSample() {
        #expect(Self.params.seed(forSample: 0) == 1234)
        #expect(Self.params.seed(forSample: 7) == 1241)
        #expect(SamplingParams().seed(forSample: 3) == nil)
    }

    @Test func promptHashIsStable() {
        // Computed independently (Python): sha256("harvest-prompt-v2\n" + per field: 8-byte big-endian length + UTF-8).
        #expect(PromptHash.hex(PromptHash.hash(Self.messages)) == "1e3c0a697c9f1def19bd9f29dee93d37cea4a32c5beece85b0a728eac7733565")
        // The legacy digest (role NUL content NUL) is kept for migrations and default ids.
        #expect(PromptHash.hex(PromptHash.legacyHash(Self.messages)) == "601d33d5a60f035a961f25709d4754e710f00818a75158ba7f261c73807dae7e")
        // Role/content boundaries matter.
        #expect(PromptHash.hash([ChatMessage(role: "user", content: "ab")]) != PromptHash.hash([ChatMessage(role: "usera", content: "b")]))
    }

    @Test func jobKeyIsStable() {
        let key = JobKey.make(promptHash: PromptHash.hash(Self.messages), teacher: Self.teacher, params: Self.params, sampleIndex: 3)
        // Computed independently: sha256("harvest-job-v1\n" + promptHash + "\nmodel\nname\nkind\ncanonical\nindex"),
        // name = the default identity "Qwen/Qwen3-8B@chat" (no URL).
        #expect(PromptHash.hex(key) == "b8e5c5205c4d256744452b8660de8aeed074731ae8a78edd652f08a60c665f76")
    }

    @Test func jobKeyChangesWithEveryComponent() {
        let ph = PromptHash.hash(Self.messages)
        let base = JobKey.make(promptHash: ph, teacher: Self.teacher, params: Self.params, sampleIndex: 3)
        var p2 = Self.params
        p2.temperature = 0.7
        let variants = [
            JobKey.make(promptHash: PromptHash.hash([ChatMessage(role: "user", content: "2+2?")]), teacher: Self.teacher, params: Self.params, sampleIndex: 3),
            JobKey.make(promptHash: ph, teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-8B", kind: .completions),
                        params: Self.params, sampleIndex: 3),
            JobKey.make(promptHash: ph, teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-8B", name: "gpu-a"), params: Self.params, sampleIndex: 3),
            JobKey.make(promptHash: ph, teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-4B"), params: Self.params, sampleIndex: 3),
            JobKey.make(promptHash: ph, teacher: Self.teacher, params: p2, sampleIndex: 3),
            JobKey.make(promptHash: ph, teacher: Self.teacher, params: Self.params, sampleIndex: 4),
        ]
        for v in variants { #expect(v != base) }
        #expect(Set(variants.map { PromptHash.hex($0) }).count == variants.count)
        // The API key variable name is not part of the key.
        let withKey = TeacherEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen3-8B", apiKeyEnv: "KEY")
        #expect(JobKey.make(promptHash: ph, teacher: withKey, params: Self.params, sampleIndex: 3) == base)
        // Neither is the URL: a teacher restarted on another port or host keeps its keys.
        let moved = TeacherEndpoint(baseURL: "http://10.0.0.7:9001/v1", model: "Qwen/Qwen3-8B")
        #expect(JobKey.make(promptHash: ph, teacher: moved, params: Self.params, sampleIndex: 3) == base)
    }

    @Test func endpoint() {
        #expect(Self.teacher.baseURL == "http://127.0.0.1:8000/v1")
        #expect(Self.teacher.requestURL == "http://127.0.0.1:8000/v1/chat/completions")
        #expect(TeacherEndpoint(baseURL: "https://api.example/v1", model: "m", kind: .completions).requestURL == "https://api.example/v1/completions")
    }

    @Test func chatMessagesRoundTrip() throws {
        let messages = [ChatMessage(role: "user", content: "quote \" backslash \\ newline \n é 😀 \u{1}")]
        let json = ChatMessage.jsonArray(messages)
        #expect(json == #"[{"role":"user","content":"quote \" backslash \\ newline \n é 😀 \u0001"}]"#)
        #expect(try ChatMessage.parseArray(json) == messages)
        #expect(throws: JSONError.self) { try ChatMessage.parseArray(#"[{"role":"user"}]"#) }
        #expect(throws: JSONError.self) { try ChatMessage.parseArray(#"{}"#) }
    }

    @Test func httpHelpers() {
        let r = HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")])
        #expect(r.header("content-type") == "application/json")
        #expect(r.header("x-missing") == nil)
        let e = TransportError(kind: .timeout, code: 28, message: "Operation timed out", url: "http://h/v1/chat/completions")
        #expect(e.description == "timeout error talking to http://h/v1/chat/completions: Operation timed out (curl code 28)")
    }
}
