import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

/// The mock in SGLang's shape (``MockServerShape/sglang``): `return_token_ids` adds `token_ids` / `prompt_token_ids`,
/// vLLM's members are ignored as SGLang's request models ignore unknown members, echo offsets are -1.
@Suite struct SGLangShapeMockTests {
    static var sglang: MockTeacherConfiguration {
        var c = MockTeacherConfiguration()
        c.shape = .sglang
        return c
    }

    @Test func chatSendsTokenIdsAndIgnoresVLLMMembers() throws {
        try withServer(Self.sglang) { _, port in
            let body = chatBody(topLogprobs: 2) { w in
                w.key("return_token_ids"); w.bool(true)
                w.key("return_tokens_as_token_ids"); w.bool(true)
                w.key("prompt_logprobs"); w.int(2)
            }
            let json = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: body).json()
            let choice = try #require(choices(json).first)
            let content = try #require(choice["logprobs"]?["content"]?.arrayValue)
            let ids = try #require(choice["token_ids"]?.arrayValue).compactMap { $0.intValue }
            #expect(ids.count == content.count && ids.count == 8)
            #expect(content.allSatisfy { $0["token"]?.stringValue?.hasPrefix("token_id:") == false }, "tokens stay text")
            #expect(choice["prompt_token_ids"]?.arrayValue?.isEmpty == false)
            #expect(json["prompt_logprobs"] == nil, "SGLang has no prompt_logprobs: the member is ignored")
        }
    }

    @Test func echoHasMinusOneOffsetsAndPromptIds() throws {
        try withServer(Self.sglang) { _, port in
            let body = #"{"model":"mock-teacher","prompt":"Once upon a time","max_tokens":1,"logprobs":3,"echo":true,"return_token_ids":true}"#
            let json = try TestHTTPClient(port: port).request("POST", "/v1/completions", body: body).json()
            let choice = try #require(choices(json).first)
            let logprobs = try #require(choice["logprobs"])
            let tokens = try #require(logprobs["tokens"]?.arrayValue)
            let prompt = try #require(choice["prompt_token_ids"]?.arrayValue)
            #expect(choice["token_ids"]?.arrayValue?.count == 1)
            #expect(tokens.count == prompt.count + 1, "the prompt's tokens, then the generated one")
            #expect(logprobs["text_offset"]?.arrayValue?.allSatisfy { $0.intValue == -1 } == true)
            #expect(logprobs["token_logprobs"]?.arrayValue?.first?.isNull == true && logprobs["top_logprobs"]?.arrayValue?.first?.isNull == true)
            #expect(logprobs["top_logprobs"]?.arrayValue?.dropFirst().allSatisfy { ($0.objectValue?.count ?? 0) == 3 } == true,
                    "top-k only: the scored token is not added")
        }
    }
}
