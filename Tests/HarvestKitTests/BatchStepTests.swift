import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// The daemon's non-blocking way through a batch run (``BatchCoordinator/step(sweepId:budget:now:)``): poll
/// schedule kept in the database, line errors and an expired batch resubmitted, and the budget checked before a
/// file is recorded, with spend at the batch price.
@Suite(.serialized) struct BatchStepTests {
    typealias Fixture = BatchCoordinatorTests.Fixture

    /// Steps until the sweep has no open batch and no pending job, or `seconds` pass; returns the steps taken.
    static func stepUntilSettled(_ c: BatchCoordinator, _ f: Fixture, budget: BatchBudget? = nil, seconds: Double = 60) async throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var steps = 0
        while Date() < deadline {
            let outcome = try await c.step(sweepId: f.sweepId, budget: budget)
            steps += 1
            if outcome.open == 0, try f.store.jobStates(sweepId: f.sweepId)[.pending] ?? 0 == 0 || outcome.budgetBlocked { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return steps
    }

    @Test func stepsAnswerEveryJobOnceThroughLineErrorsAndAnExpiredBatch() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.lineErrorRate = 0.1
        faults.expire = 1
        let f = try Fixture(prompts: 80, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 30, pollSeconds: 0.05, maxPollSeconds: 0.2)
        let c = f.coordinator(settings)
        let first = try await c.step(sweepId: f.sweepId, budget: nil)
        #expect(first.recorded == 3 && first.open == 3)
        let open = try f.store.openBatches(sweepId: f.sweepId)
        #expect(open.allSatisfy { $0.stage == .submitted && $0.nextPollAt != nil && $0.pollInterval == 0.05 },
                "each submitted batch has its next poll recorded")
        _ = try await Self.stepUntilSettled(c, f)
        try f.expectExactlyOnce(80)
        let stats = f.mock.batchStats()
        #expect(stats.linesErrored > 0)
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 }, "a line is resubmitted only after it failed or expired")
        let batches = try f.store.batches(sweepId: f.sweepId)
        #expect(batches.contains { $0.providerStatus == "expired" && $0.returned > 0 })
    }

    @Test func thePollBackoffGrowsWhileNothingChangesAndIsStored() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 30  // stays `validating` for the whole test
        let f = try Fixture(prompts: 5, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 30, pollSeconds: 1, maxPollSeconds: 2)
        let c = f.coordinator(settings)
        let start = Date().timeIntervalSince1970.rounded()
        _ = try await c.step(sweepId: f.sweepId, budget: nil, now: start)
        var batch = try #require(f.store.openBatches(sweepId: f.sweepId).first)
        #expect(batch.nextPollAt == start + 1 && batch.pollInterval == 1)
        // Not due yet: no request is made and nothing changes.
        _ = try await c.step(sweepId: f.sweepId, budget: nil, now: start + 0.5)
        #expect(try f.store.openBatches(sweepId: f.sweepId).first == batch)
        // Due, status unchanged (`validating` was already recorded at creation): 1 × 1.5.
        _ = try await c.step(sweepId: f.sweepId, budget: nil, now: start + 1)
        batch = try #require(f.store.openBatches(sweepId: f.sweepId).first)
        #expect(batch.pollInterval == 1.5 && batch.nextPollAt == start + 2.5)
        _ = try await c.step(sweepId: f.sweepId, budget: nil, now: start + 2.5)
        batch = try #require(f.store.openBatches(sweepId: f.sweepId).first)
        #expect(batch.pollInterval == 2, "capped at maxPollSeconds")
        // A fresh coordinator (a restarted daemon) reads the schedule from the database.
        let restarted = f.coordinator(settings)
        _ = try await restarted.step(sweepId: f.sweepId, budget: nil, now: start + 3)
        #expect(try f.store.openBatches(sweepId: f.sweepId).first?.pollInterval == 2)
        #expect(f.mock.batchStats().batchesCreated == 1)
    }

    @Test func aFileIsSubmittedOnlyWhenItsWorstCaseFitsTheBudget() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.05
        let f = try Fixture(prompts: 40, faults: faults)
        try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 2, outputPerMillion: 8)
        let settings = BatchSettings(maxRequestsPerFile: 100, priceFactor: 0.5, pollSeconds: 0.05, maxPollSeconds: 0.2)
        let c = f.coordinator(settings)
        let probe = BatchBudget(remaining: 0, inputPerMillion: 2, outputPerMillion: 8)
        let pending = try f.store.pendingJobs(sweepId: f.sweepId, limit: 40)
        let worst = pending.map { probe.worstCost($0, priceFactor: 0.5) }
        #expect(worst.allSatisfy { $0 > 0 })
        // Room for exactly the first 12 lines' worst case.
        let room = worst.prefix(12).reduce(0, +) + worst[12] / 2
        let budget = BatchBudget(remaining: room, inputPerMillion: 2, outputPerMillion: 8)
        let first = try await c.step(sweepId: f.sweepId, budget: budget)
        #expect(first.recorded == 1 && first.budgetBlocked)
        let batch = try #require(f.store.batches(sweepId: f.sweepId).first)
        #expect(batch.requests == 12)
        #expect(abs((batch.worstCost ?? 0) - worst.prefix(12).reduce(0, +)) < 1e-15, "the worst case is recorded and reserved")
        // Nothing fits once the room is taken: no second file while the first is open.
        let nothing = try await c.step(sweepId: f.sweepId, budget: BatchBudget(remaining: worst[12] / 2, inputPerMillion: 2, outputPerMillion: 8))
        #expect(nothing.recorded == 0 && nothing.budgetBlocked)
        _ = try await Self.stepUntilSettled(c, f, budget: BatchBudget(remaining: 0, inputPerMillion: 2, outputPerMillion: 8))
        #expect(f.mock.batchStats().submissionsPerCustomId.count == 12, "only the lines that fit were ever sent")
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let (cost, expected) = try db.queryOne("""
            SELECT sum(a.cost), sum((r.prompt_tokens * 2.0 + r.completion_tokens * 8.0) * 0.5 / 1000000.0)
            FROM responses r JOIN attempts a ON a.id = r.attempt_id
            """) { ($0.double(0), $0.double(1)) }!
        #expect(expected > 0 && abs(cost - expected) < 1e-12, "spend recorded at the batch price when the results arrive")
        #expect(cost <= room, "the spend stays within the budget")
        #expect(try f.store.jobStates(sweepId: f.sweepId)[.done] == 12)
    }

    @Test func jobsThatEveryBatchExpiresFailAfterTheRoundLimit() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.05
        faults.expire = 100  // every batch expires with a quarter of its lines done
        faults.expireFraction = 0.25
        let f = try Fixture(prompts: 40, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 40, pollSeconds: 0.05, maxPollSeconds: 0.2, maxRounds: 2)
        _ = try await Self.stepUntilSettled(f.coordinator(settings), f)
        let stats = f.mock.batchStats()
        #expect(stats.submissionsPerCustomId.count == 40)
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 }, "no job is in more than batch_rounds batches")
        #expect(stats.batchesCreated == 2, "40 jobs, then the 30 the first batch left unanswered; no third round")
        #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 })
        let states = try f.store.jobStates(sweepId: f.sweepId)
        let done = states[.done] ?? 0
        #expect(done == stats.answersPerCustomId.count && done > 0 && done < 40)
        #expect(states[.failed] == 40 - done && states[.pending] ?? 0 == 0 && states[.leased] ?? 0 == 0, "\(states) \(stats)")
        #expect(try f.store.openBatches(sweepId: f.sweepId).isEmpty)
        let failed = try f.store.pendingJobs(sweepId: f.sweepId, limit: 1)
        #expect(failed.isEmpty)
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let reason = try db.queryOne("SELECT last_error FROM jobs WHERE state = 'failed' LIMIT 1") { $0.string(0) }
        #expect(reason?.contains("not answered in 2 batch rounds") == true, "\(reason ?? "nil")")
    }

    @Test func aBatchThatAlwaysFailsValidationIsNotResubmittedForever() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.05
        faults.failValidation = 100
        let f = try Fixture(prompts: 30, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 20, pollSeconds: 0.05, maxPollSeconds: 0.2, maxRounds: 3)
        _ = try await Self.stepUntilSettled(f.coordinator(settings), f)
        let stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 6 && stats.filesUploaded == 6, "two files, three rounds each: \(stats)")
        let states = try f.store.jobStates(sweepId: f.sweepId)
        #expect(states[.failed] == 30 && states[.pending] ?? 0 == 0 && states[.leased] ?? 0 == 0, "\(states)")
        #expect(try f.store.openBatches(sweepId: f.sweepId).isEmpty)
    }
}
