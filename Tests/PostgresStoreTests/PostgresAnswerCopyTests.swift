import Foundation
import HarvestCore
@testable import PostgresStore
import Testing

/// The `COPY` form of a batch commit (``PostgresAnswerCopy``), forced for every batch: the same rows, states, costs
/// and spend as the statement form, one answer per job, and an answer PostgreSQL cannot take failing alone.
@Suite struct PostgresAnswerCopyTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func copiedBatchesStoreChargeAndKeepOneAnswerPerJob() async throws {
        let f = try PostgresFixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 48, samples: 1, baseURL: "http://127.0.0.1:9/v1")
        let admin = try PostgresConnection(url: PostgresURL(f.database.url))
        try admin.execute("UPDATE teachers SET input_per_million = 2, output_per_million = 8")
        let run = try admin.execute("INSERT INTO sweep_runs(sweep_id, state, created_at) VALUES($1, 'active', 0) RETURNING id",
                                    [.int(sweep)]).int64(0, 0)
        try admin.execute("INSERT INTO run_jobs(run_id, job_id) SELECT $1, job_id FROM sweep_jobs WHERE sweep_id = $2", [.int(run), .int(sweep)])

        let store = try PostgresStore(url: f.database.url, connections: 2)
        defer { store.close() }
        let jobs = try await JobStoreConformanceTests.drainJobs(store, sweep: sweep)
        #expect(jobs.count == 48)
        let teacher = try admin.execute("SELECT id FROM teachers").int64(0, 0)
        // Every batch, even of one answer, goes through COPY.
        let copier = PostgresGroupCommit(pool: store.pool, vocabulary: store.vocabulary, maxDrains: 1, minCopyBatch: 1)

        // Job 0 was answered already (by the statement form): its copied answer is a paid duplicate attempt.
        let first = JobStoreConformanceTests.answer(jobs[0].id, "first answer")
        try await store.commitSuccess(first.0, response: first.1)
        let tooLong = jobs[5].id
        var expected: [Int64: (AttemptRecord, ResponseRecord)] = [:]
        for (i, job) in jobs.enumerated() {
            var (attempt, response) = JobStoreConformanceTests.answer(job.id, "answer \(job.id) with a few words \(i)")
            switch i % 4 {
            case 0: response.usage = Usage(promptTokens: 1000, completionTokens: 500, totalTokens: 1500, reasoningTokens: 20)
            case 1:  // counts the runner estimated (the teacher's were rejected): charged, not stored
                var usage = Usage()
                usage.estimatedPromptTokens = 1000
                usage.estimatedCompletionTokens = 500
                response.usage = usage
            case 2:
                response.usage = Usage(promptTokens: 1000, completionTokens: 500, totalTokens: 1500)
                response.choice.reasoning = "thinking \(i)"
                response.responseId = "chatcmpl-\(i)"
                response.systemFingerprint = "fp"
                response.rawBody = Array("{\"raw\": \(i)}".utf8) + [0, 0xFF]
            default:
                response.usage = Usage(promptTokens: 1000, completionTokens: 500, totalTokens: 1500)
                response.choice.finishReason = nil
                response.model = nil
                attempt.httpStatus = nil
            }
            if job.id == tooLong { response.usage?.totalTokens = Int(Int32.max) + 1 }
            expected[job.id] = (attempt, response)
        }
        let results = await withTaskGroup(of: (Int64, Bool).self) { group in
            for (i, job) in jobs.enumerated() {
                let (attempt, response) = expected[job.id]!
                group.addTask {
                    // Half tell the teacher (as for this process's claims), half leave it to the job row.
                    let ok = (try? await copier.commit(attempt, response, teacherId: i % 2 == 0 ? teacher : nil)) != nil
                    return (job.id, ok)
                }
            }
            return await group.reduce(into: [Int64: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results[tooLong] == false, "a token count out of integer range is refused")
        #expect(results.values.filter { $0 }.count == 47, "the other answers of its batch were stored")
        #expect(try await f.responses(tooLong) == 0)
        #expect(try await f.attempts(tooLong) == 0)

        for job in jobs where job.id != tooLong {
            let (_, response) = expected[job.id]!
            let stored = try #require(try await store.answer(jobId: job.id))
            if job.id == jobs[0].id {
                #expect(stored.content == "first answer", "a job keeps its first response")
                #expect(try await f.attempts(job.id) == 2, "the late answer is recorded as a paid attempt")
                #expect(try await store.jobInfo(id: job.id)?.attempts == 2)
                continue
            }
            #expect(stored.content == response.choice.content)
            #expect(stored.finishReason == response.choice.finishReason)
            #expect(stored.completionTokens == response.usage?.completionTokens)
            #expect(stored.logprobFormat == "HLP2")
            #expect(stored.logprobs == response.choice.logprobs)
            let info = try #require(try await store.jobInfo(id: job.id))
            #expect(info.state == JobState.done && info.attempts == 1 && info.leaseOwner == nil)
            #expect(try await f.attempts(job.id) == 1)
        }
        let row = try admin.execute("""
            SELECT r.reasoning, r.response_id, r.system_fingerprint, r.raw, r.model, r.reasoning_tokens, r.prompt_tokens, a.http_status IS NULL
            FROM responses r JOIN attempts a ON a.id = r.attempt_id WHERE r.job_id = $1
            """, [.int(jobs[2].id)])
        #expect(row.string(0, 0) == "thinking 2" && row.string(0, 1) == "chatcmpl-2" && row.string(0, 2) == "fp")
        #expect(try row.bytes(0, 3) == Array("{\"raw\": 2}".utf8) + [0, 0xFF])
        #expect(row.string(0, 4) == "mock-teacher" && row.string(0, 5) == nil && row.string(0, 6) == "1000" && row.string(0, 7) == "f")
        let estimated = try admin.execute("SELECT prompt_tokens IS NULL, completion_tokens IS NULL FROM responses WHERE job_id = $1",
                                          [.int(jobs[1].id)])
        #expect(estimated.string(0, 0) == "t" && estimated.string(0, 1) == "t", "estimated counts are charged, not stored")
        let bare = try admin.execute("""
            SELECT r.finish_reason IS NULL, r.model IS NULL, a.http_status IS NULL FROM responses r JOIN attempts a ON a.id = r.attempt_id
            WHERE r.job_id = $1
            """, [.int(jobs[3].id)])
        #expect(bare.string(0, 0) == "t" && bare.string(0, 1) == "t" && bare.string(0, 2) == "t")

        // 1000 × 2 / 1e6 + 500 × 8 / 1e6 = 0.006 per copied answer; the first answer (7 + 2 tokens) cost 0.00003.
        let costs = try admin.execute("SELECT count(*), min(cost), max(cost) FROM attempts WHERE outcome = 'success' AND job_id <> $1",
                                      [.int(jobs[0].id)])
        #expect(try costs.int(0, 0) == 46)
        #expect(abs(try costs.optionalDouble(0, 1)! - 0.006) < 1e-12)
        #expect(abs(try costs.optionalDouble(0, 2)! - 0.006) < 1e-12)
        let spent = try admin.execute("SELECT spent, answers FROM sweep_runs WHERE id = $1", [.int(run)])
        #expect(abs(try spent.optionalDouble(0, 0)! - (47 * 0.006 + 0.00003)) < 1e-9, "the duplicate attempt is charged too")
        #expect(try spent.int(0, 1) == 48)
    }
}
