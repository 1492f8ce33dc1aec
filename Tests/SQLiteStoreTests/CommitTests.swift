import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct CommitTests {
    @Test func secondSuccessKeepsOneResponseAndCountsTheAttempt() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 1)
        let job = try #require(try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1, leaseSeconds: 3600).first)
        try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "first"))
        try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "second"))
        #expect(try store.responseCount(jobId: job.id) == 1)
        #expect(try store.attemptCount(jobId: job.id) == 2)
        let info = try #require(try store.jobInfo(id: job.id))
        #expect(info.state == .done && info.attempts == 2 && info.leaseOwner == nil)
        let stored = try store.responses(query: ResponseQuery(includeLogprobs: false))
        #expect(stored.map(\.choice.content) == ["first"])
    }

    @Test func logprobsRoundTripBitExact() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 2, leaseSeconds: 3600)
        let odd: [TokenLogprob] = [
            TokenLogprob(token: "a", logprob: -9999.0, bytes: nil, tokenId: nil,
                         top: [TopLogprob(token: "a", logprob: -0.0, bytes: [], tokenId: 0), TopLogprob(token: "b", logprob: 1e-300, bytes: [0xE2, 0x82])]),
            TokenLogprob(token: "", logprob: -0.0, bytes: [0xFF], tokenId: -7, top: []),
            TokenLogprob(token: "é\u{0}x", logprob: -.leastNonzeroMagnitude, bytes: Array("é\u{0}x".utf8), tokenId: Int(Int32.max),
                         top: [TopLogprob(token: "z", logprob: -Double.greatestFiniteMagnitude, bytes: nil, tokenId: nil)]),
        ]
        let raw = Array("{\"id\":\"x\"}".utf8)
        try await store.commitSuccess(Fixtures.attempt(jobs[0].id), response: Fixtures.response(jobs[0].id, content: "α\u{0}ω", logprobs: odd, raw: raw))
        try await store.commitSuccess(Fixtures.attempt(jobs[1].id), response: Fixtures.response(jobs[1].id, content: "", logprobs: nil))
        let stored = try store.responses(query: ResponseQuery(includeLogprobs: true))
        #expect(stored.count == 2)
        #expect(stored[0].choice.logprobs == odd)
        #expect(stored[0].choice.logprobs?[1].logprob.sign == .minus)
        #expect(stored[0].choice.content == "α\u{0}ω")
        #expect(stored[1].choice.logprobs == nil)
        #expect(stored[1].choice.content == "")
        #expect(stored[0].usage == Usage(promptTokens: 10, completionTokens: 5, totalTokens: 15))
        #expect(try store.rawBody(responseId: stored[0].id) == raw)
        #expect(try store.rawBody(responseId: stored[1].id) == nil)
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM responses WHERE logprobs IS NULL") == 1)
        let withoutLogprobs = try store.responses(query: ResponseQuery(includeLogprobs: false))
        #expect(withoutLogprobs.allSatisfy { $0.choice.logprobs == nil })
    }

    @Test func failuresAreFinalOrRetried() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 3)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 3, leaseSeconds: 3600)
        try await store.recordFailure(Fixtures.attempt(jobs[0].id, outcome: .retry, status: 503, error: "overloaded"), final: false)
        try await store.recordFailure(Fixtures.attempt(jobs[1].id, outcome: .fatal, status: 400, error: nil), final: true)
        let retry = try #require(try store.jobInfo(id: jobs[0].id))
        // A job to be retried stays leased to its runner, so no other claim can send it meanwhile.
        #expect(retry.state == .leased && retry.attempts == 1 && retry.lastError == "overloaded" && retry.leaseOwner == "a")
        #expect(try await store.claimJobs(sweepId: sweepId, owner: "b", limit: 3, leaseSeconds: 3600).isEmpty)
        let fatal = try #require(try store.jobInfo(id: jobs[1].id))
        #expect(fatal.state == .failed && fatal.attempts == 1 && fatal.lastError == "HTTP 400")
        // A late failure for a job already done never undoes it.
        try await store.commitSuccess(Fixtures.attempt(jobs[2].id), response: Fixtures.response(jobs[2].id))
        try await store.recordFailure(Fixtures.attempt(jobs[2].id, outcome: .retry, status: nil, error: "timeout"), final: true)
        #expect(try store.jobInfo(id: jobs[2].id)?.state == .done)
        #expect(try store.responseCount(jobId: jobs[2].id) == 1)
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM attempts WHERE outcome = 'retry'") == 2)
    }

    @Test func thousandConcurrentCommitsAllLand() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 250, samples: 4)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1000, leaseSeconds: 3600)
        #expect(jobs.count == 1000)
        let lp = Fixtures.logprobs(count: 8, top: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in jobs {
                group.addTask {
                    try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "a\(job.id)", logprobs: lp))
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.jobStates(sweepId: sweepId)[.done] == 1000)
        #expect(try store.counts()["responses"] == 1000)
        #expect(try store.counts()["attempts"] == 1000)
        let status = try store.sweepStatus(id: sweepId)
        #expect(status.done == 1000 && status.promptTokens == 10_000 && status.completionTokens == 5_000)
    }

    @Test func oneFailingOperationDoesNotSinkItsBatch() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 100)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 100, leaseSeconds: 3600)
        let results = await withTaskGroup(of: Bool.self) { group in
            for (i, job) in jobs.enumerated() {
                // Every tenth commit names a job that does not exist (foreign key violation).
                let id = i % 10 == 0 ? 1_000_000 + job.id : job.id
                group.addTask {
                    do {
                        try await store.commitSuccess(Fixtures.attempt(id), response: Fixtures.response(id))
                        return true
                    } catch {
                        return false
                    }
                }
            }
            var ok = 0
            for await r in group where r { ok += 1 }
            return ok
        }
        #expect(results == 90)
        #expect(try store.counts()["responses"] == 90)
        #expect(try store.counts()["attempts"] == 90)
    }

    @Test func committedResponseIsVisibleFromAFreshConnection() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 1)
        let job = try #require(try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1, leaseSeconds: 3600).first)
        try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "kept"))
        // No close, no checkpoint: another connection (as another process would) sees it at once.
        let db = try SQLiteDatabase(path: dir.db, mode: .readOnly)
        #expect(try db.queryOne("SELECT content FROM responses WHERE job_id = ?1", bind: { try $0.bind(job.id, at: 1) }) { $0.string(0) } == "kept")
        #expect(try db.queryOne("SELECT state FROM jobs WHERE id = ?1", bind: { try $0.bind(job.id, at: 1) }) { $0.string(0) } == "done")
        _ = store
    }

    @Test func filesAsLeftByAKilledProcessHoldTheResponse() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 3)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 3, leaseSeconds: 3600)
        for job in jobs {
            try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "paid \(job.id)"))
        }
        // Snapshot the database and its WAL while the store is still open, as `kill -9` would leave them
        // (no close, no checkpoint), then open the copy the way a restarted harvest would.
        let copy = dir.path + "/crash.sqlite"
        #expect(Fixtures.copyFile(dir.db, copy))
        #expect(Fixtures.copyFile(dir.db + "-wal", copy + "-wal"))
        let reopened = try SQLiteStore(path: copy)
        #expect(try reopened.counts()["responses"] == 3)
        #expect(try reopened.jobStates(sweepId: sweepId)[.done] == 3)
        let texts = try reopened.responses(query: ResponseQuery(includeLogprobs: false)).map(\.choice.content)
        #expect(texts == jobs.map { "paid \($0.id)" })
        _ = store
    }

    @Test func mismatchedJobIdsAreRejected() async throws {
        let dir = TempDir()
        let (store, _) = try Fixtures.storeWithSweep(dir, prompts: 1)
        await #expect(throws: StoreError.self) {
            try await store.commitSuccess(Fixtures.attempt(1), response: Fixtures.response(2))
        }
    }
}
