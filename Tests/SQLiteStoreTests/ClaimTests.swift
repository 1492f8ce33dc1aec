import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct ClaimTests {
    @Test func claimedJobsCarryEverythingNeededToSend() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2, samples: 2)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 3, leaseSeconds: 3600)
        #expect(jobs.count == 3)
        #expect(jobs.map(\.id) == jobs.map(\.id).sorted())
        let job = try #require(jobs.first)
        #expect(job.messages == Fixtures.prompt(0).messages)
        #expect(job.teacher == Fixtures.teacher)
        #expect(job.params == Fixtures.params)
        #expect(job.key == JobKey.make(promptHash: Fixtures.prompt(0).contentHash, teacher: Fixtures.teacher, params: Fixtures.params,
                                       sampleIndex: job.sampleIndex))
        #expect(try store.jobInfo(id: job.id)?.leaseOwner == "a")
        #expect(try store.jobStates(sweepId: sweepId)[.leased] == 3)
    }

    @Test func twoOwnersNeverGetTheSameJob() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 50, samples: 2)
        let claimed = try await withThrowingTaskGroup(of: (String, [Int64]).self) { group in
            for owner in ["a", "b"] {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let jobs = try await store.claimJobs(sweepId: sweepId, owner: owner, limit: 7, leaseSeconds: 3600)
                        if jobs.isEmpty { return (owner, mine) }
                        mine += jobs.map(\.id)
                    }
                }
            }
            var all: [String: [Int64]] = [:]
            for try await (owner, ids) in group { all[owner] = ids }
            return all
        }
        let a = claimed["a"] ?? [], b = claimed["b"] ?? []
        #expect(Set(a).isDisjoint(with: b))
        #expect(a.count + b.count == 100)
        #expect(Set(a + b).count == 100)
    }

    @Test func expiredLeasesAreReclaimedLiveOnesAreNot() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2)
        // A lease that expired a second ago and one that lasts ten hours (no sleeping: deterministic under load).
        let long = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1, leaseSeconds: 36000)
        let short = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1, leaseSeconds: -1)
        #expect(short.count == 1 && long.count == 1 && short[0].id != long[0].id)
        let reclaimed = try await store.claimJobs(sweepId: sweepId, owner: "b", limit: 10, leaseSeconds: 3600)
        #expect(reclaimed.map(\.id) == short.map(\.id))
        #expect(try store.jobInfo(id: short[0].id)?.leaseOwner == "b")
        #expect(try store.jobInfo(id: long[0].id)?.leaseOwner == "a")
        #expect(try await store.claimJobs(sweepId: sweepId, owner: "c", limit: 10, leaseSeconds: 3600).isEmpty)
    }

    @Test func doneAndFailedJobsAreNeverClaimed() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 3)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 3, leaseSeconds: -1)
        try await store.commitSuccess(Fixtures.attempt(jobs[0].id), response: Fixtures.response(jobs[0].id))
        try await store.recordFailure(Fixtures.attempt(jobs[1].id, outcome: .fatal, status: 400, error: "no"), final: true)
        let next = try await store.claimJobs(sweepId: sweepId, owner: "b", limit: 10, leaseSeconds: 3600)
        #expect(next.map(\.id) == [jobs[2].id])
    }

    @Test func releaseOnlyFreesTheOwnersLeases() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2)
        let a = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 1, leaseSeconds: 3600)
        let b = try await store.claimJobs(sweepId: sweepId, owner: "b", limit: 1, leaseSeconds: 3600)
        try await store.release(jobIds: a.map(\.id) + b.map(\.id), owner: "a")
        #expect(try store.jobInfo(id: a[0].id)?.state == .pending)
        #expect(try store.jobInfo(id: b[0].id)?.state == .leased)
        let again = try await store.claimJobs(sweepId: sweepId, owner: "c", limit: 5, leaseSeconds: 3600)
        #expect(again.map(\.id) == a.map(\.id))
    }

    @Test func unknownSweepIsAnError() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        await #expect {
            _ = try await store.claimJobs(sweepId: 42, owner: "a", limit: 1, leaseSeconds: 1)
        } throws: { error in
            guard case StoreError.unknownSweep(42) = error else { return false }
            return true
        }
    }
}
