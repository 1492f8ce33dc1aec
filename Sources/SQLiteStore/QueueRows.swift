import HarvestCore

/// Rows of one claim across the active runs of a teacher, read on the writer thread.
struct QueueClaimRows: Sendable {
    var rows: [ClaimedRow] = []
    var cursors: [Int64: Int64] = [:]
    var finished: [RunRef] = []
    var budgetStopped: [RunRef] = []
}

/// The statements of the durable sweep queue (schema version 2), run on the writer connection.
enum QueueRows {
    static func enqueue(_ db: SQLiteDatabase, _ r: RunRequest, now: Double) throws -> RunSummary {
        let existing = try db.queryOne("SELECT id FROM sweeps WHERE name = ?1", bind: { try $0.bind(r.sweepName, at: 1) }) { $0.int64(0) }
        let active = try existing.flatMap { id in
            try db.queryOne("SELECT id FROM sweep_runs WHERE sweep_id = ?1 AND state = 'active'", bind: { try $0.bind(id, at: 1) }) { $0.int64(0) }
        }
        // A new run retries the failed jobs; an active run keeps working on what it has.
        let sweep = try SweepRows.createSweep(db, name: r.sweepName, setName: r.setName, teacher: r.teacher, params: r.params,
                                              samples: r.samples, now: now, requeueFailed: active == nil)
        _ = try SpendRows.setPrices(db, name: r.teacher.name, model: r.teacher.model, kind: r.teacher.kind.rawValue,
                                    input: r.prices?.input, output: r.prices?.output)
        let runId: Int64
        if let active {
            runId = active
            try db.with("UPDATE sweep_runs SET budget = ?2, via = ?3 WHERE id = ?1") { s in
                try s.bind(active, at: 1); try s.bind(r.budget, at: 2); try s.bind(r.via.rawValue, at: 3); try s.run()
            }
        } else {
            try db.with("""
                INSERT INTO sweep_runs(sweep_id, state, budget, requested_by, created_at, via) VALUES(?1, 'active', ?2, ?3, ?4, ?5)
                """) { s in
                try s.bind(sweep.sweepId, at: 1); try s.bind(r.budget, at: 2); try s.bind(r.requestedBy, at: 3); try s.bind(now, at: 4)
                try s.bind(r.via.rawValue, at: 5)
                try s.run()
            }
            runId = db.lastInsertRowid
        }
        try db.with("""
            INSERT OR IGNORE INTO run_jobs(run_id, job_id)
            SELECT ?1, sj.job_id FROM sweep_jobs sj CROSS JOIN jobs j ON j.id = sj.job_id
            WHERE sj.sweep_id = ?2 AND j.state IN ('pending', 'leased')
            """) { s in
            try s.bind(runId, at: 1); try s.bind(sweep.sweepId, at: 2); try s.run()
        }
        let queued = try openJobs(db, runId: runId)
        var state = RunState.active
        if queued == 0 {
            try finish(db, runId: runId, state: .done, now: now)
            state = .done
        }
        return RunSummary(runId: runId, sweepId: sweep.sweepId, reused: active != nil, queued: queued, sweep: sweep, state: state)
    }

    /// Jobs of run `runId` that are pending or leased.
    static func openJobs(_ db: SQLiteDatabase, runId: Int64) throws -> Int {
        try db.queryOne("""
            SELECT count(*) FROM run_jobs rj CROSS JOIN jobs j ON j.id = rj.job_id
            WHERE rj.run_id = ?1 AND j.state IN ('pending', 'leased')
            """, bind: { try $0.bind(runId, at: 1) }) { $0.int(0) } ?? 0
    }

    static func finish(_ db: SQLiteDatabase, runId: Int64, state: RunState, now: Double) throws {
        try db.with("UPDATE sweep_runs SET state = ?2, finished_at = ?3 WHERE id = ?1 AND state = 'active'") { s in
            try s.bind(runId, at: 1); try s.bind(state.rawValue, at: 2); try s.bind(now, at: 3); try s.run()
        }
    }

