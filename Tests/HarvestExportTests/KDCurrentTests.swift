import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// `kd` in axolotl's current shape (`target_token_ids` + per-position logprobs, closing tokens appended),
/// token-id refusal and the manifest's provenance.
@Suite("kd: axolotl's current shape")
struct KDCurrentTests {
    static func line(_ format: KDFormat, _ row: StoredResponse, _ options: ExportOptions = ExportOptions(reasoning: .field)) -> String {
        var w = JSONWriter()
        format.write(row, options: options, to: &w)
        return w.string
    }

    /// A ChatML-style answer with ids everywhere, k = 3, whose last sampled token is `<|im_end|>` (id 2).
    static let endsOnImEnd: StoredResponse = {
        var row = Fixtures.tokenIds
        func top(_ ids: [Int], _ lps: [Double]) -> [TopLogprob] {
            zip(ids, lps).map { TopLogprob(token: "token_id:\($0)", logprob: $1, tokenId: $0) }
        }
        row.params = SamplingParams(temperature: 0.7, topLogprobs: 3)
        row.choice = CompletionChoice(index: 0, content: "Yes", finishReason: "stop", logprobs: [
            TokenLogprob(token: "token_id:9642", logprob: -0.5, tokenId: 9642, top: top([9642, 2822, 7], [-0.5, -1.0, -4.25])),
            TokenLogprob(token: "token_id:2", logprob: -0.03125, tokenId: 2, top: top([2, 13, 198, 11], [-0.03125, -3.5, -6.0, -7.0])),
        ])
        return row
    }()

    @Test func goldenLineWithClosingTokensAndUniformK() {
        // Position 2 of the fixture has no alternatives: k = 1 for the whole row; both closing ids are appended.
        let got = Self.line(KDFormat(closingTokenIds: [2, 198]), Fixtures.tokenIds)
        #expect(got == #"{"messages":[{"role":"system","content":"Answer yes or no."},{"role":"user","content":"Is water wet?"},{"role":"assistant","content":"Yes.","reasoning_content":""}],"target_token_ids":[[9642],[13],[2],[198]],"logprobs":[[-0.5],[-0.125],[0.0],[0.0]],"temperature":null}"#)
    }

    @Test func closingTokensTheTeacherAlreadySentAreNotRepeated() throws {
        let format = KDFormat(closingTokenIds: [2, 198])
        #expect(KDFormat.closingOverlap(Self.endsOnImEnd.choice.logprobs!, closing: [2, 198]) == 1)
        #expect(Array(format.appendedClosingIds(Self.endsOnImEnd.choice.logprobs!)) == [198])
        let v = try JSONValue.parse(Self.line(format, Self.endsOnImEnd, ExportOptions(reasoning: .drop)))
        // k = 3 (the smallest list); the 4th alternative of position 2 is cut; the newline gets probability 1 as 3 × 1/3.
        #expect(v["target_token_ids"]?.jsonString == "[[9642,2822,7],[2,13,198],[198,198,198]]")
        let third = -1.0986122886681098
        #expect(v["logprobs"]?.jsonString == "[[-0.5,-1,-4.25],[-0.03125,-3.5,-6],[\(third),\(third),\(third)]]")
        #expect(v["temperature"]?.doubleValue == 0.7)
        // Each position's k entries sum to probability ≤ 1 and ids and logprobs have the same shape.
        let ids = try #require(v["target_token_ids"]?.arrayValue)
        let lps = try #require(v["logprobs"]?.arrayValue)
        #expect(zip(ids, lps).allSatisfy { $0.arrayValue?.count == 3 && $1.arrayValue?.count == 3 })
    }

    @Test func noClosingIdsAndTemperatureOverride() throws {
        let v = try JSONValue.parse(Self.line(KDFormat(temperature: 1.0), Self.endsOnImEnd))
        #expect(v["target_token_ids"]?.arrayValue?.count == 2)
        #expect(v["temperature"]?.doubleValue == 1.0)
        #expect(KDFormat.closingOverlap([], closing: [2]) == 0)
        // Both closing tokens already sent: nothing appended; a partial match inside the answer does not count.
        let both = [9642, 2, 198].map { (id: Int) in TokenLogprob(token: "token_id:" + String(id), logprob: -0.5, tokenId: id) }
        #expect(KDFormat.closingOverlap(both, closing: [2, 198]) == 2)
        #expect(KDFormat(closingTokenIds: [2, 198]).appendedClosingIds(both).isEmpty)
        #expect(KDFormat.closingOverlap(Array(both.prefix(2)), closing: [198, 2]) == 0)
        #expect(KDFormat.uniformK([]) == 0)
    }

