import Foundation
import HarvestCore
import PostgresStore
import Testing

/// Answers committed together: spend charged as SQLite charges it, and one answer PostgreSQL refuses fails alone.
@Suite struct PostgresGroupCommitTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func concurrentAnswersAreChargedAndABadOneFailsAlone() async throws {
        let f = try PostgresFixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 60, samples: 1, baseURL: "http://127.0.0.1:9/v1")
        let admin = try PostgresConnection(url: PostgresURL(f.database.url))
        // Prices ($2 / $8 per million tokens) and a queued run linking every job, as `harvest sweep NAME` would make.
        try admin.execute("UPDATE teachers SET input_per_million = 2, output_per_million = 8")
        let run = try admin.execute("INSERT INTO sweep_runs(sweep_id, state, created_at) VALUES($1, 'active', 0) RETURNING id",
                                    [.int(sweep)]).int64(0, 0)
        try admin.execute("INSERT INTO run_jobs(run_id, job_id) SELECT $1, job_id FROM sweep_jobs WHERE sweep_id = $2", [.int(run), .int(sweep)])

        let store = try await f.store()
        let jobs = try await JobStoreConformanceTests.drainJobs(store, sweep: sweep)
        #expect(jobs.count == 60)
        let bad = jobs[17].id
        let results = await withTaskGroup(of: (Int64, Bool).self) { group in
            for job in jobs {
                group.addTask {
                    // PostgreSQL text cannot hold U+0000: this answer is refused.
                    var (attempt, response) = JobStoreConformanceTests.answer(job.id, job.id == bad ? "nul \u{0} inside" : "answer \(job.id)")
                    response.usage = Usage(promptTokens: 1000, completionTokens: 500, totalTokens: 1500)
                    attempt.latencyMs = 1
                    return (job.id, (try? await store.commitSuccess(attempt, response: response)) != nil)
                }
            }
            return await group.reduce(into: [Int64: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results[bad] == false)
        #expect(results.values.filter { $0 }.count == 59, "the other answers of its batch were stored")
        #expect(try await f.responses(bad) == 0)
        #expect(try await f.job(bad).state == .leased, "the refused answer's job stays with its runner (rescue file, retry)")
        for job in jobs where job.id != bad { #expect(try await f.content(job.id) == "answer \(job.id)") }
        // 1000 × 2 / 1e6 + 500 × 8 / 1e6 = 0.006 per answer.
        let costs = try admin.execute("SELECT count(*), min(cost), max(cost) FROM attempts WHERE outcome = 'success'")
        #expect(try costs.int(0, 0) == 59)
        #expect(abs(try costs.optionalDouble(0, 1)! - 0.006) < 1e-12)
        #expect(abs(try costs.optionalDouble(0, 2)! - 0.006) < 1e-12)
        let spent = try admin.execute("SELECT spent, answers FROM sweep_runs WHERE id = $1", [.int(run)])
        #expect(abs(try spent.optionalDouble(0, 0)! - 59 * 0.006) < 1e-9)
        #expect(try spent.int(0, 1) == 59)
    }
}
