import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// References at import, the `verify` stage, stats, inspect, `--samples best` and pass-rate filters over real files
/// and a real temporary store.
@Suite(.serialized) struct VerifyStageTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")

    /// Three prompts with references, four samples each. `answers[prompt][sample]` is the content stored.
    static let answers: [[String]] = [
        // p1: reference 1/2 — 2 of 4 correct (one long, one short).
        ["Long working that ends well. So the answer is \\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "\\boxed{2}", "no idea"],
        // p2: choice C — 4 of 4 correct.
        ["Answer: C", "(C)", "The final answer is C", "\\boxed{C}"],
        // p3: exact Paris — 0 of 4 correct.
        ["Answer: Lyon", "Answer: Nice", "<think>Paris</think>Answer: Rome", "Answer: Lille"],
    ]

    static func prepared(_ dir: TempDir) async throws -> SQLiteStore {
        let file = try dir.write("p.jsonl", """
            {"id": "p1", "prompt": "What is 1/2 as a fraction?", "answer": "\\\\frac{1}{2}"}
            {"id": "p2", "prompt": "Pick a letter", "answer": "C", "verifier": "choice"}
            {"id": "p3", "prompt": "Capital of France?", "answer": "Paris", "verifier": "exact"}
            """)
        let store = try SQLiteStore(path: dir.path("v.sqlite"))
        let prompts = try PromptFileReader().read(path: file)
        _ = try store.importPrompts(setName: "s", prompts: prompts, sourceName: file)
        let sweep = try store.createSweep(name: "w", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: 4)
        let jobs = try await store.claimJobs(sweepId: sweep.sweepId, owner: "t", limit: 1000, leaseSeconds: 60)
        let byText = ["What is 1/2 as a fraction?": 0, "Pick a letter": 1, "Capital of France?": 2]
        for job in jobs {
            let p = byText[job.messages.last!.content]!
            let content = answers[p][job.sampleIndex]
            try await store.commitSuccess(AttemptRecord(jobId: job.id, startedAt: 1, latencyMs: 1, httpStatus: 200, outcome: .success),
                                          response: ResponseRecord(jobId: job.id, choice: CompletionChoice(index: 0, content: content, finishReason: "stop"),
                                                                   usage: Usage(completionTokens: content.count), receivedAt: 2))
        }
        return store
    }

    @Test func verifyMarksWrongAnswersAndIsIncremental() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.prepared(dir)
        defer { store.close() }
        let stage = AnswerVerifierStage(store: store, pageSize: 5)
        let report = try stage.run(setName: "s")
        #expect(report.examined == 12)
        #expect(report.newVerdicts == ["correct": 6, "wrong": 5, "no_answer": 1])
        #expect(try store.curationCounts(setName: "s") == ["verify": 6])
        let again = try stage.run(setName: "s")
        #expect(again.examined == 0 && again.newVerdicts.isEmpty)

        // Curation without the verify stage kept: its marks survive; without: they go (a stage left out).
        _ = try Curator(store: store).run(setName: "s", config: try CurationSpec().makeConfig(), keepingStages: ["verify"])
        #expect(try store.curationCounts(setName: "s")["verify"] == 6)

        let stats = try SetStats.compute(store: store, setName: "s")
        #expect(stats.verdicts.first?.counts == ["correct": 6, "wrong": 5, "no_answer": 1])
        #expect(stats.verdictsByTeacher.map(\.key) == ["t"])
        #expect(stats.verdictsBySample.map(\.key) == ["0", "1", "2", "3"])
        #expect(stats.verdictsBySample[3].counts == ["correct": 1, "wrong": 1, "no_answer": 1])
        #expect(stats.json().contains("\"by_sample\""))

        let ids = try store.responses(query: ResponseQuery(setName: "s", limit: 100, includeLogprobs: false))
        let rome = try #require(ids.first { $0.choice.content.contains("Rome") })
        let inspection = try #require(try ResponseInspection.load(store: store, id: rome.id))
        #expect(inspection.verdicts.first?.record.verdict == "wrong")
        #expect(inspection.verdicts.first?.record.extracted == "Rome", "the answer in <think> is never taken")
        #expect(inspection.text().contains("== verification"))
    }

    @Test func aPromptUnderSeveralIdsNeitherShortensAPageNorPicksAnyReference() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.prepared(dir)
        defer { store.close() }
        // p2's prompt again under two more ids with other references: its answers are judged against the lowest id
        // in byte order ("B-p2" < "p2" < "z-p2"), and its three member rows do not make a page look like the last.
        let file = try dir.write("more.jsonl", """
            {"id": "z-p2", "prompt": "Pick a letter", "answer": "A", "verifier": "choice"}
            {"id": "B-p2", "prompt": "Pick a letter", "answer": "D", "verifier": "choice"}
            """)
        _ = try store.importPrompts(setName: "s", prompts: try PromptFileReader().read(path: file), sourceName: file)
        let inputs = try store.verificationInputs(setName: "s", afterId: 0, limit: 5)
        #expect(inputs.count == 5 && Set(inputs.map(\.responseId)).count == 5)
        #expect(inputs.filter { $0.content.contains("C") }.allSatisfy { $0.reference == "D" })
        let report = try AnswerVerifierStage(store: store, pageSize: 2).run(setName: "s")
        #expect(report.examined == 12, "every answer judged, not only the pages before the first short one")
        #expect(report.newVerdicts["correct"] == 2, "p1's two right answers; p2's C answers are wrong against D")
    }

    @Test func bestSampleIsCorrectAndPassRateFilters() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.prepared(dir)
        defer { store.close() }
        _ = try AnswerVerifierStage(store: store).run(setName: "s")
        let exporter = Exporter(store: store)
        var best = ExportSelection(setName: "s", samples: .best)
        best.bestBy = .shortest
        _ = try exporter.export(best, format: RawFormat(), options: ExportOptions(), to: dir.path("best.jsonl"))
        let rows = try String(contentsOfFile: dir.path("best.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONValue.parse(String($0)) }
        let contents = Set(rows.compactMap { $0["completion"]?.stringValue })
        #expect(rows.count == 2, "p3 has no correct sample")
        #expect(contents == ["\\boxed{0.5}", "(C)"], "the shortest correct sample of p1 and p2")

        var band = ExportSelection(setName: "s")
        band.minPassRate = 0.25
        band.maxPassRate = 0.75
        band.includeDropped = true
        let banded = try exporter.export(band, format: RawFormat(), options: ExportOptions(), to: dir.path("band.jsonl"))
        #expect(banded.rows == 4, "only p1 (2 of 4 correct) is in the hard-but-solvable band")
    }

    @Test func importErrorsNameLineAndFieldAndReimportFillsReferences() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let bad = try dir.write("bad.jsonl", """
            {"id": "a", "prompt": "x", "answer": "1"}
            {"id": "b", "prompt": "y", "answer": "[", "verifier": "regex"}
            """)
        let e = #expect(throws: ImportError.self) { try PromptFileReader().read(path: bad) }
        #expect(e?.location.line == 2 && e?.field == "answer" && e?.description.contains("does not compile") == true)
        let unknown = try dir.write("u.csv", "id,prompt,answer,verifier\na,x,1,maths\n")
        let u = #expect(throws: ImportError.self) { try PromptFileReader().read(path: unknown) }
        #expect(u?.field == "verifier" && u?.location.line == 2)
        var reader = PromptFileReader()
        reader.answerColumn = "solution"
        let csv = try dir.write("ok.csv", "id,prompt,solution\na,x,42\n")
        let parsed = try reader.read(path: csv)
        #expect(parsed.first?.reference == "42" && parsed.first?.verifier == nil)

        // A set imported without references, verified, then re-imported with them: verdicts are judged again.
        let store = try await Self.prepared(dir)
        defer { store.close() }
        _ = try AnswerVerifierStage(store: store).run(setName: "s")
        let plain = try dir.write("plain.jsonl", #"{"id": "p3", "prompt": "Capital of France?", "answer": "Lyon", "verifier": "exact"}"#)
        _ = try store.importPrompts(setName: "s", prompts: try PromptFileReader().read(path: plain), sourceName: plain)
        let rerun = try AnswerVerifierStage(store: store).run(setName: "s")
        #expect(rerun.examined == 12)
        #expect(rerun.newVerdicts["correct"] == 7, "p3 now has one answer matching its new reference")
    }
}
