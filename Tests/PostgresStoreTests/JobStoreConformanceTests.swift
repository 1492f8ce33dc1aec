import Foundation
import HarvestCore
import Testing

/// What every `JobStore` must do, checked against SQLite and PostgreSQL alike (PostgreSQL when `HARVEST_TEST_PG_URL`
/// is set). Each store instance stands for one process; owners are plain names (leases end by expiry).
@Suite struct JobStoreConformanceTests {
    static let teacherURL = "http://127.0.0.1:9/v1"

    @Test("PostgreSQL backend configured", .enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func postgresConfigured() {
        #expect(Backend.available.contains(.postgres))
    }

    @Test(arguments: Backend.available)
    func twoClaimersNeverGetTheSameJob(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 150, samples: 2, baseURL: Self.teacherURL)
        let a = try await f.store(), b = try await f.store()
        async let fromA = Self.drain(a, sweep: sweep, owner: "claimer-a")
        async let fromB = Self.drain(b, sweep: sweep, owner: "claimer-b")
        let (ja, jb) = try await (fromA, fromB)
        #expect(Set(ja).isDisjoint(with: jb))
        #expect(ja.count + jb.count == 300)
        #expect(Set(ja + jb).count == 300)
    }

    @Test(arguments: Backend.available)
    func commitSuccessStoresOnceAndIsIdempotent(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 3, samples: 1, baseURL: Self.teacherURL)
        let s = try await f.store()
        let job = try #require(try await s.claimJobs(sweepId: sweep, owner: "o", limit: 1, leaseSeconds: 60).first)
        let (attempt, response) = Self.answer(job.id, "first")
        try await s.commitSuccess(attempt, response: response)
        let (again, second) = Self.answer(job.id, "second")
        try await s.commitSuccess(again, response: second)
        #expect(try await f.responses(job.id) == 1)
        #expect(try await f.content(job.id) == "first")
        #expect(try await f.attempts(job.id) == 2, "the duplicate answer was paid for: its attempt is kept")
        #expect(try await f.job(job.id).state == .done)
        let rest = try await s.claimJobs(sweepId: sweep, owner: "o", limit: 10, leaseSeconds: 60)
        #expect(rest.count == 2)
        #expect(!rest.contains { $0.id == job.id }, "a done job is never claimed again")
    }

    @Test(arguments: Backend.available)
    func releaseReturnsJobsToPending(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 5, samples: 1, baseURL: Self.teacherURL)
        let a = try await f.store(), b = try await f.store()
        let held = try await a.claimJobs(sweepId: sweep, owner: "a", limit: 5, leaseSeconds: 600)
        #expect(held.count == 5)
        let back = Array(held.prefix(3).map(\.id))
        try await a.release(jobIds: back, owner: "a")
        for id in back { #expect(try await f.job(id).state == .pending) }
        let taken = try await b.claimJobs(sweepId: sweep, owner: "b", limit: 10, leaseSeconds: 600)
        #expect(taken.map(\.id).sorted() == back.sorted(), "only released jobs come back; live leases stay")
    }

    @Test(arguments: Backend.available)
    func expiredLeasesAreReclaimedLiveOnesAreNot(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 3, samples: 1, baseURL: Self.teacherURL)
        let a = try await f.store(), b = try await f.store()
        // The long lease first: a later claim of `a` would take its own expired short leases again.
        let long = try #require(try await a.claimJobs(sweepId: sweep, owner: "a", limit: 1, leaseSeconds: 600).first)
        let pair = try await a.claimJobs(sweepId: sweep, owner: "a", limit: 2, leaseSeconds: 0.3)
        try #require(pair.count == 2)
        let (short, renewed) = (pair[0], pair[1])
        try await a.renewLeases(jobIds: [renewed.id], owner: "a", leaseSeconds: 600)
        try await Task.sleep(for: .seconds(1))
        let taken = try await b.claimJobs(sweepId: sweep, owner: "b", limit: 10, leaseSeconds: 600)
        #expect(taken.map(\.id) == [short.id], "the expired lease is taken over; the live and the renewed ones are not")
        #expect(try await f.job(long.id).owner == "a")
        #expect(try await f.job(renewed.id).owner == "a")
    }

    @Test(arguments: Backend.available)
    func lateCommitOfAStaleOwnerIsStoredOnlyWhileUnanswered(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 2, samples: 1, baseURL: Self.teacherURL)
        let a = try await f.store(), b = try await f.store()
        // Job 1: the presumed-dead owner answers after the takeover, before the new owner: its answer is kept, once.
        let first = try #require(try await a.claimJobs(sweepId: sweep, owner: "a", limit: 1, leaseSeconds: 0.3).first)
        try await Task.sleep(for: .seconds(1))
        let takeover = try await b.claimJobs(sweepId: sweep, owner: "b", limit: 1, leaseSeconds: 600)
        #expect(takeover.map(\.id) == [first.id])
        let (lateA, answerA) = Self.answer(first.id, "late a")
        try await a.commitSuccess(lateA, response: answerA)
        let (fromB, answerB) = Self.answer(first.id, "b")
        try await b.commitSuccess(fromB, response: answerB)
        #expect(try await f.responses(first.id) == 1)
        #expect(try await f.content(first.id) == "late a")
        #expect(try await f.job(first.id).state == .done)
        // Job 2: the new owner answers first; the stale answer arrives later and is not stored.
        let second = try #require(try await a.claimJobs(sweepId: sweep, owner: "a", limit: 1, leaseSeconds: 0.3).first)
        try await Task.sleep(for: .seconds(1))
        #expect(try await b.claimJobs(sweepId: sweep, owner: "b", limit: 1, leaseSeconds: 600).map(\.id) == [second.id])
        let (b2, answerB2) = Self.answer(second.id, "b")
        try await b.commitSuccess(b2, response: answerB2)
        let (a2, answerA2) = Self.answer(second.id, "late a")
        try await a.commitSuccess(a2, response: answerA2)
        #expect(try await f.responses(second.id) == 1)
        #expect(try await f.content(second.id) == "b")
        #expect(try await f.attempts(second.id) == 2)
    }

    @Test(arguments: Backend.available)
    func staleOwnerCannotEndOrExtendTheNewLease(_ backend: Backend) async throws {
        let f = try await backend.fixture()
        defer { f.cleanup() }
        let sweep = try await f.sweep(prompts: 1, samples: 1, baseURL: Self.teacherURL)
        let a = try await f.store(), b = try await f.store()
        let job = try #require(try await a.claimJobs(sweepId: sweep, owner: "a", limit: 1, leaseSeconds: 0.3).first)
        try await Task.sleep(for: .seconds(1))
        #expect(try await b.claimJobs(sweepId: sweep, owner: "b", limit: 1, leaseSeconds: 600).map(\.id) == [job.id])
        try await a.release(jobIds: [job.id], owner: "a")
        try await a.renewLeases(jobIds: [job.id], owner: "a", leaseSeconds: 600)
        let kept = try await f.job(job.id)
        #expect(kept.state == .leased)
        #expect(kept.owner == "b")
        let late = AttemptRecord(jobId: job.id, startedAt: Date().timeIntervalSince1970, latencyMs: 3, httpStatus: 400, outcome: .fatal,
                                 error: "HTTP 400 late", owner: "a")
        try await a.recordFailure(late, final: true)
        let after = try await f.job(job.id)
        #expect(after.state == .leased && after.owner == "b", "the stale owner's final failure leaves the new lease alone")
        #expect(try await f.attempts(job.id) == 1, "the late attempt is recorded either way")
    }

    /// Claims in small batches until nothing is left; returns the ids.
    static func drain(_ store: any JobStore, sweep: Int64, owner: String) async throws -> [Int64] {
        var ids: [Int64] = []
        while true {
            let jobs = try await store.claimJobs(sweepId: sweep, owner: owner, limit: 7, leaseSeconds: 600)
            if jobs.isEmpty { return ids }
            ids += jobs.map(\.id)
            await Task.yield()
        }
    }

    /// A successful attempt and its answer (with logprobs) for `jobId`.
    static func answer(_ jobId: Int64, _ text: String) -> (AttemptRecord, ResponseRecord) {
        let now = Date().timeIntervalSince1970
        let tokens = text.split(separator: " ").enumerated().map { i, word in
            TokenLogprob(token: String(word), logprob: -0.25 * Double(i + 1), top: [TopLogprob(token: String(word), logprob: -0.25 * Double(i + 1)),
                                                                                   TopLogprob(token: "x\(i)", logprob: -3)])
        }
        let attempt = AttemptRecord(jobId: jobId, startedAt: now, latencyMs: 12, httpStatus: 200, outcome: .success)
        let response = ResponseRecord(jobId: jobId, choice: CompletionChoice(index: 0, content: text, finishReason: "stop", logprobs: tokens),
                                      usage: Usage(promptTokens: 7, completionTokens: tokens.count, totalTokens: 7 + tokens.count),
                                      model: "mock-teacher", receivedAt: now)
        return (attempt, response)
    }
}
