import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore
import Testing

/// The `verify` stage end to end over a real store: 1,000,000 answers (`HARVEST_BENCH_ANSWERS`) of ~0.6–1 KB,
/// 4 samples per prompt, read page by page, judged, verdicts and marks written. Also times reading alone. Runs only
/// with `HARVEST_BENCH=1` (use `-c release`).
@Suite("Verify stage benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct VerifyStageBenchmark {
    static let answers = Int(ProcessInfo.processInfo.environment["HARVEST_BENCH_ANSWERS"] ?? "") ?? 1_000_000

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    @Test func verifyStageThroughput() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let prompts = Self.answers / 4
        let file = dir.path("p.jsonl")
        var text = ""
        for p in 0..<prompts { text += "{\"id\": \"q\(p)\", \"prompt\": \"question \(p)\", \"answer\": \"\\\\frac{\(p % 13 + 1)}{\(p % 7 + 2)}\"}\n" }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let store = try SQLiteStore(path: dir.path("b.sqlite"))
        defer { store.close() }
        _ = try store.importPrompts(setName: "s", prompts: try PromptFileReader().read(path: file), sourceName: file)
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")
        _ = try store.createSweep(name: "w", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: 4)
        // Answers written straight into the schema (the paid path is not what is measured here).
        let db = try SQLiteDatabase(path: dir.path("b.sqlite"), mode: .readWrite)
        try db.execute("""
            BEGIN;
            INSERT INTO attempts(id, job_id, started_at, latency_ms, outcome) SELECT id, id, 0, 0, 'success' FROM jobs;
            INSERT INTO responses(job_id, attempt_id, choice_index, content, finish_reason, received_at)
            SELECT j.id, j.id, 0, replace(hex(zeroblob(150 + (j.id % 5) * 30)), '00', 'ab ') || ' We simplify step by step. ' ||
              CASE j.sample_index WHEN 0 THEN printf('So the answer is $\\boxed{\\frac{%d}{%d}}$.', (p.id - 1) % 13 + 1, (p.id - 1) % 7 + 2)
                WHEN 1 THEN printf('The final answer is %d.', p.id % 5)
                WHEN 2 THEN printf('<think>maybe 3</think>**Answer:** %.6f', ((p.id - 1) % 13 + 1) * 1.0 / ((p.id - 1) % 7 + 2))
                ELSE 'I could not finish.' END, 'stop', 0
            FROM jobs j JOIN prompts p ON p.id = j.prompt_id;
            COMMIT;
            """)
        let count = try db.queryOne("SELECT count(*) FROM responses") { $0.int(0) } ?? 0
        let bytes = try db.queryOne("SELECT sum(length(content)) FROM responses") { $0.int(0) } ?? 0

        let readStart = ContinuousClock.now
        var afterId: Int64 = 0
        var read = 0
        while true {
            let page = try store.verificationInputs(setName: "s", afterId: afterId, limit: 5000)
            read += page.count
            guard let last = page.last, page.count == 5000 else { break }
            afterId = last.responseId
        }
        let readSeconds = Self.seconds(readStart.duration(to: .now))

        let start = ContinuousClock.now
        let report = try AnswerVerifierStage(store: store).run(setName: "s")
        let total = Self.seconds(start.duration(to: .now))
        let again = ContinuousClock.now
        let rerun = try AnswerVerifierStage(store: store).run(setName: "s")
        let rerunSeconds = Self.seconds(again.duration(to: .now))
        print(String(format: "bench verify stage: %d answers (mean %d bytes); read alone %.2f s (%.0f answers/s); "
            + "verify stage %.2f s (%.0f answers/s, verdicts %@); re-run %.3f s judging %d",
                     count, bytes / max(1, count), readSeconds, Double(read) / readSeconds, total, Double(report.examined) / total,
                     report.newVerdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                     rerunSeconds, rerun.examined))
        #expect(report.examined == count && rerun.examined == 0)
        #expect(report.newVerdicts["correct", default: 0] >= count / 4)
    }
}
