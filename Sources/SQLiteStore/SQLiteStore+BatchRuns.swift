import HarvestCore

/// Queued runs sent through a provider's batch API (`harvest serve` with `via: batch`).
extension SQLiteStore {
    /// Every active run with `via = 'batch'`, oldest first, with its spend, the worst case reserved by its sweep's
    /// open batches and the teacher's prices.
    public func activeBatchRuns() throws -> [BatchRun] {
        try read { db in
            try db.with("""
                SELECT r.id, s.id, s.name, t.name, r.budget, r.spent,
                  (SELECT coalesce(sum(b.worst_cost), 0) FROM batches b WHERE b.sweep_id = s.id AND b.stage <> 'collected'),
                  t.input_per_million, t.output_per_million
                FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id JOIN teachers t ON t.id = s.teacher_id
                WHERE r.state = 'active' AND r.via = 'batch' ORDER BY r.id
                """) { s in
                var out: [BatchRun] = []
                while try s.step() {
                    let prices: (input: Double, output: Double)? = s.optionalDouble(7).flatMap { i in s.optionalDouble(8).map { (i, $0) } }
                    out.append(BatchRun(runId: s.int64(0), sweepId: s.int64(1), sweepName: s.string(2), teacherName: s.string(3),
                                        budget: s.optionalDouble(4), spent: s.double(5), reserved: s.double(6), prices: prices))
                }
                return out
            }
        }
    }

    /// Ends active run `runId`: `done` when none of its jobs is pending or leased (returns `.done`), or `budget`
    /// when `budgetReached` (its pending jobs wait for the next run; returns `.budget`); nil when it stays active.
    @discardableResult
    public func finishBatchRun(runId: Int64, budgetReached: Bool = false) async throws -> RunState? {
        try await write { db in
            if try QueueRows.openJobs(db, runId: runId) == 0 {
                try QueueRows.finish(db, runId: runId, state: .done, now: unixNow())
                return db.changes == 1 ? .done : nil
            }
            guard budgetReached else { return nil }
            try QueueRows.finish(db, runId: runId, state: .budget, now: unixNow())
            return db.changes == 1 ? .budget : nil
        }
    }

    /// Records when the daemon asks the provider about batch `id` next, and the interval its backoff grew to.
    public func scheduleBatchPoll(id: Int64, at nextPollAt: Double, interval: Double) async throws {
        try await write { db in
            try db.with("UPDATE batches SET next_poll_at = ?2, poll_interval = ?3 WHERE id = ?1") { s in
                try s.bind(id, at: 1); try s.bind(nextPollAt, at: 2); try s.bind(interval, at: 3); try s.run()
            }
        }
    }

    /// Open (not collected) batches per provider status (`prepared`/`uploaded` for those not created yet), and
    /// collected ones per final provider status, with their line counts: what `/metrics` shows.
    public func batchStateCounts() throws -> [BatchStateCount] {
        try read { db in
            try db.with("""
                SELECT CASE WHEN stage IN ('prepared', 'uploaded') THEN stage ELSE coalesce(provider_status, stage) END,
                  stage = 'collected', count(*), sum(requests), sum(answered), sum(errored), sum(returned)
                FROM batches GROUP BY 1, 2 ORDER BY 2, 1
                """) { s in
                var out: [BatchStateCount] = []
                while try s.step() {
                    out.append(BatchStateCount(state: s.string(0), collected: s.int(1) == 1, batches: s.int(2), requests: s.int(3),
                                               answered: s.int(4), errored: s.int(5), returned: s.int(6)))
                }
                return out
            }
        }
    }
}
