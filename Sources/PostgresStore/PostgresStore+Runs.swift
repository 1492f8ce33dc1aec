import HarvestCore
import HarvestStore
import SQLiteStore

/// The run queue of `harvest serve` on PostgreSQL, shared by every daemon on the database (the rules of
/// ``RunQueueStore``; SQLite's are the same).
///
/// Queueing takes a transaction-scoped advisory lock on the sweep's name, so two `harvest sweep NAME` at once queue
/// one run. A claim leases pending jobs and expired leases of the teacher's active runs with `FOR UPDATE SKIP
/// LOCKED` (daemons never wait for each other's rows, never get the same job), each with a new fencing token. A run
/// with a budget is claimed under its row lock (`FOR UPDATE`), so daemons sharing it count each other's held jobs
/// against the budget. Runs are settled (`done`, `budget`) by separate single statements after the claim commits.
extension PostgresStore {
    /// Queues a run of sweep `request.sweepName` in one transaction (with the import of `request.importing`).
    /// Idempotent: while the sweep has an active run, that run is returned (its budget updated, jobs of prompts added
    /// since linked to it); otherwise a new run links every job of the sweep that is not done (failed jobs go back to
    /// pending); with nothing missing the new run is `done` at once.
    public func enqueueRun(_ request: RunRequest) async throws -> RunSummary {
        guard request.samples >= 1 else { throw StoreError.invalidInput("samples must be at least 1 (got \(request.samples))") }
        guard !request.sweepName.isEmpty else { throw StoreError.invalidInput("the sweep name is empty") }
        if let budget = request.budget, !(budget >= 0) { throw StoreError.invalidInput("the budget must not be negative (got \(budget))") }
        let now = Self.now
        return try await pool.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtextextended('harvest.enqueue:' || $1, 0))", [.text(request.sweepName)])
            if let importing = request.importing {
                _ = try Self.importPrompts(c, setName: request.setName, prompts: importing.prompts, sourceName: importing.source)
            }
            let active = try c.execute("""
                SELECT r.id FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = $1 AND r.state = 'active'
                """, [.text(request.sweepName)])
            let activeId = active.count == 1 ? try active.int64(0, 0) : nil
            let sweep = try Self.createSweep(c, name: request.sweepName, setName: request.setName, teacher: request.teacher,
                                             params: request.params, samples: request.samples, requeueFailed: activeId == nil)
            _ = try Self.setPrices(c, teacher: request.teacher, input: request.prices?.input, output: request.prices?.output)
            let runId: Int64
            if let activeId {
                runId = activeId
                try c.execute("UPDATE sweep_runs SET budget = $2, via = $3 WHERE id = $1",
                              [.int(activeId), .nullableDouble(request.budget), .text(request.via.rawValue)])
            } else {
                runId = try c.execute("""
                    INSERT INTO sweep_runs(sweep_id, state, budget, requested_by, created_at, via) VALUES($1, 'active', $2, $3, \(now), $4)
                    RETURNING id
                    """, [.int(sweep.sweepId), .nullableDouble(request.budget), .nullableText(request.requestedBy),
                          .text(request.via.rawValue)]).int64(0, 0)
            }
            try c.execute("""
                INSERT INTO run_jobs(run_id, job_id)
                SELECT $1, sj.job_id FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id
                WHERE sj.sweep_id = $2 AND j.state IN ('pending', 'leased') ON CONFLICT DO NOTHING
                """, [.int(runId), .int(sweep.sweepId)])
            let queued = try Self.openJobs(c, runId: runId)
            var state = RunState.active
            if queued == 0 {
                try c.execute("UPDATE sweep_runs SET state = 'done', finished_at = \(now) WHERE id = $1 AND state = 'active'", [.int(runId)])
                state = .done
            }
            return RunSummary(runId: runId, sweepId: sweep.sweepId, reused: activeId != nil, queued: queued, sweep: sweep, state: state)
        }
    }

    /// Leases up to `limit` (at most ``maxClaimBatch``) jobs of the active runs of `teacher` (name, model, endpoint
    /// kind) to `owner` for `leaseSeconds`: oldest run first; within a run, expired leases, then pending jobs by id.
    /// A run at or over its budget is marked `budget` and skipped; with a known mean cost per answer, a run hands out
    /// only what the rest of its budget pays for, counting jobs held by every daemon. A run with nothing open is
    /// marked `done`. `cursors` is returned unchanged (the open-jobs index makes a cursor unnecessary here).
    public func claimQueued(teacher: TeacherEndpoint, owner: String, limit: Int, leaseSeconds: Double,
                            cursors: [Int64: Int64] = [:]) async throws -> QueueClaim {
        // Nothing is claimed while the database is unreachable (PostgresStore+Health): an answer paid now might not be storable.
        guard limit > 0, pool.outage == nil else { return QueueClaim(jobs: [], cursors: cursors, finishedRuns: [], budgetStoppedRuns: []) }
        let batch = min(limit, Self.maxClaimBatch)
        let claimed = try await pool.perform { c -> QueueClaimResult in
            try Self.claimQueued(c, teacher: teacher, owner: owner, limit: batch, leaseSeconds: leaseSeconds)
        }
        fences.withLock { f in
            for row in claimed.rows { f[row.id] = Fence(owner: owner, token: row.token, teacherId: row.teacherId) }
        }
        do {
            return QueueClaim(jobs: try claimed.rows.map { try $0.decode() }, cursors: cursors, finishedRuns: claimed.finished,
                              budgetStoppedRuns: claimed.budgetStopped)
        } catch {
            throw StoreError.corrupt(path: url, detail: "\(error)")
        }
    }

    /// Extends every lease held by `owner` to `leaseSeconds` from now (server clock); returns how many jobs it holds.
    @discardableResult
    public func renewLeases(owner: String, leaseSeconds: Double) async throws -> Int {
        let now = Self.now
        return try await pool.perform { c in
            try c.execute("""
                UPDATE jobs SET lease_expires = \(now) + $2 WHERE state = 'leased' AND lease_owner = $1
                """, [.text(owner), .double(leaseSeconds)]).changed
        }
    }

    /// Hands every job still leased by `owner` back to pending (at shutdown); returns how many.
    @discardableResult
    public func releaseAll(owner: String) async throws -> Int {
        let now = Self.now
        let released = try await pool.perform { c in
            try c.execute("""
                UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = \(now)
                WHERE state = 'leased' AND lease_owner = $1
                """, [.text(owner)]).changed
        }
        fences.withLock { f in f = f.filter { $0.value.owner != owner } }
        return released
    }

    /// Writes the prices of the teacher with `teacher`'s name, model and kind (nil clears them); answers committed
    /// afterwards are charged with them. False when the database has no such teacher yet.
    @discardableResult
    public func setPrices(teacher: TeacherEndpoint, inputPerMillion: Double?, outputPerMillion: Double?) async throws -> Bool {
        try await pool.perform { c in try Self.setPrices(c, teacher: teacher, input: inputPerMillion, output: outputPerMillion) > 0 }
    }

    /// The active runs with the teacher each needs.
    public func activeRuns() async throws -> [ActiveRun] {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT r.id, s.id, s.name, t.name, t.base_url, t.model, t.kind FROM sweep_runs r
                JOIN sweeps s ON s.id = r.sweep_id JOIN teachers t ON t.id = s.teacher_id
                WHERE r.state = 'active' ORDER BY r.id
                """)
            return try (0..<r.count).map { i in
                let teacher = TeacherEndpoint(baseURL: try r.text(i, 4), model: try r.text(i, 5),
                                              kind: EndpointKind(rawValue: try r.text(i, 6)) ?? .chat, name: try r.text(i, 3))
                return ActiveRun(run: RunRef(runId: try r.int64(i, 0), sweepId: try r.int64(i, 1), sweepName: try r.text(i, 2)), teacher: teacher)
            }
        }
    }

    /// Jobs of active runs by state (the queue depth).
    public func queueDepth() async throws -> [JobState: Int] {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT j.state, count(*) FROM sweep_runs r JOIN run_jobs rj ON rj.run_id = r.id
                JOIN jobs j ON j.id = rj.job_id WHERE r.state = 'active' GROUP BY j.state
                """)
            var out = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for i in 0..<r.count {
                if let state = JobState(rawValue: try r.text(i, 0)) { out[state] = try r.int(i, 1) }
            }
            return out
        }
    }

    // MARK: - Statements

    /// Jobs of run `runId` that are pending or leased.
    static func openJobs(_ c: PostgresConnection, runId: Int64) throws -> Int {
        try c.execute("""
            SELECT count(*) FROM run_jobs rj JOIN jobs j ON j.id = rj.job_id WHERE rj.run_id = $1 AND j.state IN ('pending', 'leased')
            """, [.int(runId)]).int(0, 0)
    }

    static func setPrices(_ c: PostgresConnection, teacher: TeacherEndpoint, input: Double?, output: Double?) throws -> Int {
        try c.execute("""
            UPDATE teachers SET input_per_million = $4, output_per_million = $5 WHERE name = $1 AND model = $2 AND kind = $3
            """, [.text(teacher.name), .text(teacher.model), .text(teacher.kind.rawValue), .nullableDouble(input),
                  .nullableDouble(output)]).changed
    }

    /// One claim on connection `c` (see ``claimQueued(teacher:owner:limit:leaseSeconds:cursors:)``).
    static func claimQueued(_ c: PostgresConnection, teacher: TeacherEndpoint, owner: String, limit: Int,
                            leaseSeconds: Double) throws -> QueueClaimResult {
        var out = QueueClaimResult()
        let found = try c.execute("SELECT id FROM teachers WHERE name = $1 AND model = $2 AND kind = $3",
                                  [.text(teacher.name), .text(teacher.model), .text(teacher.kind.rawValue)])
        guard found.count == 1 else { return out }
        let teacherId = try found.int64(0, 0)
        // Runs over their budget stop first (one statement; a concurrent claim may do the same, only one reports it).
        let stopped = try c.execute("""
            UPDATE sweep_runs r SET state = 'budget', finished_at = \(now) FROM sweeps s
            WHERE s.id = r.sweep_id AND s.teacher_id = $1 AND r.state = 'active' AND r.via = 'requests'
              AND r.budget IS NOT NULL AND r.spent >= r.budget
            RETURNING r.id, s.id, s.name
            """, [.int(teacherId)])
        out.budgetStopped = try (0..<stopped.count).map { RunRef(runId: try stopped.int64($0, 0), sweepId: try stopped.int64($0, 1),
                                                                  sweepName: try stopped.text($0, 2)) }
        var emptyRuns: [RunRef] = []
        try c.transaction {
            // Budgeted runs are locked (in id order) before any job row: their spend and held jobs are then exact.
            let runs = try c.execute("""
                SELECT r.id, r.budget, r.spent, r.answers, s.id, s.name FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id
                WHERE r.state = 'active' AND r.via = 'requests' AND s.teacher_id = $1 ORDER BY r.id
                """, [.int(teacherId)])
            var budgeted: Set<Int64> = []
            for i in 0..<runs.count where !runs.isNull(i, 1) { budgeted.insert(try runs.int64(i, 0)) }
            var locked: [Int64: (budget: Double, spent: Double, answers: Int)] = [:]
            if !budgeted.isEmpty {
                let rows = try c.execute("""
                    SELECT id, budget, spent, answers FROM sweep_runs WHERE id = ANY($1::bigint[]) AND state = 'active' ORDER BY id FOR UPDATE
                    """, [.intArray(budgeted.sorted())])
                for i in 0..<rows.count {
                    locked[try rows.int64(i, 0)] = (try rows.optionalDouble(i, 1) ?? 0, try rows.optionalDouble(i, 2) ?? 0, try rows.int(i, 3))
                }
            }
            for i in 0..<runs.count where out.rows.count < limit {
                let runId = try runs.int64(i, 0)
                let ref = RunRef(runId: runId, sweepId: try runs.int64(i, 4), sweepName: try runs.text(i, 5))
                var allowance = limit - out.rows.count
                if budgeted.contains(runId) {
                    guard let run = locked[runId], run.spent < run.budget else { continue }
                    let held = try heldJobs(c, runId: runId)
                    if run.answers > 0, run.spent > 0 {
                        // What the rest of the budget pays for at the run's mean cost, less the jobs daemons hold.
                        let affordable = Int(((run.budget - run.spent) / (run.spent / Double(run.answers))).rounded(.up)) - held.leased
                        allowance = min(allowance, max(held.leased == 0 ? 1 : 0, affordable))
                    } else if run.answers == 0 {
                        // No cost known yet: one job at a time until the first paid answer gives the mean cost.
                        allowance = min(allowance, held.live == 0 ? 1 : 0)
                    }
                }
                if allowance == 0 { continue }
                let rows = try lease(c, runId: runId, owner: owner, limit: allowance, leaseSeconds: leaseSeconds)
                if rows.isEmpty { emptyRuns.append(ref) }
                out.rows += rows
            }
        }
        // Settling is its own statement, after the claim committed: a run is done when nothing of it is open.
        for run in emptyRuns {
            let settled = try c.execute("""
                UPDATE sweep_runs r SET state = 'done', finished_at = \(now) WHERE r.id = $1 AND r.state = 'active'
                  AND NOT EXISTS (SELECT 1 FROM run_jobs rj JOIN jobs j ON j.id = rj.job_id
                                  WHERE rj.run_id = r.id AND j.state IN ('pending', 'leased'))
                """, [.int(run.runId)])
            if settled.changed == 1 { out.finished.append(run) }
        }
        out.rows.sort { $0.id < $1.id }
        return out
    }

    /// Jobs of run `runId` leased (by anyone), and those whose lease has not run out.
    private static func heldJobs(_ c: PostgresConnection, runId: Int64) throws -> (leased: Int, live: Int) {
        let r = try c.execute("""
            SELECT count(*), count(*) FILTER (WHERE j.lease_expires >= \(now)) FROM jobs j
            WHERE j.state = 'leased' AND EXISTS (SELECT 1 FROM run_jobs rj WHERE rj.run_id = $1 AND rj.job_id = j.id)
            """, [.int(runId)])
        return (try r.int(0, 0), try r.int(0, 1))
    }

    /// Leases up to `limit` open jobs of run `runId` (expired leases first, then pending by id), skipping rows another
    /// claimer is taking; each gets a new fencing token.
    private static func lease(_ c: PostgresConnection, runId: Int64, owner: String, limit: Int, leaseSeconds: Double) throws -> [ClaimRow] {
        let r = try c.execute("""
            UPDATE jobs j SET state = 'leased', lease_owner = $2, lease_expires = \(now) + $3, lease_token = nextval('lease_tokens'),
              updated_at = \(now)
            FROM (SELECT o.id FROM jobs o
                  WHERE o.state IN ('pending', 'leased') AND (o.state = 'pending' OR o.lease_expires < \(now))
                    AND EXISTS (SELECT 1 FROM run_jobs rj WHERE rj.run_id = $1 AND rj.job_id = o.id)
                  ORDER BY o.state = 'pending', o.id LIMIT $4 FOR UPDATE SKIP LOCKED) picked,
                 prompts p, teachers t, param_sets ps
            WHERE j.id = picked.id AND p.id = j.prompt_id AND t.id = j.teacher_id AND ps.id = j.param_set_id
            RETURNING j.id, j.lease_token, j.key, j.prompt_id, p.messages, t.base_url, t.model, t.kind, t.api_key_env,
              ps.canonical, j.sample_index, j.attempts, t.name, t.id
            """, [.int(runId), .text(owner), .double(leaseSeconds), .int(Int64(limit))])
        return try ClaimRow.read(r)
    }
}

/// What one claim on the run queue found, before decoding.
struct QueueClaimResult: Sendable {
    var rows: [ClaimRow] = []
    var finished: [RunRef] = []
    var budgetStopped: [RunRef] = []
}

extension ClaimRow {
    /// The rows of a claim statement that returns the columns of ``PostgresStore/claimJobs(sweepId:owner:limit:leaseSeconds:)``.
    static func read(_ r: PostgresResult) throws -> [ClaimRow] {
        try (0..<r.count).map { i in
            ClaimRow(id: try r.int64(i, 0), token: try r.int64(i, 1), key: try r.bytes(i, 2) ?? [], promptId: try r.int64(i, 3),
                     messages: try r.text(i, 4), baseURL: try r.text(i, 5), model: try r.text(i, 6), kind: try r.text(i, 7),
                     apiKeyEnv: r.string(i, 8), params: try r.text(i, 9), sampleIndex: try r.int(i, 10), attempts: try r.int(i, 11),
                     teacherName: try r.text(i, 12), teacherId: try r.int64(i, 13))
        }
    }
}
