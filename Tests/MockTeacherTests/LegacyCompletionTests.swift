import HarvestJSON
import HarvestTestSupport
import MockTeacher
import Testing

@Suite struct LegacyCompletionTests {
    @Test func legacyShapeHasParallelLogprobArrays() throws {
        try withServer { _, port in
            let body = #"{"model":"mock-teacher","prompt":"Once upon a time","max_tokens":9,"logprobs":3,"seed":1}"#
            let response = try TestHTTPClient(port: port).request("POST", "/v1/completions", body: body)
            #expect(response.status == 200)
            let json = try response.json()
            #expect(json["object"]?.stringValue == "text_completion")
            #expect(json["id"]?.stringValue?.hasPrefix("cmpl-") == true)
            let choice = try #require(choices(json).first)
            #expect(choice["finish_reason"]?.stringValue == "length")
            let text = try #require(choice["text"]?.stringValue)
            let logprobs = try #require(choice["logprobs"])
            let tokens = try #require(logprobs["tokens"]?.arrayValue?.compactMap { $0.stringValue })
            let tokenLogprobs = try #require(logprobs["token_logprobs"]?.arrayValue?.compactMap { $0.doubleValue })
            let top = try #require(logprobs["top_logprobs"]?.arrayValue)
            let offsets = try #require(logprobs["text_offset"]?.arrayValue?.compactMap { $0.intValue })
            #expect(tokens.count == 9 && tokenLogprobs.count == 9 && top.count == 9 && offsets.count == 9)
            #expect(tokens.joined() == text)
            #expect(offsets.first == 0)
            #expect(offsets == offsets.sorted())
            for (i, alternatives) in top.enumerated() {
                let members = try #require(alternatives.objectValue)
                var keys: [String] = []
                var values: [Double] = []
                for (key, value) in members {
                    keys.append(key)
                    values.append(value.doubleValue ?? 0)
                }
                #expect(keys.count == 3)
                #expect(values == values.sorted(by: >))
                let chosenSlot = keys.firstIndex(of: tokens[i])
                #expect(chosenSlot.map { values[$0] } == tokenLogprobs[i])
            }
            #expect(json["usage"]?["prompt_tokens"]?.intValue == 4)
            #expect(json["usage"]?["completion_tokens"]?.intValue == 9)
        }
    }

    @Test func legacyWithoutLogprobsHasNull() throws {
        try withServer { _, port in
            let response = try TestHTTPClient(port: port)
                .request("POST", "/v1/completions", body: #"{"prompt":"Hello","max_tokens":3,"n":2}"#)
            let json = try response.json()
            #expect(choices(json).count == 2)
            #expect(choices(json).allSatisfy { $0["logprobs"]?.isNull == true })
            #expect(json["model"]?.stringValue == "mock-teacher")
        }
    }
}
