import HarvestCore
import HarvestKit
import Testing

/// Prompt ids written as JSON numbers are kept exactly (no Double in between).
@Suite struct NumericPromptIdTests {
    func ids(_ lines: [String]) throws -> [String] {
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        return try PromptFileReader().parse(bytes, name: "ids.jsonl", format: .jsonl).map(\.externalId)
    }

    @Test func integersAbove2To53StayDistinct() throws {
        let got = try ids([
            #"{"id":12345678901234567890,"prompt":"a"}"#,
            #"{"id":12345678901234567891,"prompt":"b"}"#,
            #"{"id":9007199254740993,"prompt":"c"}"#,
            #"{"id":-9223372036854775809,"prompt":"d"}"#,
        ])
        #expect(got == ["12345678901234567890", "12345678901234567891", "9007199254740993", "-9223372036854775809"])
    }

    @Test func earlierSpellingsKeepTheirIds() throws {
        let got = try ids([
            #"{"id":7,"prompt":"a"}"#, #"{"id":-0,"prompt":"b"}"#, #"{"id":1.0,"prompt":"c"}"#, #"{"id":1e3,"prompt":"d"}"#,
            #"{"id":2.5,"prompt":"e"}"#, #"{"prompt":"f","id" : 42}"#, #"{"metadata":{"id":1},"id":"s","prompt":"g"}"#,
        ])
        #expect(got == ["7", "0", "1", "1000", "2.5", "42", "s"])
    }

    @Test func nonFiniteIdIsABadLineNamingTheField() throws {
        #expect {
            _ = try ids([#"{"id":NaN,"prompt":"a"}"#])
        } throws: { error in
            "\(error)".contains("ids.jsonl:1") && "\(error)".contains("id")
        }
    }

    @Test func nulCollidersGetDistinctDefaultIdsAndHashes() throws {
        let lines = [#"{"prompt":"a\u0000assistant\u0000x\u0000user\u0000b"}"#,
                     #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"x"},{"role":"user","content":"b"}]}"#]
        let prompts = try PromptFileReader().parse(Array((lines.joined(separator: "\n")).utf8), name: "n.jsonl", format: .jsonl)
        #expect(prompts.count == 2)
        #expect(prompts[0].externalId != prompts[1].externalId)
        #expect(prompts[0].contentHash != prompts[1].contentHash)
    }
}