    @Test(arguments: [KDShape.current, .legacy])
    func rowsWithoutIdsOrLogprobsAreRefused(shape: KDShape) {
        let format = KDFormat(shape: shape)
        let reasons = Fixtures.all.map { format.skipReason($0, options: ExportOptions()) }
        #expect(reasons == ["no_logprobs", "no_logprobs", "no_token_ids", nil])
        // One alternative without an id is enough to refuse the row.
        var row = Self.endsOnImEnd
        row.choice.logprobs![1].top[2].tokenId = nil
        #expect(format.skipReason(row, options: ExportOptions()) == "no_token_ids")
        // A scored sequence (teacher-forced logprobs over the whole conversation) is never written as an answer: the
        // legacy shape refuses it, the current one looks for its answer (here the conversation ends with no answer).
        var scored = Self.endsOnImEnd
        scored.params.score = .echo
        #expect(format.skipReason(scored, options: ExportOptions()) == (shape == .legacy ? "scored_sequence" : "scored_unaligned"))
    }

    @Test func manifestCarriesProvenanceAndAxolotlEntries() throws {
        let dir = TempDir("kd")
        defer { dir.remove() }
        var other = Self.endsOnImEnd
        other.id = 9
        other.params = SamplingParams(temperature: 0.7, topLogprobs: 3)
        let plan = ExportPlan(format: KDFormat(closingTokenIds: [2, 198]), output: .file(dir.file("kd.jsonl")))
        let manifest = try PipelineTests.export(Fixtures.all + [other], plan)
        #expect(manifest.rows == 2)
        #expect(manifest.skipped == ["no_logprobs": 2, "no_token_ids": 1])
        let json = try JSONValue.parse(readBytes(dir.file("kd.jsonl.manifest.json")))
        let p = try #require(json["provenance"])
        #expect(p["logprob_mode"]?.jsonString == #"["sampled"]"#)
        #expect(p["top_logprobs"]?.jsonString == "[2,3]")
        #expect(p["temperatures"]?.jsonString == "[null,0.7]")
        #expect(p["models"]?.jsonString == #"["llama-3.1-8b"]"#)
        #expect(p["tokenizer"] == .null && p["vocab_size"] == .null)
        #expect(p["max_token_id"]?.intValue == 9642)
        #expect(p["logprob_values"]?.stringValue?.contains("raw_logprobs") == true)
        let kd = try #require(p["kd"])
        #expect(kd["shape"]?.stringValue == "current")
        #expect(kd["closing_token_ids"]?.jsonString == "[2,198]")
        #expect(kd["top_k"]?.jsonString == "[1,3]")
        #expect(kd["temperature"] == .null && kd["mixed_temperatures"] == .bool(true))
        #expect(kd["axolotl_datasets"]?.jsonString == #"[{"path":"kd.jsonl","ds_type":"json","type":"axolotl.integrations.kd.chat_template","field_messages":"messages","logprobs_field":"logprobs","temperature":null}]"#)
        #expect(json["logprobs"]?["token_ids"]?["teachers_without_ids"]?.jsonString == #"["Qwen/Qwen2.5-7B-Instruct"]"#)
        let lines = readLines(readBytes(dir.file("kd.jsonl")))
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""target_token_ids":[[9642],[13],[2],[198]]"#))
    }

    @Test func oneTemperatureGoesIntoTheAxolotlEntryAndLegacyHasNone() throws {
        let dir = TempDir("kd")
        defer { dir.remove() }
        let current = try PipelineTests.export([Self.endsOnImEnd], ExportPlan(format: KDFormat(temperature: 1.0), output: .file(dir.file("a.jsonl"))))
        #expect(current.provenance.kd?.temperature == 1.0 && current.provenance.kd?.mixedTemperatures == false)
        let a = try JSONValue.parse(readBytes(dir.file("a.jsonl.manifest.json")))
        #expect(a["provenance"]?["kd"]?["axolotl_datasets"]?.arrayValue?.first?["temperature"]?.doubleValue == 1.0)
        let legacy = try PipelineTests.export([Self.endsOnImEnd], ExportPlan(format: KDFormat(shape: .legacy), output: .file(dir.file("b.jsonl"))))
        #expect(legacy.provenance.kd?.shape == .legacy && legacy.provenance.kd?.temperature == 0.7)
        let b = try JSONValue.parse(readBytes(dir.file("b.jsonl.manifest.json")))
        #expect(b["provenance"]?["kd"]?["axolotl_datasets"]?.jsonString == "[]")
        #expect(b["provenance"]?["kd"]?["axolotl_note"]?.stringValue?.contains("load_legacy") == true)
        let plain = try PipelineTests.export([Self.endsOnImEnd], ExportPlan(format: RawFormat(), output: .file(dir.file("c.jsonl"))))
        #expect(plain.provenance.kd == nil && plain.provenance.temperatures == [0.7])
    }
}
