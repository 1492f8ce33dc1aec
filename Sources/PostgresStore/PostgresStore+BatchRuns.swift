import HarvestCore
import HarvestStore
import SQLiteStore

/// Queued batch runs (`sweep_runs.via = 'batch'`), the daemon's poll schedule, the `/metrics` counts, and the
/// per-sweep lock that lets one process at a time work a sweep's batches, on PostgreSQL.
extension PostgresStore {
    /// Every active run with `via = 'batch'`, oldest first, with its spend, the worst case reserved by its sweep's
    /// open batches and the teacher's prices.
    public func activeBatchRuns() async throws -> [BatchRun] {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT r.id, s.id, s.name, t.name, r.budget, r.spent,
                  (SELECT coalesce(sum(b.worst_cost), 0) FROM batches b WHERE b.sweep_id = s.id AND b.stage <> 'collected'),
                  t.input_per_million, t.output_per_million
                FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id JOIN teachers t ON t.id = s.teacher_id
                WHERE r.state = 'active' AND r.via = 'batch' ORDER BY r.id
                """)
            return try (0..<r.count).map { i in
                let input = try r.optionalDouble(i, 7), output = try r.optionalDouble(i, 8)
                let prices: (input: Double, output: Double)? = input.flatMap { i in output.map { (i, $0) } }
                return BatchRun(runId: try r.int64(i, 0), sweepId: try r.int64(i, 1), sweepName: try r.text(i, 2), teacherName: try r.text(i, 3),
                                budget: try r.optionalDouble(i, 4), spent: try r.optionalDouble(i, 5) ?? 0,
                                reserved: try r.optionalDouble(i, 6) ?? 0, prices: prices)
            }
        }
    }

    /// Ends active run `runId`: `done` when none of its jobs is pending or leased, or `budget` when `budgetReached`;
    /// nil when it stays active (or another process ended it first). Under the run's row lock.
    @discardableResult
    public func finishBatchRun(runId: Int64, budgetReached: Bool = false) async throws -> RunState? {
        let now = Self.now
        return try await pool.transaction { c -> RunState? in
            guard try c.execute("SELECT id FROM sweep_runs WHERE id = $1 AND state = 'active' FOR UPDATE", [.int(runId)]).count == 1 else {
                return nil
            }
            let state: RunState
            if try Self.openJobs(c, runId: runId) == 0 {
                state = .done
            } else if budgetReached {
                state = .budget
            } else {
                return nil
            }
            let changed = try c.execute("UPDATE sweep_runs SET state = $2, finished_at = \(now) WHERE id = $1 AND state = 'active'",
                                        [.int(runId), .text(state.rawValue)]).changed
            return changed == 1 ? state : nil
        }
    }

    /// Records when batch `id` is polled next and the interval the daemon's backoff grew to.
    public func scheduleBatchPoll(id: Int64, at nextPollAt: Double, interval: Double) async throws {
        try await pool.perform { c -> Void in
            try c.execute("UPDATE batches SET next_poll_at = $2, poll_interval = $3 WHERE id = $1",
                          [.int(id), .double(nextPollAt), .double(interval)])
        }
    }

    /// Open batches per provider status (`prepared`/`uploaded` before they exist there) and collected ones per final
    /// status, with their line counts; ordered as on SQLite (open first, then by state in byte order).
    public func batchStateCounts() async throws -> [BatchStateCount] {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT CASE WHEN stage IN ('prepared', 'uploaded') THEN stage ELSE coalesce(provider_status, stage) END COLLATE "C" AS state,
                  stage = 'collected' AS collected, count(*), sum(requests), sum(answered), sum(errored), sum(returned)
                FROM batches GROUP BY 1, 2 ORDER BY 2, 1
                """)
            return try (0..<r.count).map { i in
                BatchStateCount(state: try r.text(i, 0), collected: try r.text(i, 1) == "t", batches: try r.int(i, 2), requests: try r.int(i, 3),
                                answered: try r.int(i, 4), errored: try r.int(i, 5), returned: try r.int(i, 6))
            }
        }
    }

    /// Runs `body` while this process alone works sweep `sweepId`'s batches; nil (without running it) when another
    /// process or another task of this one holds them. The lock is a session advisory lock on a connection of its own
    /// (``PostgresBatchLocks``): it ends when `body` ends, or when that connection or the process dies (kill -9),
    /// so a crashed daemon never blocks the others.
    public func withBatchSweepLock<T: Sendable>(sweepId: Int64, _ body: () async throws -> T) async throws -> T? {
        guard try await batchLocks.acquire(sweepId) else { return nil }
        let result: T
        do {
            result = try await body()
        } catch {
            await batchLocks.release(sweepId)
            throw error
        }
        await batchLocks.release(sweepId)
        return result
    }

    /// Whether this process still holds sweep `sweepId`'s lock: its connection is the session that took it and the
    /// server lists the lock as granted to it (false after the connection was lost: the server released the lock).
    public func holdsBatchSweepLock(sweepId: Int64) async throws -> Bool {
        try await batchLocks.holds(sweepId)
    }
}
