import HarvestCore
import HarvestCurate
import HarvestJSON
import Testing

/// The detail JSON of a mark as an object.
func detail(_ mark: CurationMark?) throws -> JSONValue {
    try JSONValue.parse(try #require(mark).detail)
}

@Suite("Response filters")
struct FilterTests {
    @Test func finishReason() throws {
        let f = FinishReasonFilter()
        let mark = f.check(response(id: 1, finish: "length"))
        #expect(mark?.stage == "filter.finish_reason")
        #expect(mark?.reason == #"finish_reason is "length""#)
        #expect(try detail(mark)["finish_reason"] == .string("length"))
        #expect(f.check(response(id: 2, finish: "content_filter")) != nil)
        #expect(f.check(response(id: 3, finish: "stop")) == nil)
        #expect(f.check(response(id: 4, finish: nil)) == nil)
        #expect(f.params.canonicalJSON == #"{"drop":["content_filter","length"]}"#)
    }

    @Test func lengthInTokensAndCharacters() throws {
        let f = try LengthFilter(minTokens: 5, maxTokens: 100, minCharacters: 3)
        let short = f.check(response(id: 1, content: "four", completionTokens: 2))
        #expect(short?.reason == "2 completion tokens, below the minimum 5")
        #expect(try detail(short)["tokens"] == .number(2))
        #expect(try detail(short)["tokens_source"] == .string("usage"))
        #expect(try detail(short)["min_tokens"] == .number(5))
        let fromLogprobs = f.check(response(id: 2, content: "long enough", logprobs: Array(repeating: -0.1, count: 101)))
        #expect(fromLogprobs?.reason == "101 completion tokens, above the maximum 100")
        #expect(try detail(fromLogprobs)["tokens_source"] == .string("logprobs"))
        let fewChars = f.check(response(id: 3, content: "é!", completionTokens: 10))
        #expect(fewChars?.reason == "2 characters, below the minimum 3")
        #expect(try detail(fewChars)["characters"] == .number(2))
        #expect(f.check(response(id: 4, content: "fine answer", completionTokens: 10)) == nil)
        #expect(f.check(response(id: 5, content: "no token count")) == nil)  // tokens unknown: token bounds not applied
        #expect(throws: CurationError.self) { try LengthFilter(minTokens: 10, maxTokens: 5) }
    }

    @Test func refusalPhrasesAndPatterns() throws {
        let f = try RefusalFilter(patterns: ["(?i)\\bnot allowed to\\b"])
        let curly = f.check(response(id: 1, content: "I\u{2019}m sorry, but I can\u{2019}t help with that request."))
        #expect(curly?.stage == "filter.refusal")
        #expect(try detail(curly)["phrase"] == .string("i'm sorry, but i can't"))
        let ai = f.check(response(id: 2, content: "As an AI language model,\nI have no opinions."))
        #expect(ai?.reason == #"refusal phrase "as an ai language model""#)
        let pattern = f.check(response(id: 3, content: "Sadly I am NOT allowed to say."))
        #expect(try detail(pattern)["match"] == .string("NOT allowed to"))
        #expect(try detail(pattern)["offset"] == .number(11))
        #expect(f.check(response(id: 4, content: "Sure! The answer is 4.")) == nil)
    }

    @Test func invalidRegexIsReportedBeforeAnythingRuns() throws {
        let error = try #require(throws: CurationError.self) { try RefusalFilter(patterns: ["fine", "(unclosed"]) }
        #expect(error.kind == .regex)
        #expect(error.location == "filter.refusal")
        #expect(error.field == "(unclosed")
        #expect(error.description.hasPrefix(#"filter.refusal: field "(unclosed": is not a valid regular expression"#))
        #expect(throws: CurationError.self) { try RegexFilter(mustNotContain: ["[a-"]) }
        #expect(throws: CurationError.self) { try JSONValidityFilter(promptPattern: "*json") }
    }

    @Test func repetition() throws {
        let f = try RepetitionFilter()
        let loop = String(repeating: "I think that ", count: 20) + "done"
        let mark = f.check(response(id: 1, content: loop))
        let fraction = try #require(try detail(mark)["repeated_fraction"]?.doubleValue)
        #expect(fraction > 0.9)
        #expect(try detail(mark)["n"] == .number(3))
        #expect(mark?.reason.contains("% of word 3-grams are repeats, above 30%") == true)
        let prose = "The quick brown fox jumps over the lazy dog while the cat watches from a sunny window ledge."
        #expect(try #require(f.repeatedFraction(prose)).fraction == 0)
        #expect(f.check(response(id: 2, content: prose)) == nil)
        #expect(f.check(response(id: 3, content: "yes yes yes yes")) == nil)  // fewer than 10 n-grams: not judged
    }

    @Test func meanLogprob() throws {
        let f = try LogprobFilter(minMeanLogprob: -1)
        let unsure = f.check(response(id: 1, logprobs: [-0.5, -2.5, -3.0]))
        #expect(unsure?.reason == "mean token logprob -2 over 3 tokens, below -1")
        #expect(try detail(unsure)["mean_logprob"] == .number(-2))
        #expect(try detail(unsure)["tokens"] == .number(3))
        #expect(f.check(response(id: 2, logprobs: [-0.1, -0.2])) == nil)
        #expect(f.check(response(id: 3)) == nil)
        #expect(throws: CurationError.self) { try LogprobFilter(minMeanLogprob: 0.5) }
    }

    @Test func mustAndMustNotContain() throws {
        let f = try RegexFilter(mustContain: ["\\\\boxed\\{"], mustNotContain: ["(?i)lorem ipsum"])
        let missing = f.check(response(id: 1, content: "The answer is 4."))
        #expect(try detail(missing)["must_contain"] == .string("\\\\boxed\\{"))
        let forbidden = f.check(response(id: 2, content: "\\boxed{4} Lorem Ipsum"))
        #expect(try detail(forbidden)["match"] == .string("Lorem Ipsum"))
        #expect(f.check(response(id: 3, content: "so \\boxed{4}")) == nil)
        let onReasoning = try RegexFilter(mustContain: ["verify"], field: .reasoning)
        #expect(onReasoning.check(response(id: 4, content: "verify", reasoning: "guess")) != nil)
    }

    @Test func reasoningRequired() throws {
        let f = ReasoningRequiredFilter()
        let none = f.check(response(id: 1, content: "4"))
        #expect(none?.reason == "no reasoning and no <think> block")
        #expect(try detail(none)["think_block"] == .bool(false))
        #expect(f.check(response(id: 2, content: "<think> \n </think>4"))?.reason == "no reasoning and an empty <think> block")
        #expect(f.check(response(id: 3, content: "<think>2+2=4</think>4")) == nil)
        #expect(f.check(response(id: 4, content: "4", reasoning: "two plus two")) == nil)
        #expect(f.check(response(id: 5, content: "<think>still going")) == nil)
    }

    @Test func jsonWhenThePromptAsksForIt() throws {
        let f = try JSONValidityFilter()
        let bad = f.check(response(id: 1, prompt: "Reply in JSON with keys a and b.", content: "Sure! {a: 1}"))
        #expect(bad?.stage == "filter.json")
        #expect(try detail(bad)["source"] == .string("content"))
        #expect(try detail(bad)["offset"] == .number(0))
        let badFence = f.check(response(id: 2, prompt: "Return json.", content: "Here:\n```json\n{\"a\": 1,}\n```"))
        #expect(try detail(badFence)["source"] == .string("fence"))
        #expect(f.check(response(id: 3, prompt: "Return JSON.", content: "Here you go:\n```json\n{\"a\": 1}\n```\nDone.")) == nil)
        #expect(f.check(response(id: 4, prompt: "Return JSON.", content: "<think>hmm</think>\n {\"a\": [1, 2]} ")) == nil)
        #expect(f.check(response(id: 5, prompt: "Return JSON.", content: "```\n[1, 2]\n```")) == nil)
        #expect(f.check(response(id: 6, prompt: "What is 2+2?", content: "not json")) == nil)
        #expect(f.check(response(id: 7, prompt: "Explain JSONPath", content: "not json")) == nil)  // \bjson\b
    }
}
