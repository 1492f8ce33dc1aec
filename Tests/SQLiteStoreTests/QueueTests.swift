import HarvestCore
import Testing
@testable import SQLiteStore

/// The durable queue of schema version 2: runs, claims across runs, lease renewal, spend and budgets.
@Suite struct QueueTests {
    static func request(budget: Double? = nil, prices: (Double, Double)? = nil, samples: Int = 1) -> RunRequest {
        RunRequest(sweepName: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: samples,
                   budget: budget, prices: prices, requestedBy: "test")
    }

    static func store(_ dir: TempDir, prompts: Int) throws -> SQLiteStore {
        let store = try SQLiteStore(path: dir.db)
        _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(prompts), sourceName: "prompts.jsonl")
        return store
    }

    @Test func enqueueIsIdempotentWhileARunIsActive() throws {
        let dir = TempDir()
        let store = try Self.store(dir, prompts: 10)
        let first = try store.enqueueRun(Self.request(samples: 2))
        #expect(!first.reused && first.queued == 20 && first.state == .active)
        let again = try store.enqueueRun(Self.request(samples: 2))
        #expect(again.reused && again.runId == first.runId && again.queued == 20)
        #expect(try store.counts()["run_jobs"] == 20)
        #expect(try store.counts()["jobs"] == 20)
        // Prompts added to the set later join the active run.
        _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(12), sourceName: "prompts.jsonl")
        let grown = try store.enqueueRun(Self.request(samples: 2))
        #expect(grown.runId == first.runId && grown.queued == 24)
    }

    @Test func aNewRunLinksOnlyTheMissingJobsAndRetriesFailedOnes() async throws {
        let dir = TempDir()
        let store = try Self.store(dir, prompts: 6)
        let first = try store.enqueueRun(Self.request())
        let claim = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 6, leaseSeconds: 3600)
        #expect(claim.jobs.count == 6)
        for job in claim.jobs.prefix(4) { try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id)) }
        try await store.recordFailure(Fixtures.attempt(claim.jobs[4].id, outcome: .fatal, status: 400, error: "bad"), final: true)
        try await store.release(jobIds: [claim.jobs[5].id], owner: "a")
        // One pending job is left: the run stays active and is reused.
        #expect(try store.enqueueRun(Self.request()).reused)
        let last = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 6, leaseSeconds: 3600)
        #expect(last.jobs.map(\.id) == [claim.jobs[5].id])
        try await store.commitSuccess(Fixtures.attempt(claim.jobs[5].id), response: Fixtures.response(claim.jobs[5].id))
        let settle = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 6, leaseSeconds: 3600)
        #expect(settle.jobs.isEmpty && settle.finishedRuns.map(\.runId) == [first.runId])
        // The next run retries the failed job only.
        let second = try store.enqueueRun(Self.request())
        #expect(!second.reused && second.runId != first.runId && second.queued == 1 && second.sweep.requeuedFailed == 1)
        let retry = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 6, leaseSeconds: 3600)
        #expect(retry.jobs.map(\.id) == [claim.jobs[4].id])
        try await store.commitSuccess(Fixtures.attempt(claim.jobs[4].id), response: Fixtures.response(claim.jobs[4].id))
        // Nothing missing: a run is recorded, empty and done.
        _ = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 6, leaseSeconds: 3600)
        let third = try store.enqueueRun(Self.request())
        #expect(third.queued == 0 && third.state == .done)
    }

    @Test func claimsOfTwoStoresOnOneFileNeverOverlap() async throws {
        let dir = TempDir()
        let a = try Self.store(dir, prompts: 150)
        _ = try a.enqueueRun(Self.request(samples: 2))
        let b = try SQLiteStore(path: dir.db)
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (store, owner) in [(a, "a"), (b, "b")] {
                group.addTask {
                    var mine: [Int64] = []
                    var cursors: [Int64: Int64] = [:]
                    while true {
                        let claim = try await store.claimQueued(teacher: Fixtures.teacher, owner: owner, limit: 7, leaseSeconds: 3600, cursors: cursors)
                        if claim.jobs.isEmpty { return mine }
                        cursors = claim.cursors
                        mine += claim.jobs.map(\.id)
                    }
                }
            }
            var all: [[Int64]] = []
            for try await ids in group { all.append(ids) }
            return all
        }
        #expect(Set(claimed[0]).isDisjoint(with: claimed[1]))
        #expect(Set(claimed[0] + claimed[1]).count == 300)
    }

    @Test func renewedLeasesAreNotReclaimedExpiredOnesAre() async throws {
        let dir = TempDir()
        let store = try Self.store(dir, prompts: 3)
        _ = try store.enqueueRun(Self.request())
        // Leases already expired when granted; renewal rescues the live owner's.
        let live = try await store.claimQueued(teacher: Fixtures.teacher, owner: "live", limit: 1, leaseSeconds: -1)
        #expect(try await store.renewLeases(owner: "live", leaseSeconds: 3600) == 1)
        let dead = try await store.claimQueued(teacher: Fixtures.teacher, owner: "dead", limit: 1, leaseSeconds: -1)
        #expect(dead.jobs.map(\.id) != live.jobs.map(\.id))
        let next = try await store.claimQueued(teacher: Fixtures.teacher, owner: "new", limit: 3, leaseSeconds: 3600)
        #expect(Set(next.jobs.map(\.id)) == Set([dead.jobs[0].id, try #require(next.jobs.last).id]))
        #expect(!next.jobs.map(\.id).contains(live.jobs[0].id))
        #expect(try await store.releaseAll(owner: "new") == 2)
        #expect(try store.jobInfo(id: dead.jobs[0].id)?.state == .pending)
    }

    @Test func answersAreChargedAtTheTeacherPricesAndCountTowardsTheRun() async throws {
        let dir = TempDir()
        let store = try Self.store(dir, prompts: 4)
        let run = try store.enqueueRun(Self.request(prices: (1_000_000, 2_000_000)))
        let claim = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 2, leaseSeconds: 3600)
        for job in claim.jobs { try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id)) }
        // A duplicate answer (job already done) is still paid for.
        try await store.commitSuccess(Fixtures.attempt(claim.jobs[0].id), response: Fixtures.response(claim.jobs[0].id))
        let status = try #require(try store.runStatus(id: run.runId))
        // 10 prompt tokens × 1 + 5 completion tokens × 2 = 20 per answer, three answers paid.
        #expect(status.spent == 60 && status.answers == 3 && status.done == 2 && status.pending == 2)
        #expect(status.projectedSpend == 60 + 2 * 20)
        #expect(try store.sweepSpend()[run.sweepId] == 60)
    }

    @Test func aBudgetLimitsClaimsAndStopsTheRun() async throws {
        let dir = TempDir()
        let store = try Self.store(dir, prompts: 40)
        // Each answer costs 20; a budget of 100 pays for five.
        let run = try store.enqueueRun(Self.request(budget: 100, prices: (1_000_000, 2_000_000)))
        var paid = 0
        while true {
            let claim = try await store.claimQueued(teacher: Fixtures.teacher, owner: "a", limit: 4, leaseSeconds: 3600)
            if claim.jobs.isEmpty { break }
            for job in claim.jobs { try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id)) }
            paid += claim.jobs.count
        }
        let status = try #require(try store.runStatus(id: run.runId))
        #expect(status.state == .budget)
        // The first claim knows no cost yet and takes 4 (the in-flight limit); then only what the budget pays for.
        #expect(paid >= 5 && paid <= 5 + 4)
        #expect(status.spent <= 100 + 4 * 20)
        // A new run (e.g. after raising the budget) takes over the waiting jobs.
        let next = try store.enqueueRun(Self.request(budget: 1000, prices: (1_000_000, 2_000_000)))
        #expect(!next.reused && next.queued == 40 - paid)
    }
}
