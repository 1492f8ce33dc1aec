import CSQLite
import HarvestCore

/// The durable sweep queue of `harvest serve` (schema version 2).
///
/// `harvest sweep NAME` queues a *run* of a sweep: the run links the sweep's jobs that are still missing. Daemons
/// lease jobs of active runs (owner and expiry, in `BEGIN IMMEDIATE` transactions of each process's single
/// writer, so two processes never hold the same job), renew the leases of jobs in flight, and a job whose lease
/// expired (its daemon died) is leased again. A job with a committed response is never leased again.
extension SQLiteStore {
    /// Queues a run of sweep `request.sweepName` in one transaction (with the import of `request.importing`, so
    /// the write lock is taken once) and returns what it did.
    ///
    /// Idempotent: while the sweep has an active run, that run is returned (its budget updated, and jobs of
    /// prompts added to the set since are linked to it); nothing is queued twice. Otherwise a new run links every
    /// job of the sweep that is not done (failed jobs go back to pending); with nothing missing the new run is
    /// `done` at once. Creates the sweep and its jobs as ``createSweep(name:setName:teacher:params:samples:)``
    /// does, with the same errors. Blocks until committed.
    public func enqueueRun(_ request: RunRequest) throws -> RunSummary {
        guard request.samples >= 1 else { throw StoreError.invalidInput("samples must be at least 1 (got \(request.samples))") }
        guard !request.sweepName.isEmpty else { throw StoreError.invalidInput("the sweep name is empty") }
        if let budget = request.budget, !(budget >= 0) { throw StoreError.invalidInput("the budget must not be negative (got \(budget))") }
        let rows = request.importing.map { ($0.prompts.map(PromptRow.init), $0.source) }
        return try writeSync { db in
            if let (prompts, source) = rows {
                _ = try ImportRows.importPrompts(db, setName: request.setName, prompts: prompts, sourceName: source, now: unixNow())
            }
            return try QueueRows.enqueue(db, request, now: unixNow())
        }
    }

    /// Leases up to `limit` jobs of the active runs of `teacher` (matched by name, model and endpoint kind) to
    /// `owner` for `leaseSeconds`: oldest run first; within a run, expired leases, then pending jobs by id.
    /// A run at or over its budget is marked `budget` and skipped; with a known mean cost per answer, a run
    /// hands out only as many jobs as the rest of its budget pays for, counting those in flight. A run with
    /// nothing left to send is marked `done`. While the database refuses writes nothing is claimed.
    public func claimQueued(teacher: TeacherEndpoint, owner: String, limit: Int, leaseSeconds: Double,
                            cursors: [Int64: Int64] = [:]) async throws -> QueueClaim {
        guard limit > 0, gate.refusal == nil else { return QueueClaim(jobs: [], cursors: cursors, finishedRuns: [], budgetStoppedRuns: []) }
        let claimed = try await write { db in
            try QueueRows.claim(db, teacher: teacher, owner: owner, limit: limit, leaseSeconds: leaseSeconds, cursors: cursors, now: unixNow())
        }
        do {
            return QueueClaim(jobs: try claimed.rows.map { try $0.decode() }, cursors: claimed.cursors,
                              finishedRuns: claimed.finished, budgetStoppedRuns: claimed.budgetStopped)
        } catch {
            throw StoreError.corrupt(path: path, detail: "\(error)")
        }
    }

    /// Extends every lease held by `owner` to now + `leaseSeconds`; returns how many jobs it holds.
    /// Also proves the database is writable (it is a write transaction).
    @discardableResult
    public func renewLeases(owner: String, leaseSeconds: Double) async throws -> Int {
        try await write { db in try QueueRows.renew(db, owner: owner, leaseSeconds: leaseSeconds, now: unixNow()) }
    }

    /// Hands every job still leased by `owner` back to pending (at shutdown); returns how many.
    @discardableResult
    public func releaseAll(owner: String) async throws -> Int {
        try await write { db in try QueueRows.releaseAll(db, owner: owner, now: unixNow()) }
    }

    /// Writes the prices of the teacher with `teacher`'s name, model and kind (nil clears them); answers committed
    /// afterwards are charged with them. Returns false when no such teacher is in the database yet.
    @discardableResult
    public func setPrices(teacher: TeacherEndpoint, inputPerMillion: Double?, outputPerMillion: Double?) async throws -> Bool {
        let (name, model, kind) = (teacher.name, teacher.model, teacher.kind.rawValue)
        return try await write { db in
            try SpendRows.setPrices(db, name: name, model: model, kind: kind, input: inputPerMillion, output: outputPerMillion) > 0
        }
    }

    /// The active runs with the teacher each needs (a daemon warns about runs no configured teacher can serve).
    public func activeRuns() throws -> [ActiveRun] {
        try read { db in
            try db.with("""
                SELECT r.id, s.id, s.name, t.name, t.base_url, t.model, t.kind FROM sweep_runs r
                JOIN sweeps s ON s.id = r.sweep_id JOIN teachers t ON t.id = s.teacher_id
                WHERE r.state = 'active' ORDER BY r.id
                """) { s in
                var out: [ActiveRun] = []
                while try s.step() {
                    let teacher = TeacherEndpoint(baseURL: s.string(4), model: s.string(5), kind: EndpointKind(rawValue: s.string(6)) ?? .chat,
                                                  name: s.string(3))
                    out.append(ActiveRun(run: RunRef(runId: s.int64(0), sweepId: s.int64(1), sweepName: s.string(2)), teacher: teacher))
                }
                return out
            }
        }
    }

    /// Jobs of active runs by state (for metrics: the queue depth).
    public func queueDepth() throws -> [JobState: Int] {
        try read { db in
            var out = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            try db.with("""
                SELECT j.state, count(*) FROM sweep_runs r CROSS JOIN run_jobs rj ON rj.run_id = r.id
                CROSS JOIN jobs j ON j.id = rj.job_id WHERE r.state = 'active' GROUP BY j.state
                """) { s in
                while try s.step() {
                    if let state = JobState(rawValue: s.string(0)) { out[state] = s.int(1) }
                }
            }
            return out
        }
    }

    /// Runs a passive WAL checkpoint on a connection of its own (never blocks the writer or readers).
    /// Returns the frames in the WAL and how many of them are now in the database file.
    @discardableResult
    public func checkpoint() throws -> (walFrames: Int, checkpointed: Int) {
        do {
            let db = try SQLiteDatabase(path: path, mode: .readWrite, busyTimeoutMs: options.busyTimeoutMs)
            var log: Int32 = 0
            var done: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
            guard rc == SQLITE_OK || rc == SQLITE_BUSY else { throw db.error(rc, sql: "wal_checkpoint(PASSIVE)") }
            return (Int(log), Int(done))
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }
}
