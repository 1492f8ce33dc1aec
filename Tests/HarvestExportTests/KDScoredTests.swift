import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// `kd` of scored sequences: only the answer's positions (and the template's closing tokens) are written, right-aligned
/// the way axolotl maps them, the teacher's own distribution kept for closing tokens it scored.
@Suite("kd: scored sequences")
struct KDScoredTests {
    /// ChatML tokens of [system, user, assistant "Paris."] as vLLM's chat `prompt_logprobs` (add_generation_prompt
    /// false) reports them: per position the token itself first, then alternatives; the first position unscored.
    static let tokens: [(String, Int)] = [
        ("<|im_start|>", 1), ("system", 9690), ("\n", 198), ("Be brief.", 4000), ("<|im_end|>", 2), ("\n", 198),
        ("<|im_start|>", 1), ("user", 4093), ("\n", 198), ("Capital?", 4001), ("<|im_end|>", 2), ("\n", 198),
        ("<|im_start|>", 1), ("assistant", 520), ("\n", 198), ("Par", 7000), ("is", 7001), (".", 30), ("<|im_end|>", 2), ("\n", 198),
    ]

    static func row(_ tokens: [(String, Int)] = tokens, answer: String = "Paris.", form: ScoreForm = .promptLogprobs,
                    idsEverywhere: Bool = true) -> StoredResponse {
        var positions: [TokenLogprob] = []
        for (i, (text, id)) in tokens.enumerated() {
            guard i > 0 else {
                positions.append(TokenLogprob(token: text, logprob: .nan, tokenId: idsEverywhere ? id : nil))
                continue
            }
            let lp = -0.125 * Double(i % 4 + 1)
            let top = [TopLogprob(token: text, logprob: lp, tokenId: id),
                       TopLogprob(token: "alt\(i)", logprob: lp - 1, tokenId: 50_000 + i),
                       TopLogprob(token: "alt2\(i)", logprob: lp - 2, tokenId: 60_000 + i)]
            positions.append(TokenLogprob(token: text, logprob: lp, tokenId: id, top: i % 2 == 0 ? top : Array(top.prefix(2))))
        }
        var params = SamplingParams(topLogprobs: 2)
        params.score = form
        params.maxTokens = 1
        return StoredResponse(
            id: 40, jobId: 41, promptId: 42, promptHash: "bb40", externalId: "p#7", metadataJSON: nil,
            messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Capital?"),
                       ChatMessage(role: "assistant", content: answer)],
            teacher: Fixtures.teacher, params: params, sampleIndex: 0,
            choice: CompletionChoice(index: 0, content: "", finishReason: "length", logprobs: positions),
            usage: Usage(promptTokens: tokens.count, completionTokens: 1, totalTokens: tokens.count + 1), model: "qwen2.5-7b",
            responseId: "cmpl-40", receivedAt: 1_700_000_200)
    }

    static func line(_ format: KDFormat, _ row: StoredResponse) throws -> JSONValue {
        var w = JSONWriter()
        format.write(row, options: ExportOptions(reasoning: .field), to: &w)
        return try JSONValue.parse(w.string)
    }

    @Test func theAnswerIsFoundOnTokenBoundaries() {
        let positions = Self.row().choice.logprobs!
        #expect(KDFormat.answerSpan(positions, answer: "Paris.") == 15..<18)
        #expect(KDFormat.answerSpan(positions, answer: "aris.") == nil, "starts inside a token")
        #expect(KDFormat.answerSpan(positions, answer: "Pari") == nil, "ends inside a token")
        #expect(KDFormat.answerSpan(positions, answer: "") == nil)
        #expect(KDFormat.answerSpan(positions, answer: "\n") == 19..<20, "the last occurrence")
    }

    @Test func answerPositionsAndTheTeachersClosingTokensAreWritten() throws {
        let v = try Self.line(KDFormat(closingTokenIds: [2, 198]), Self.row())
        #expect(v["messages"]?.jsonString == #"[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital?"},{"role":"assistant","content":"Paris.","reasoning_content":""}]"#)
        // Par, is, ., then <|im_end|> and \n as the teacher scored them; k = 2 (the smallest list); each list starts
        // with the token at that position, so axolotl's input token there is the teacher's first id.
        #expect(v["target_token_ids"]?.jsonString == "[[7000,50015],[7001,50016],[30,50017],[2,50018],[198,50019]]")
        #expect(v["logprobs"]?.jsonString == "[[-0.5,-1.5],[-0.125,-1.125],[-0.25,-1.25],[-0.375,-1.375],[-0.5,-1.5]]")
        #expect(v["temperature"] == .null, "the scoring request left the temperature to the server")
    }

    @Test func closingTokensTheTeacherDidNotScoreGetProbabilityOne() throws {
        // echo on a completions endpoint: the sequence is prompt text + answer, nothing after it.
        let echo: [(String, Int)] = [("Be", 10), (" brief.", 11), ("\n\n", 12), ("Capital?", 4001), ("Paris", 7002), (".", 30)]
        let row = Self.row(echo, form: .echo)
        let v = try Self.line(KDFormat(closingTokenIds: [2, 198], temperature: 1.0), row)
        #expect(v["target_token_ids"]?.jsonString == "[[7002,50004],[30,50005],[2,2],[198,198]]")
        let half = -0.6931471805599453
        #expect(v["logprobs"]?.jsonString == "[[-0.125,-1.125],[-0.25,-1.25],[\(half),\(half)],[\(half),\(half)]]")
        #expect(v["temperature"]?.doubleValue == 1.0)
        #expect(KDFormat(closingTokenIds: [2, 198]).writtenK(row) == 2)
    }

    @Test func rowsThatCannotBeAlignedAreRefusedWithAReason() {
        let current = KDFormat(closingTokenIds: [2, 198])
        #expect(current.skipReason(Self.row(), options: ExportOptions()) == nil)
        #expect(current.skipReason(Self.row(answer: "aris."), options: ExportOptions()) == "scored_unaligned")
        #expect(current.skipReason(Self.row(answer: "Lyon."), options: ExportOptions()) == "scored_unaligned")
        // Token texts written as token_id:N cannot be matched with the answer's text.
        let spelled = Self.tokens.map { ("token_id:\($0.1)", $0.1) }
        #expect(current.skipReason(Self.row(spelled), options: ExportOptions()) == "scored_unaligned")
        // Ids are needed on the written positions only: the unscored first position may lack one.
        #expect(current.skipReason(Self.row(idsEverywhere: false), options: ExportOptions()) == nil)
        var noId = Self.row()
        noId.choice.logprobs![16].top[1].tokenId = nil
        #expect(current.skipReason(noId, options: ExportOptions()) == "no_token_ids")
        var empty = Self.row()
        empty.choice.logprobs = []
        #expect(current.skipReason(empty, options: ExportOptions()) == "no_logprobs")
        #expect(KDFormat(shape: .legacy).skipReason(Self.row(), options: ExportOptions()) == "scored_sequence")
    }

    @Test func theManifestCountsTheWrittenK() throws {
        let dir = TempDir("kd-scored")
        defer { dir.remove() }
        var unaligned = Self.row(answer: "aris.")
        unaligned.id = 41
        let plan = ExportPlan(format: KDFormat(closingTokenIds: [2, 198], temperature: 1.0), output: .file(dir.file("kd.jsonl")))
        let manifest = try PipelineTests.export([Self.row(), unaligned], plan)
        #expect(manifest.rows == 1 && manifest.skipped == ["scored_unaligned": 1])
        #expect(manifest.provenance.kd?.topK == [2])
        #expect(manifest.provenance.logprobModes == ["scored"])
    }
}
