import Foundation
import HarvestCore
import HarvestCurate
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// The curation stage `filter.pass_rate` over a real store: marks per answer with the reason, a re-run that writes
/// nothing, new samples moving a prompt in and out of the band, a changed band, removal when left out, and the
/// config keys / parameter errors.
@Suite(.serialized) struct PassRateStageTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")

    /// Answers by prompt text for one sweep of `samples` samples (sample index → content).
    static func answer(_ store: SQLiteStore, sweep name: String, samples: Int, maxTokens: Int,
                       _ contents: [String: [String]]) async throws {
        let sweep = try store.createSweep(name: name, setName: "s", teacher: teacher, params: SamplingParams(maxTokens: maxTokens), samples: samples)
        let jobs = try await store.claimJobs(sweepId: sweep.sweepId, owner: "t", limit: 1000, leaseSeconds: 60)
        for job in jobs {
            let content = contents[job.messages.last!.content]![job.sampleIndex]
            try await store.commitSuccess(AttemptRecord(jobId: job.id, startedAt: 1, latencyMs: 1, httpStatus: 200, outcome: .success),
                                          response: ResponseRecord(jobId: job.id, choice: CompletionChoice(index: 0, content: content, finishReason: "stop"),
                                                                   usage: Usage(completionTokens: content.count), receivedAt: 2))
        }
    }

    /// p1 2 of 4 correct, p2 4 of 4, p3 0 of 4, p4 has no reference (4 answers, none judged).
    static func prepared(_ dir: TempDir) async throws -> SQLiteStore {
        let file = try dir.write("p.jsonl", """
            {"id": "p1", "prompt": "half", "answer": "\\\\frac{1}{2}"}
            {"id": "p2", "prompt": "letter", "answer": "C", "verifier": "choice"}
            {"id": "p3", "prompt": "capital", "answer": "Paris", "verifier": "exact"}
            {"id": "p4", "prompt": "poem"}
            """)
        let store = try SQLiteStore(path: dir.path("v.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: try PromptFileReader().read(path: file), sourceName: file)
        try await answer(store, sweep: "w", samples: 4, maxTokens: 64, [
            "half": ["\\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "\\boxed{2}", "no idea"],
            "letter": ["Answer: C", "(C)", "The final answer is C", "\\boxed{C}"],
            "capital": ["Answer: Lyon", "Answer: Nice", "Answer: Rome", "Answer: Lille"],
            "poem": ["Roses", "are", "red", "violets"],
        ])
        return store
    }

    /// Stage marks by prompt text.
    static func marked(_ store: SQLiteStore) throws -> [String: [String]] {
        let marks = try store.stageMarks(setName: "s", stage: PassRateStage.stage)
        var out: [String: [String]] = [:]
        for r in try store.responses(query: ResponseQuery(setName: "s", limit: 1000, includeLogprobs: false)) {
            guard let m = marks[r.id] else { continue }
            out[r.messages.last!.content, default: []].append(m.reason)
        }
        return out
    }

    @Test func marksEveryAnswerOfPromptsOutsideTheBandWithTheReason() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.prepared(dir)
        defer { store.close() }
        _ = try AnswerVerifierStage(store: store).run(setName: "s")
        let band = try #require(try PassRateBand(min: 0.25, max: 0.75))
        let stage = PassRateStage(store: store, band: band)

        let dry = try stage.run(setName: "s", dryRun: true)
        #expect(dry.marked == 12 && dry.runId == nil)
        #expect(try store.stageMarks(setName: "s", stage: PassRateStage.stage).isEmpty, "a dry run writes nothing")

        let report = try stage.run(setName: "s")
        #expect(report.promptsJudged == 3 && report.promptsWithoutVerdicts == 1 && report.promptsOutside == 3)
        #expect(report.marked == 12 && report.newMarks == 12 && report.removedMarks == 0)
        let marks = try Self.marked(store)
        #expect(marks["half"] == nil, "2 of 4 is in [0.25, 0.75]")
        #expect(marks["letter"] == Array(repeating: "pass rate 4/4 = 1 above the maximum 0.75", count: 4))
        #expect(marks["capital"] == Array(repeating: "pass rate 0/4 = 0 below the minimum 0.25", count: 4))
        #expect(marks["poem"] == Array(repeating: "no judged answer: pass rate unknown", count: 4))
        let anyMark = try #require(try store.stageMarks(setName: "s", stage: PassRateStage.stage).values.first { $0.reason.hasPrefix("pass rate 4/4") })
        let detail = try JSONValue.parse(anyMark.detail)
        #expect(detail["correct"]?.intValue == 4 && detail["judged"]?.intValue == 4 && detail["pass_rate"]?.doubleValue == 1)
        #expect(try store.curationCounts(setName: "s")[PassRateStage.stage] == 12)
        #expect(report.line().contains("3 prompts outside"))
        #expect(try JSONValue.parse(report.json())["marked"]?.intValue == 12)

        let again = try stage.run(setName: "s")
        #expect(again.marked == 12 && again.newMarks == 0 && again.removedMarks == 0, "nothing new: nothing written")

        // Exports leave the marked answers out like any other stage's.
        let out = try Exporter(store: store).export(ExportSelection(setName: "s", includeDropped: false), format: RawFormat(),
                                                   options: ExportOptions(), to: dir.path("o.jsonl"))
        #expect(out.rows == 2, "p1's two correct answers (its wrong ones are marked by verify)")
    }

    @Test func newSamplesAndAChangedBandMoveMarksBothWays() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.prepared(dir)
        defer { store.close() }
        _ = try AnswerVerifierStage(store: store).run(setName: "s")
        let band = try #require(try PassRateBand(min: 0.25, max: 0.75))
        _ = try PassRateStage(store: store, band: band).run(setName: "s")

        // Four more samples per prompt: p2 drops to 4 of 8 (into the band), p3 reaches 2 of 8 (into the band),
        // p1 reaches 5 of 8 (stays in).
        try await Self.answer(store, sweep: "w2", samples: 4, maxTokens: 65, [
            "half": ["\\boxed{1/2}", "\\boxed{0.5}", "\\boxed{.5}", "\\boxed{3}"],
            "letter": ["Answer: A", "Answer: B", "Answer: D", "Answer: E"],
            "capital": ["Answer: Paris", "Answer: paris", "Answer: Rome", "Answer: Rome"],
            "poem": ["a", "b", "c", "d"],
        ])
        let verified = try AnswerVerifierStage(store: store).run(setName: "s")
        #expect(verified.examined == 16, "only the new answers are judged")
        let report = try PassRateStage(store: store, band: band).run(setName: "s")
        #expect(report.removedMarks == 8, "p2 and p3 came back into the band")
        #expect(report.marked == 8 && report.newMarks == 4, "p4's 4 new answers; its old 4 marks are unchanged")
        #expect(Set(try Self.marked(store).keys) == ["poem"])

        // A narrower band rewrites the marks whose bounds changed.
        let narrow = try #require(try PassRateBand(min: 0.5, max: 0.5))
        let n = try PassRateStage(store: store, band: narrow).run(setName: "s")
        #expect(n.marked == 24 && n.newMarks == 24 && n.removedMarks == 0, "p1 (0.625) and p3 (0.25) leave, p2 (0.5) stays; p4's detail names the new bounds")
        #expect(Set(try Self.marked(store).keys) == ["half", "capital", "poem"])

        // A curation run that does not keep the stage removes its marks, as for every stage left out.
        let c = try Curator(store: store).run(setName: "s", config: try CurationSpec().makeConfig(), keepingStages: ["verify"])
        #expect(c.removedMarks[PassRateStage.stage] == 24)
        #expect(try store.stageMarks(setName: "s", stage: PassRateStage.stage).isEmpty)
    }

    @Test func configKeysFlagsAndParameterErrors() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let good = try dir.write("c.json", #"{"verify": {"verifier": "choice", "min_pass_rate": 0.25, "max_pass_rate": 0.75}}"#)
        let spec = try CurationSpec.load(path: good)
        #expect(spec.verify && spec.verifier == .choice && spec.minPassRate == 0.25 && spec.maxPassRate == 0.75)
        #expect(try spec.passRateBand() == PassRateBand(min: 0.25, max: 0.75))
        #expect(try CurationSpec.load(path: try dir.write("t.json", #"{"verify": true}"#)).verify)

        let unknown = try dir.write("u.json", #"{"verify": {"min_rate": 0.2}}"#)
        let e = #expect(throws: CurationError.self) { try CurationSpec.load(path: unknown) }
        #expect(e?.description.contains("verify.min_rate") == true, "\(String(describing: e))")
        let kind = try dir.write("k.json", #"{"verify": {"verifier": "maths"}}"#)
        #expect(throws: CurationError.self) { try CurationSpec.load(path: kind) }

        var noVerify = CurationSpec()
        noVerify.maxPassRate = 0.5
        let needs = #expect(throws: CurationError.self) { try noVerify.passRateBand() }
        #expect(needs?.message.contains("verify") == true)
        #expect(throws: CurationError.self) { try PassRateBand(min: 0.8, max: 0.2) }
        #expect(throws: CurationError.self) { try PassRateBand(min: -0.1, max: nil) }
        #expect(try PassRateBand(min: nil, max: nil) == nil)
        let third = try #require(try PassRateBand(min: 0, max: 0.3333333333333))
        #expect(third.contains(correct: 1, judged: 3) && !third.contains(correct: 0, judged: 0))
    }
}
