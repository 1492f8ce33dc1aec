import HarvestCore
import OpenAIWire
import Testing

/// The value rules: non-finite or positive logprobs and wrong-type content are invalid values (never stored);
/// odd usage is corrected, never a decode error.
@Suite struct ValueRulesTests {
    static func chat(logprob: String, top: String = "-0.5") -> String {
        #"{"choices":[{"message":{"content":"a"},"logprobs":{"content":[{"token":"a","logprob":"# + logprob
            + #","top_logprobs":[{"token":"b","logprob":"# + top + "}]}]}}]}"
    }

    static func legacy(_ value: String) -> String {
        #"{"choices":[{"text":"a","logprobs":{"tokens":["a"],"token_logprobs":["# + value + #"],"top_logprobs":[{"a":"# + value + "}]}}]}"
    }

    static func isInvalidValue(_ body: String, _ kind: EndpointKind = .chat) -> Bool {
        for encode in [false, true] {
            do {
                _ = try ResponseDecoder.decode(Array(body.utf8), kind: kind, encodeLogprobs: encode)
                return false
            } catch {
                guard case .invalidValue = error else { return false }
            }
        }
        return true
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity", "5.0", "1e-5", "1.7976931348623157e308"])
    func nonFiniteOrPositiveLogprobIsInvalid(_ value: String) {
        #expect(Self.isInvalidValue(Self.chat(logprob: value)))
        #expect(Self.isInvalidValue(Self.chat(logprob: "-1", top: value)))
        #expect(Self.isInvalidValue(Self.legacy(value), .completions))
    }

    @Test func tinyPositiveFromRoundingIsKeptAsSent() throws {
        for encode in [false, true] {
            let r = try ResponseDecoder.decode(Array(Self.chat(logprob: "1e-7", top: "0.000001").utf8), kind: .chat, encodeLogprobs: encode)
            let lp: [TokenLogprob]
            if encode {
                lp = try LogprobCodec.decode(try #require(r.choices[0].encodedLogprobs))
            } else {
                lp = try #require(r.choices[0].logprobs)
            }
            #expect(lp[0].logprob == 1e-7)
            #expect(lp[0].top[0].logprob == 1e-6)
        }
    }

    @Test(arguments: ["123", #"{"a":1}"#, "true", "[1]"])
    func wrongTypeContentIsInvalid(_ value: String) {
        // An array of parts is accepted (joined from their text); an array of numbers has no text and gives "".
        if value == "[1]" {
            #expect(!Self.isInvalidValue(#"{"choices":[{"message":{"content":[1]}}]}"#))
            return
        }
        #expect(Self.isInvalidValue(#"{"choices":[{"message":{"content":"# + value + "}}]}"))
        #expect(Self.isInvalidValue(#"{"choices":[{"text":"# + value + "}]}", .completions))
    }

    @Test func nullContentIsEmpty() throws {
        #expect(try decode(#"{"choices":[{"message":{"content":null}}]}"#).choices[0].content == "")
    }

    @Test func usageIsCorrectedNeverRejected() throws {
        let r = try decode(#"{"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":-5,"completion_tokens":1e30,"total_tokens":9223372036854775807,"completion_tokens_details":{"reasoning_tokens":3}}}"#)
        let u = try #require(r.usage)
        #expect(u.promptTokens == nil)
        #expect(u.completionTokens == Usage.maxTokens)
        #expect(u.totalTokens == Usage.maxTokens)
        #expect(u.reasoningTokens == 3)
        #expect(u.corrections.count == 3)
        #expect(u.corrections[0].contains("prompt_tokens -5 is negative"))
        #expect(u.corrections[1].contains("completion_tokens 1e30 is too large"))
        let ok = try decode(#"{"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"#)
        #expect(ok.usage == Usage(promptTokens: 7, completionTokens: 2, totalTokens: 9))
    }
}
