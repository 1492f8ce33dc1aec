import HarvestCore

enum SweepRows {
    static func createSweep(_ db: SQLiteDatabase, name: String, setName: String, teacher: TeacherEndpoint,
                            params: SamplingParams, samples: Int, now: Double, requeueFailed: Bool = true) throws -> SweepSummary {
        guard let setId = try db.queryOne("SELECT id FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(setName, at: 1) }, read: { $0.int64(0) }) else {
            throw StoreError.unknownSet(setName)
        }
        let teacherId = try db.queryOne("""
            INSERT INTO teachers(base_url, model, kind, api_key_env, name) VALUES(?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(name, model, kind) DO UPDATE SET api_key_env = excluded.api_key_env, base_url = excluded.base_url
            RETURNING id
            """, bind: { s in
            try s.bind(teacher.publicBaseURL, at: 1); try s.bind(teacher.model, at: 2)
            try s.bind(teacher.kind.rawValue, at: 3); try s.bind(teacher.apiKeyEnv, at: 4); try s.bind(teacher.name, at: 5)
        }, read: { $0.int64(0) })!
        let canonical = params.canonicalJSON
        try db.with("INSERT INTO param_sets(canonical) VALUES(?1) ON CONFLICT(canonical) DO NOTHING") { s in
            try s.bind(canonical, at: 1); try s.run()
        }
        let paramId = try db.queryOne("SELECT id FROM param_sets WHERE canonical = ?1", bind: { try $0.bind(canonical, at: 1) }, read: { $0.int64(0) })!
        let sweepId = try upsertSweep(db, name: name, setId: setId, teacherId: teacherId, paramId: paramId, samples: samples, now: now)

        var prompts: [(id: Int64, hash: [UInt8])] = []
        try db.with("SELECT DISTINCT prompt_id FROM set_members WHERE set_id = ?1 ORDER BY prompt_id") { s in
            try s.bind(setId, at: 1)
            while try s.step() { prompts.append((s.int64(0), [])) }
        }
        for i in prompts.indices {
            prompts[i].hash = try db.queryOne("SELECT hash FROM prompts WHERE id = ?1", bind: { try $0.bind(prompts[i].id, at: 1) }, read: { $0.blob(0) }) ?? []
        }

        var summary = SweepSummary(sweepId: sweepId, totalJobs: 0, newJobs: 0, alreadyDone: 0, requeuedFailed: 0)
        let insert = try db.cached("""
            INSERT INTO jobs(key, prompt_id, teacher_id, param_set_id, sample_index, state, attempts, created_at, updated_at)
            VALUES(?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6) ON CONFLICT(key) DO NOTHING
            """)
        let find = try db.cached("SELECT id, state FROM jobs WHERE key = ?1")
        let requeue = try db.cached("UPDATE jobs SET state = 'pending', updated_at = ?2 WHERE id = ?1 AND state = 'failed'")
        let link = try db.cached("INSERT INTO sweep_jobs(sweep_id, job_id) VALUES(?1, ?2) ON CONFLICT DO NOTHING")
        defer { insert.reset(); find.reset(); requeue.reset(); link.reset() }
        for prompt in prompts {
            for sample in 0..<samples {
                let key = JobKey.make(promptHash: prompt.hash, teacher: teacher, params: params, sampleIndex: sample)
                try insert.bind(blob: key, at: 1); try insert.bind(prompt.id, at: 2); try insert.bind(teacherId, at: 3)
                try insert.bind(paramId, at: 4); try insert.bind(sample, at: 5); try insert.bind(now, at: 6)
                try insert.run()
                let jobId: Int64
                if db.changes == 1 {
                    jobId = db.lastInsertRowid
                    summary.newJobs += 1
                } else {
                    try find.bind(blob: key, at: 1)
                    guard try find.step() else { throw StoreError.corrupt(path: db.path, detail: "job row vanished during sweep creation") }
                    jobId = find.int64(0)
                    let state = find.string(1)
                    find.reset()
                    if state == JobState.done.rawValue { summary.alreadyDone += 1 }
                    if state == JobState.failed.rawValue, requeueFailed {
                        try requeue.bind(jobId, at: 1); try requeue.bind(now, at: 2); try requeue.run()
                        summary.requeuedFailed += 1
                    }
                }
                try link.bind(sweepId, at: 1); try link.bind(jobId, at: 2); try link.run()
                summary.totalJobs += 1
            }
        }
        return summary
    }

    /// Returns the id of sweep `name`, inserting it or checking that its definition matches.
    static func upsertSweep(_ db: SQLiteDatabase, name: String, setId: Int64, teacherId: Int64, paramId: Int64,
                            samples: Int, now: Double) throws -> Int64 {
        let existing = try db.queryOne("SELECT id, set_id, teacher_id, param_set_id, samples FROM sweeps WHERE name = ?1",
                                       bind: { try $0.bind(name, at: 1) }) { s in
            (id: s.int64(0), set: s.int64(1), teacher: s.int64(2), params: s.int64(3), samples: s.int(4))
        }
        guard let existing else {
            try db.with("""
                INSERT INTO sweeps(name, set_id, teacher_id, param_set_id, samples, created_at, status)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'active')
                """) { s in
                try s.bind(name, at: 1); try s.bind(setId, at: 2); try s.bind(teacherId, at: 3)
                try s.bind(paramId, at: 4); try s.bind(samples, at: 5); try s.bind(now, at: 6)
                try s.run()
            }
            return db.lastInsertRowid
        }
        var differences: [String] = []
        if existing.set != setId { differences.append("another prompt set") }
        if existing.teacher != teacherId { differences.append("another teacher") }
        if existing.params != paramId { differences.append("other sampling parameters") }
        guard differences.isEmpty else {
            throw StoreError.sweepConflict(name: name, detail: "this request uses " + differences.joined(separator: ", "))
        }
        if existing.samples != samples {
            try db.with("UPDATE sweeps SET samples = ?2 WHERE id = ?1") { s in
                try s.bind(existing.id, at: 1); try s.bind(samples, at: 2); try s.run()
            }
        }
        return existing.id
    }
}

extension SQLiteStore {
    /// Creates sweep `name` (or re-runs it: same name, set, teacher and parameters) in one transaction.
    ///
    /// For every distinct prompt of the set and every sample `0..<samples`, the job with key
    /// `JobKey.make(...)` is created unless it exists (in any sweep) and linked to the sweep. Jobs already
    /// done are never touched (they are never sent again); failed ones go back to pending so that this
    /// run retries them (their attempt counts are kept). Prompts added to the set since the last call get
    /// their jobs now. Lowering `samples` later does not unlink jobs already linked. Throws
    /// ``StoreError/unknownSet(_:)`` and ``StoreError/sweepConflict(name:detail:)``. Blocks until committed.
    public func createSweep(name: String, setName: String, teacher: TeacherEndpoint, params: SamplingParams,
                            samples: Int) throws -> SweepSummary {
        guard samples >= 1 else { throw StoreError.invalidInput("samples must be at least 1 (got \(samples))") }
        guard !name.isEmpty else { throw StoreError.invalidInput("the sweep name is empty") }
        return try writeSync { db in
            try SweepRows.createSweep(db, name: name, setName: setName, teacher: teacher, params: params, samples: samples, now: unixNow())
        }
    }
}