    /// Leases up to `limit` jobs of the active runs of teacher (`name`, `model`, `kind`), oldest run first.
    /// Within a run: expired leases first, then pending jobs in id order from `cursors[run]`.
    static func claim(_ db: SQLiteDatabase, teacher: TeacherEndpoint, owner: String, limit: Int, leaseSeconds: Double,
                      cursors: [Int64: Int64], now: Double) throws -> QueueClaimRows {
        var out = QueueClaimRows()
        out.cursors = cursors
        guard let teacherId = try db.queryOne("SELECT id FROM teachers WHERE name = ?1 AND model = ?2 AND kind = ?3", bind: { s in
            try s.bind(teacher.name, at: 1); try s.bind(teacher.model, at: 2); try s.bind(teacher.kind.rawValue, at: 3)
        }, read: { $0.int64(0) }) else { return out }
        var runs: [(id: Int64, budget: Double?, spent: Double, answers: Int, ref: RunRef)] = []
        try db.with("""
            SELECT r.id, r.budget, r.spent, r.answers, s.id, s.name FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id
            WHERE r.state = 'active' AND r.via = 'requests' AND s.teacher_id = ?1 ORDER BY r.id
            """) { s in
            try s.bind(teacherId, at: 1)
            while try s.step() {
                runs.append((s.int64(0), s.optionalDouble(1), s.double(2), s.int(3), RunRef(runId: s.int64(0), sweepId: s.int64(4), sweepName: s.string(5))))
            }
        }
        // Jobs of processes known to be gone come back to pending first; expired leases are taken unless a
        // process of this host that still runs holds them.
        var judge = LeaseRows.Judge(claimer: owner)
        _ = try LeaseRows.releaseDead(db, judge: &judge, now: now)
        var ids: [Int64] = []
        for run in runs where ids.count < limit {
            var allowance = limit - ids.count
            if let budget = run.budget {
                if run.spent >= budget {
                    try finish(db, runId: run.id, state: .budget, now: now)
                    out.budgetStopped.append(run.ref)
                    continue
                }
                let leased = try leasedJobs(db, runId: run.id)
                if run.answers > 0, run.spent > 0 {
                    // Claim only what the rest of the budget pays for at the run's mean cost, counting jobs held
                    // (in flight or prefetched by a runner).
                    let affordable = Int(((budget - run.spent) / (run.spent / Double(run.answers))).rounded(.up)) - leased
                    allowance = min(allowance, max(leased == 0 ? 1 : 0, affordable))
                } else if run.answers == 0 {
                    // No cost known yet: one job at a time until the first paid answer gives the mean cost (a runner's
                    // prefetch must not hold more jobs than the budget may pay for).
                    // Leases that ran out (their owner is gone) do not hold the run back.
                    allowance = min(allowance, try heldJobs(db, runId: run.id, now: now) == 0 ? 1 : 0)
                }
            }
            if allowance == 0 { continue }
            var found = try expired(db, runId: run.id, now: now, limit: allowance, judge: &judge)
            if found.count < allowance {
                let cursor = cursors[run.id] ?? 0
                var pending = try pendingJobs(db, runId: run.id, after: cursor, limit: allowance - found.count)
                if pending.count < allowance - found.count, cursor > 0 {
                    // Jobs handed back below the cursor (released by a stop) are found by one scan from the start.
                    pending = try pendingJobs(db, runId: run.id, after: 0, limit: allowance - found.count)
                }
                if let last = pending.last { out.cursors[run.id] = last } else { out.cursors[run.id] = nil }
                found += pending
            }
            if found.isEmpty, try openJobs(db, runId: run.id) == 0 {
                try finish(db, runId: run.id, state: .done, now: now)
                out.finished.append(run.ref)
                out.cursors[run.id] = nil
            }
            ids += found
        }
        out.rows = try JobRows.lease(db, ids: ids, owner: owner, leaseSeconds: leaseSeconds, now: now)
        return out
    }

    static func leasedJobs(_ db: SQLiteDatabase, runId: Int64) throws -> Int {
        try db.queryOne("""
            SELECT count(*) FROM jobs j WHERE j.state = 'leased'
              AND EXISTS (SELECT 1 FROM run_jobs rj WHERE rj.run_id = ?1 AND rj.job_id = j.id)
            """, bind: { try $0.bind(runId, at: 1) }) { $0.int(0) } ?? 0
    }

    /// Jobs of run `runId` under a lease that has not run out.
    static func heldJobs(_ db: SQLiteDatabase, runId: Int64, now: Double) throws -> Int {
        try db.queryOne("""
            SELECT count(*) FROM jobs j WHERE j.state = 'leased' AND j.lease_expires >= ?2
              AND EXISTS (SELECT 1 FROM run_jobs rj WHERE rj.run_id = ?1 AND rj.job_id = j.id)
            """, bind: { try $0.bind(runId, at: 1); try $0.bind(now, at: 2) }) { $0.int(0) } ?? 0
    }

    static func expired(_ db: SQLiteDatabase, runId: Int64, now: Double, limit: Int, judge: inout LeaseRows.Judge) throws -> [Int64] {
        try db.with("""
            SELECT j.id, j.lease_owner FROM jobs j WHERE j.state = 'leased' AND j.lease_expires < ?2
              AND EXISTS (SELECT 1 FROM run_jobs rj WHERE rj.run_id = ?1 AND rj.job_id = j.id)
            ORDER BY j.id
            """) { s in
            try s.bind(runId, at: 1); try s.bind(now, at: 2)
            var ids: [Int64] = []
            while ids.count < limit, try s.step() {
                if judge.claimableAfterExpiry(s.string(1)) { ids.append(s.int64(0)) }
            }
            return ids
        }
    }

    static func pendingJobs(_ db: SQLiteDatabase, runId: Int64, after: Int64, limit: Int) throws -> [Int64] {
        try db.with("""
            SELECT rj.job_id FROM run_jobs rj CROSS JOIN jobs j ON j.id = rj.job_id
            WHERE rj.run_id = ?1 AND rj.job_id > ?2 AND j.state = 'pending' ORDER BY rj.job_id LIMIT ?3
            """) { s in
            try s.bind(runId, at: 1); try s.bind(after, at: 2); try s.bind(limit, at: 3)
            var ids: [Int64] = []
            while try s.step() { ids.append(s.int64(0)) }
            return ids
        }
    }

    /// Extends every lease held by `owner` to `now + leaseSeconds`; returns how many.
    static func renew(_ db: SQLiteDatabase, owner: String, leaseSeconds: Double, now: Double) throws -> Int {
        try db.with("UPDATE jobs SET lease_expires = ?2 WHERE state = 'leased' AND lease_owner = ?1") { s in
            try s.bind(owner, at: 1); try s.bind(now + leaseSeconds, at: 2); try s.run()
        }
        return db.changes
    }

    /// Hands every job leased by `owner` back to pending; returns how many.
    static func releaseAll(_ db: SQLiteDatabase, owner: String, now: Double) throws -> Int {
        try db.with("""
            UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = ?2
            WHERE state = 'leased' AND lease_owner = ?1
            """) { s in
            try s.bind(owner, at: 1); try s.bind(now, at: 2); try s.run()
        }
        return db.changes
    }
}
