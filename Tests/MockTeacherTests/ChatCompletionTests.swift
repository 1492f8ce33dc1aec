#if canImport(Glibc)
import Glibc
#endif
import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

@Suite struct ChatCompletionTests {
    @Test func logprobsHaveTheOpenAIShape() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 12, topLogprobs: 5))
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            let json = try response.json()
            #expect(json["object"]?.stringValue == "chat.completion")
            #expect(json["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            #expect(json["model"]?.stringValue == "mock-teacher")
            #expect(json["created"]?.intValue != nil)
            let all = choices(json)
            try #require(all.count == 1)
            let choice = all[0]
            #expect(choice["index"]?.intValue == 0)
            #expect(choice["finish_reason"]?.stringValue == "length")
            #expect(choice["message"]?["role"]?.stringValue == "assistant")
            let content = try #require(choice["message"]?["content"]?.stringValue)
            let entries = try #require(choice["logprobs"]?["content"]?.arrayValue)
            #expect(entries.count == 12)
            var joined = ""
            for entry in entries {
                let token = try #require(entry["token"]?.stringValue)
                joined += token
                let logprob = try #require(entry["logprob"]?.doubleValue)
                #expect(logprob < 0)
                #expect(entry["bytes"]?.arrayValue?.compactMap { $0.intValue } == token.utf8.map { Int($0) })
                let top = try #require(entry["top_logprobs"]?.arrayValue)
                #expect(top.count == 5)
                let values = top.compactMap { $0["logprob"]?.doubleValue }
                #expect(values.count == 5)
                #expect(values == values.sorted(by: >))
                #expect(values.reduce(0) { $0 + exp($1) } <= 1.0000001)
                #expect(top.contains { $0["token"]?.stringValue == token && $0["logprob"]?.doubleValue == logprob })
                #expect(Set(top.compactMap { $0["token"]?.stringValue }).count == 5)
                for alternative in top {
                    let text = try #require(alternative["token"]?.stringValue)
                    #expect(alternative["bytes"]?.arrayValue?.compactMap { $0.intValue } == text.utf8.map { Int($0) })
                }
            }
            #expect(joined == content)
            #expect(json["usage"]?["completion_tokens"]?.intValue == 12)
            // "You are terse." (3 words) + the 7-word user message.
            #expect(json["usage"]?["prompt_tokens"]?.intValue == 10)
            #expect(json["usage"]?["total_tokens"]?.intValue == 22)
        }
    }

    @Test func logprobsAreFullPrecisionDoubles() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 32, topLogprobs: 2))
            // Shortest round-trip form: most values need 15+ significant digits.
            let text = response.text
            let long = text.split(separator: ",").filter { $0.hasPrefix("\"logprob\":-") && $0.count >= 11 + 15 }
            #expect(long.count > 32)
        }
    }

    @Test func sameRequestGivesByteIdenticalAnswers() throws {
        try withServer { _, port in
            let first = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            let second = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody())
            let otherSeed = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: chatBody(seed: 8))
            #expect(first.status == 200)
            #expect(first.body == second.body)
            #expect(first.body != otherSeed.body)
        }
    }

    @Test func tokensDoNotDependOnTopLogprobs() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            var contents: [String] = []
            for k in [nil, 0, 1, 2, 5, 20] {
                let json = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 40, topLogprobs: k)).json()
                contents.append(choices(json).first?["message"]?["content"]?.stringValue ?? "?")
                if k == nil { #expect(choices(json).first?["logprobs"]?.isNull == true) }
            }
            #expect(Set(contents).count == 1)
        }
    }

    @Test func nChoicesAreReturned() throws {
        try withServer { _, port in
            let json = try TestHTTPClient(port: port)
                .request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 10, n: 3)).json()
            let all = choices(json)
            #expect(all.map { $0["index"]?.intValue } == [0, 1, 2])
            #expect(Set(all.compactMap { $0["message"]?["content"]?.stringValue }).count == 3)
            #expect(all.allSatisfy { $0["logprobs"]?["content"]?.arrayValue?.count == 10 })
            #expect(json["usage"]?["completion_tokens"]?.intValue == 30)
        }
    }

    @Test func stopStringEndsTheAnswerEarly() throws {
        try withServer { _, port in
            let body = chatBody(maxTokens: 200, topLogprobs: 1) { w in
                w.key("stop"); w.beginArray(); w.string(" the"); w.string(" model"); w.endArray()
            }
            let json = try TestHTTPClient(port: port).request("POST", "/v1/chat/completions", body: body).json()
            let choice = try #require(choices(json).first)
            let content = try #require(choice["message"]?["content"]?.stringValue)
            #expect(choice["finish_reason"]?.stringValue == "stop")
            #expect(!content.contains(" the") && !content.contains(" model"))
            let count = choice["logprobs"]?["content"]?.arrayValue?.count ?? -1
            #expect(count < 200)
            #expect(json["usage"]?["completion_tokens"]?.intValue == count)
        }
    }

    @Test func earlyStopRateGivesDeterministicStops() throws {
        var configuration = MockTeacherConfiguration()
        configuration.earlyStopRate = 1
        try withServer(configuration) { _, port in
            let client = try TestHTTPClient(port: port)
            let first = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 50))
            let again = try client.request("POST", "/v1/chat/completions", body: chatBody(maxTokens: 50))
            let choice = try #require(choices(try first.json()).first)
            #expect(choice["finish_reason"]?.stringValue == "stop")
            #expect((choice["logprobs"]?["content"]?.arrayValue?.count ?? 50) < 50)
            #expect(first.body == again.body)
        }
    }

    @Test func mockReasoningAddsReasoningContent() throws {
        try withServer { _, port in
            let client = try TestHTTPClient(port: port)
            let with = try client.request("POST", "/v1/chat/completions",
                                          body: chatBody { w in w.key("mock_reasoning"); w.bool(true) }).json()
            let without = try client.request("POST", "/v1/chat/completions", body: chatBody()).json()
            let reasoning = choices(with).first?["message"]?["reasoning_content"]?.stringValue ?? ""
            #expect(!reasoning.isEmpty)
            #expect(choices(without).first?["message"]?["reasoning_content"] == nil)
        }
    }

    @Test func malformedJSONIsA400() throws {
        try withServer { server, port in
            let client = try TestHTTPClient(port: port)
            let response = try client.request("POST", "/v1/chat/completions", body: "{\"model\": \"mock-teacher\", \"messages\": [")
            #expect(response.status == 400)
            let json = try response.json()
            #expect(json["error"]?["type"]?.stringValue == "invalid_request_error")
            #expect(json["error"]?["message"]?.stringValue?.isEmpty == false)
            // A semantically invalid body is a 400 too, and the connection stays usable.
            let invalid = try client.request("POST", "/v1/chat/completions", body: "{\"model\":\"m\",\"messages\":[],\"max_tokens\":4}")
            #expect(invalid.status == 400)
            #expect(try invalid.json()["error"]?["param"]?.stringValue == "messages")
            #expect(try client.request("POST", "/v1/chat/completions", body: chatBody()).status == 200)
            #expect(server.stats().responses(status: 400) == 2)
        }
    }
}
