import Foundation
import HarvestCore
import HarvestStore

/// What one ``BatchCoordinator/step(sweepId:budget:now:)`` found.
public struct BatchStepOutcome: Sendable, Equatable {
    /// Batches of the sweep still open after the step.
    public var open: Int
    /// Batches recorded (and submitted) by this step.
    public var recorded: Int
    /// Pending jobs were left unsubmitted because their worst-case cost does not fit the remaining budget.
    public var budgetBlocked: Bool
    /// Another process works the sweep's batches (another daemon on the same PostgreSQL): this step did nothing.
    public var heldElsewhere = false
}

/// The daemon's way through a batch run: one non-blocking pass at a time, with the poll schedule in the database.
extension BatchCoordinator {
    /// One pass over sweep `sweepId` for `harvest serve`: finishes the creation of recorded batches (as ``run(sweepId:)``
    /// does after a crash), asks the provider about each submitted batch whose `next_poll_at` has come (the interval
    /// starts at ``BatchSettings/pollSeconds`` and grows ×1.5 up to ``BatchSettings/maxPollSeconds`` while nothing
    /// changes; it is stored, so a restart keeps it), collects ended batches, then records and submits files for the
    /// sweep's pending jobs (lines that failed or expired come back as pending jobs and so are resubmitted here,
    /// while attempts last; a job that came back unanswered — expired, cancelled, a batch that failed validation —
    /// from ``BatchSettings/maxRounds`` batches is marked failed). With a `budget` a file takes only the jobs whose worst-case cost fits what is left.
    /// Only one process steps a sweep at a time (``BatchStore/withBatchSweepLock(sweepId:_:)``); when another holds
    /// it the outcome says ``BatchStepOutcome/heldElsewhere`` and nothing was done.
    public func step(sweepId: Int64, budget: BatchBudget?, now: Double = Date().timeIntervalSince1970) async throws -> BatchStepOutcome {
        let outcome = try await store.withBatchSweepLock(sweepId: sweepId) {
            try await stepLocked(sweepId: sweepId, budget: budget, now: now)
        }
        return outcome ?? BatchStepOutcome(open: 0, recorded: 0, budgetBlocked: false, heldElsewhere: true)
    }

    private func stepLocked(sweepId: Int64, budget: BatchBudget?, now: Double) async throws -> BatchStepOutcome {
        var outcome = BatchStepOutcome(open: 0, recorded: 0, budgetBlocked: false)
        for batch in try await store.openBatches(sweepId: sweepId) {
            var batch = batch
            if batch.stage != .submitted {
                batch = try await submit(batch)
                try await store.scheduleBatchPoll(id: batch.id, at: now + settings.pollSeconds, interval: settings.pollSeconds)
                continue
            }
            if let due = batch.nextPollAt, due > now { continue }
            try await poll(batch, now: now)
        }
        let (records, blocked) = try await recordPending(sweepId: sweepId, budget: budget)
        outcome.budgetBlocked = blocked
        for record in records {
            let submitted = try await submit(record)
            try await store.scheduleBatchPoll(id: submitted.id, at: now + settings.pollSeconds, interval: settings.pollSeconds)
        }
        outcome.recorded = records.count
        outcome.open = try await store.openBatches(sweepId: sweepId).count
        return outcome
    }

    /// Asks the provider about one submitted batch, stores what changed, collects it when it has ended, else
    /// schedules the next poll (a transient error backs off like an unchanged status).
    func poll(_ batch: BatchRecord, now: Double) async throws {
        guard let providerId = batch.providerBatchId else { return }
        try checkWire(batch)
        let previous = batch.pollInterval ?? settings.pollSeconds
        let grown = min(max(settings.maxPollSeconds, settings.pollSeconds), previous * 1.5)
        let info: BatchInfo
        do {
            info = try await api.batch(providerId)
        } catch {
            guard error.isTransient else { throw error }
            try await store.scheduleBatchPoll(id: batch.id, at: now + grown, interval: grown)
            return
        }
        let changed = info.status != batch.providerStatus || info.outputFileId != batch.outputFileId
            || info.errorFileId != batch.errorFileId
        if changed {
            try await store.updateBatchStatus(id: batch.id, status: info.status, outputFileId: info.outputFileId,
                                              errorFileId: info.errorFileId, lastError: info.errors)
            report(.status(batchId: batch.id, info: info))
        }
        if info.isTerminal {
            // The daemon has no run-long loop to count rounds in: each job counts the batches it came back from.
            try await collect(batch, info: info, roundLimit: settings.maxRounds)
            return
        }
        let interval = changed ? settings.pollSeconds : grown
        try await store.scheduleBatchPoll(id: batch.id, at: now + interval, interval: interval)
    }
}
