import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore
import Testing

/// The run queue of `harvest serve` (``RunQueueStore``), recovery and status, checked against SQLite and PostgreSQL
/// alike through the store seam (``HarvestDatabase``). Each opened store stands for one process.
@Suite struct RunQueueConformanceTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "mock-teacher", name: "mock")

    static func request(_ prompts: Int, budget: Double? = nil, prices: (Double, Double)? = nil) -> RunRequest {
        RunRequest(sweepName: "main", setName: "main", teacher: teacher, params: conformanceParams, samples: 1, budget: budget,
                   prices: prices, requestedBy: "test", importing: (conformancePrompts(prompts), "gen.txt"))
    }

    static func answer(_ job: Job, tokens: Int = 10) -> (AttemptRecord, ResponseRecord) {
        let now = Date().timeIntervalSince1970
        return (AttemptRecord(jobId: job.id, startedAt: now, latencyMs: 1, httpStatus: 200, outcome: .success, error: nil),
                ResponseRecord(jobId: job.id, choice: CompletionChoice(index: 0, content: "answer \(job.id)", finishReason: "stop"),
                               usage: Usage(promptTokens: tokens, completionTokens: tokens, totalTokens: 2 * tokens),
                               model: "mock-teacher", receivedAt: now))
    }

    /// Claims with `store` until a claim returns nothing; returns the job ids.
    static func drain(_ store: any HarvestDatabase, owner: String) async throws -> [Int64] {
        var ids: [Int64] = []
        while true {
            let claim = try await store.claimQueued(teacher: teacher, owner: owner, limit: 7, leaseSeconds: 600, cursors: [:])
            if claim.jobs.isEmpty { return ids }
            for job in claim.jobs {
                ids.append(job.id)
                let (attempt, response) = answer(job)
                try await store.commitSuccess(attempt, response: response)
            }
        }
    }

    @Test(arguments: Backend.available)
    func enqueueIsIdempotentAndImportsInTheSameTransaction(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let store = try db.open()
        let first = try await store.enqueueRun(Self.request(12))
        #expect(first.state == .active && !first.reused && first.queued == 12 && first.sweep.newJobs == 12)
        let again = try await store.enqueueRun(Self.request(12))
        #expect(again.runId == first.runId && again.reused && again.queued == 12 && again.sweep.newJobs == 0)
        #expect(try await store.setNames().map(\.name) == ["main"])
        #expect(try await store.activeRuns().map(\.run.runId) == [first.runId])
        #expect(try await store.queueDepth()[.pending] == 12)
    }

    @Test(arguments: Backend.available)
    func twoProcessesShareTheQueueAndTheRunSettles(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let a = try db.open(), b = try db.open()
        let run = try await a.enqueueRun(Self.request(60))
        async let fromA = Self.drain(a, owner: "daemon-a")
        async let fromB = Self.drain(b, owner: "daemon-b")
        let (ja, jb) = try await (fromA, fromB)
        #expect(Set(ja).isDisjoint(with: jb), "no job went to both daemons")
        #expect(Set(ja + jb).count == 60)
        // The claim that found nothing open settled the run.
        let latest = try #require(try await a.latestRuns(now: nil).first)
        #expect(latest.id == run.runId && latest.state == .done && latest.done == 60 && latest.answers == 60)
        #expect(try await a.activeRuns().isEmpty)
        // Queued again: nothing is missing, so nothing is sent.
        let rerun = try await b.enqueueRun(Self.request(60))
        #expect(rerun.state == .done && rerun.queued == 0 && rerun.sweep.alreadyDone == 60 && rerun.runId != run.runId)
        let statuses = try await a.sweepStatuses()
        #expect(statuses.count == 1 && statuses[0].done == 60 && statuses[0].total == 60 && statuses[0].completionTokens == 600)
    }

    @Test(arguments: Backend.available)
    func aBudgetedRunHandsOutOnlyWhatItsBudgetPays(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let a = try db.open(), b = try db.open()
        // 20 tokens per answer at 1,000,000 per million tokens: 20 per answer; a budget of 50 pays for 3 answers.
        _ = try await a.enqueueRun(Self.request(10, budget: 50, prices: (1_000_000, 1_000_000)))
        let first = try await a.claimQueued(teacher: Self.teacher, owner: "a", limit: 10, leaseSeconds: 600, cursors: [:])
        #expect(first.jobs.count == 1, "no cost known yet: one job at a time")
        let other = try await b.claimQueued(teacher: Self.teacher, owner: "b", limit: 10, leaseSeconds: 600, cursors: [:])
        #expect(other.jobs.isEmpty, "another daemon waits while the first job's cost is unknown")
        let (attempt, response) = Self.answer(first.jobs[0])
        try await a.commitSuccess(attempt, response: response)
        let second = try await b.claimQueued(teacher: Self.teacher, owner: "b", limit: 10, leaseSeconds: 600, cursors: [:])
        #expect(second.jobs.count == 2, "the rest of the budget (30) pays for two more at 20 each (rounded up)")
        for job in second.jobs {
            let (attempt, response) = Self.answer(job)
            try await b.commitSuccess(attempt, response: response)
        }
        let stopped = try await a.claimQueued(teacher: Self.teacher, owner: "a", limit: 10, leaseSeconds: 600, cursors: [:])
        #expect(stopped.jobs.isEmpty && stopped.budgetStoppedRuns.count == 1)
        let run = try #require(try await a.latestRuns(now: nil).first)
        #expect(run.state == .budget && run.answers == 3 && abs(run.spent - 60) < 1e-9)
        #expect(abs((try await a.sweepSpend()[run.sweepId] ?? 0) - 60) < 1e-9)
    }

    @Test(arguments: Backend.available)
    func renewAndReleaseAllActOnTheOwnersLeasesOnly(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let a = try db.open(), b = try db.open()
        _ = try await a.enqueueRun(Self.request(8))
        let held = try await a.claimQueued(teacher: Self.teacher, owner: "a", limit: 5, leaseSeconds: 600, cursors: [:])
        let other = try await b.claimQueued(teacher: Self.teacher, owner: "b", limit: 2, leaseSeconds: 600, cursors: [:])
        #expect(held.jobs.count == 5 && other.jobs.count == 2)
        #expect(try await a.renewLeases(owner: "a", leaseSeconds: 600) == 5)
        #expect(try await a.leaseHoldings(sweepId: nil).map(\.owner).sorted() == ["a", "b"])
        #expect(try await a.releaseAll(owner: "a") == 5)
        let depth = try await a.queueDepth()
        #expect(depth[.pending] == 6 && depth[.leased] == 2)
        let again = try await b.claimQueued(teacher: Self.teacher, owner: "b", limit: 10, leaseSeconds: 600, cursors: [:])
        #expect(again.jobs.count == 6, "the five handed back and the one never claimed; b's own live leases stay out")
        #expect(Set(held.jobs.map(\.id)).isSubset(of: again.jobs.map(\.id)))
        #expect(Set(again.jobs.map(\.id)).isDisjoint(with: other.jobs.map(\.id)))
    }

    @Test(arguments: Backend.available)
    func importRulesAreTheSame(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let store = try db.open()
        let prompts = conformancePrompts(3)
        let first = try await store.importPrompts(setName: "s", prompts: prompts + [prompts[0]], sourceName: "a.jsonl")
        #expect(first == ImportSummary(setName: "s", added: 3, unchanged: 1), "an id repeated with the same messages counts once")
        #expect(try await store.importPrompts(setName: "t", prompts: prompts, sourceName: "b.jsonl").added == 3, "another set, same prompts")
        var changed = prompts[1]
        changed.messages = [ChatMessage(role: "user", content: "something else")]
        changed.source = InputLocation(file: "c.jsonl", line: 7)
        do {
            _ = try await store.importPrompts(setName: "s", prompts: [prompts[2], changed], sourceName: "c.jsonl")
            Issue.record("a changed prompt under a known id was accepted")
        } catch StoreError.conflict(let set, let id, let location) {
            #expect(set == "s" && id == "q1" && location == InputLocation(file: "c.jsonl", line: 7))
        }
        #expect(try await store.setNames().map(\.count) == [3, 3], "the refused import kept nothing")
    }

    @Test(arguments: Backend.available)
    func rescuedAnswersAreStoredOncePerJob(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let store = try db.open()
        let run = try await store.enqueueRun(Self.request(3))
        let jobs = try await store.claimQueued(teacher: Self.teacher, owner: "a", limit: 3, leaseSeconds: 600, cursors: [:]).jobs
        try #require(jobs.count == 3)
        let rescued = jobs.prefix(2).map { job in
            let (attempt, response) = Self.answer(job)
            return RescuedAnswer(jobKey: job.key, attempt: attempt, response: response)
        } + [RescuedAnswer(jobKey: [UInt8](repeating: 7, count: 32), attempt: Self.answer(jobs[2]).0, response: Self.answer(jobs[2]).1)]
        let counts = try await store.importRescued(rescued)
        #expect(counts == RescueImportCounts(stored: 2, alreadyDone: 0, unknown: [2]))
        #expect(try await store.importRescued(rescued) == RescueImportCounts(stored: 0, alreadyDone: 2, unknown: [2]))
        let states = try await store.jobStates(sweepId: run.sweepId)
        #expect(states[.done] == 2 && states[.leased] == 1)
    }
}

/// One fresh database of a backend; ``open()`` opens another store on it (another process).
final class QueueDatabase: @unchecked Sendable {
    private let backend: Backend
    private let dir: URL?
    private let postgres: PostgresTestDatabase?
    private let lock = NSLock()
    private var opened: [any HarvestDatabase] = []

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-queue-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            self.dir = dir
            postgres = nil
        case .postgres:
            dir = nil
            postgres = try PostgresTestDatabase()
        }
    }

    /// The PostgreSQL database's URL (nil on SQLite).
    var postgresURL: String? { postgres?.url }

    func open() throws -> any HarvestDatabase {
        let store: any HarvestDatabase
        if let postgres {
            store = try PostgresStore(url: postgres.url, connections: 2)
        } else {
            store = try SQLiteStore(path: dir!.appendingPathComponent("store.sqlite").path)
        }
        lock.withLock { opened.append(store) }
        return store
    }

    func cleanup() {
        for store in lock.withLock({ opened }) { store.close() }
        postgres?.drop()
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }
}
