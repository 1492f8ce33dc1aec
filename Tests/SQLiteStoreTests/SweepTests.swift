import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct SweepTests {
    static func keys(_ path: String) throws -> [[UInt8]] {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        let s = try db.prepare("SELECT key FROM jobs ORDER BY key")
        var out: [[UInt8]] = []
        while try s.step() { out.append(s.blob(0)) }
        return out
    }

    @Test func jobCountIsPromptsTimesSamples() throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 7, samples: 3)
        #expect(try store.counts()["jobs"] == 21)
        #expect(try store.jobStates(sweepId: sweepId)[.pending] == 21)
        let status = try store.sweepStatus(id: sweepId)
        #expect(status.total == 21 && status.pending == 21 && status.done == 0)
        #expect(status.setName == "s" && status.model == "teacher-7b" && status.name == "w")
        // Keys are the domain's JobKey of (prompt, teacher, params, sample).
        let expected = Fixtures.prompts(7).flatMap { p in
            (0..<3).map { JobKey.make(promptHash: p.contentHash, teacher: Fixtures.teacher, params: Fixtures.params, sampleIndex: $0) }
        }
        #expect(try Self.keys(dir.db) == expected.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func createSweepTwiceIsIdempotent() throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 4, samples: 2)
        let keys = try Self.keys(dir.db)
        let again = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 2)
        #expect(again == SweepSummary(sweepId: sweepId, totalJobs: 8, newJobs: 0, alreadyDone: 0, requeuedFailed: 0))
        #expect(try Self.keys(dir.db) == keys)
        #expect(try store.counts()["sweeps"] == 1)
        #expect(try store.counts()["sweep_jobs"] == 8)
        // Another sweep with the same definition shares the jobs: nothing new to pay for.
        let other = try store.createSweep(name: "w2", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 2)
        #expect(other.newJobs == 0 && other.totalJobs == 8 && other.sweepId != sweepId)
        #expect(try store.counts()["jobs"] == 8)
    }

    @Test func rerunSkipsDoneRequeuesFailedAndAddsNewPrompts() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 3)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 10, leaseSeconds: 60)
        try await store.commitSuccess(Fixtures.attempt(jobs[0].id), response: Fixtures.response(jobs[0].id))
        try await store.recordFailure(Fixtures.attempt(jobs[1].id, outcome: .fatal, status: 400, error: "bad request"), final: true)
        try await store.release(jobIds: [jobs[2].id], owner: "a")
        _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(5), sourceName: "more.jsonl")
        let rerun = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1)
        #expect(rerun == SweepSummary(sweepId: sweepId, totalJobs: 5, newJobs: 2, alreadyDone: 1, requeuedFailed: 1))
        let states = try store.jobStates(sweepId: sweepId)
        #expect(states[.done] == 1 && states[.pending] == 4 && states[.failed] == 0)
        #expect(try store.jobInfo(id: jobs[1].id)?.attempts == 1)
    }

    @Test func moreSamplesAddOnlyTheNewOnes() throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 3, samples: 1)
        let more = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 4)
        #expect(more.sweepId == sweepId && more.totalJobs == 12 && more.newJobs == 9)
    }

    @Test func unknownSetAndConflictingDefinitionsAreErrors() throws {
        let dir = TempDir()
        let (store, _) = try Fixtures.storeWithSweep(dir, prompts: 2)
        let before = try store.counts()
        #expect {
            _ = try store.createSweep(name: "x", setName: "nope", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1)
        } throws: { error in
            guard case StoreError.unknownSet("nope") = error else { return false }
            return "\(error)".contains("'nope'")
        }
        var otherParams = Fixtures.params
        otherParams.temperature = 0
        #expect {
            _ = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: otherParams, samples: 1)
        } throws: { error in
            guard case StoreError.sweepConflict("w", _) = error else { return false }
            return true
        }
        #expect(throws: StoreError.self) {
            try store.createSweep(name: "y", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 0)
        }
        #expect(try store.counts() == before)
        #expect(throws: StoreError.self) { try store.sweepStatus(id: 999) }
    }

    @Test func apiKeyIsNeverStoredOnlyItsVariableName() throws {
        let dir = TempDir()
        _ = try Fixtures.storeWithSweep(dir, prompts: 1)
        let db = try SQLiteDatabase(path: dir.db, mode: .readOnly)
        #expect(try db.queryOne("SELECT api_key_env FROM teachers") { $0.string(0) } == "TEACHER_KEY")
    }
}
