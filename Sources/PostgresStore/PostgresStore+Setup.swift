import HarvestCore
import HarvestStore
import SQLiteStore

extension PostgresStore {
    /// Creates sweep `name` (or re-runs it: same name, set, teacher and parameters) in one transaction, with the
    /// rules of ``SQLiteStore/createSweep(name:setName:teacher:params:samples:)`` and the same job keys
    /// (``JobKey/make(promptHash:teacher:params:sampleIndex:)``): jobs already done are never touched, failed ones go
    /// back to pending. Throws ``StoreError/unknownSet(_:)`` and ``StoreError/sweepConflict(name:detail:)``.
    public func createSweep(name: String, setName: String, teacher: TeacherEndpoint, params: SamplingParams,
                            samples: Int) async throws -> SweepSummary {
        guard samples >= 1 else { throw StoreError.invalidInput("samples must be at least 1 (got \(samples))") }
        guard !name.isEmpty else { throw StoreError.invalidInput("the sweep name is empty") }
        return try await pool.transaction { c in
            try Self.createSweep(c, name: name, setName: setName, teacher: teacher, params: params, samples: samples, requeueFailed: true)
        }
    }

    /// The statements of ``createSweep(name:setName:teacher:params:samples:)`` on `c`, inside the caller's
    /// transaction; `requeueFailed` false leaves failed jobs failed (an active run of the sweep keeps what it has).
    static func createSweep(_ c: PostgresConnection, name: String, setName: String, teacher: TeacherEndpoint, params: SamplingParams,
                            samples: Int, requeueFailed: Bool) throws -> SweepSummary {
        let set = try c.execute("SELECT id FROM prompt_sets WHERE name = $1", [.text(setName)])
        guard set.count == 1 else { throw StoreError.unknownSet(setName) }
        let setId = try set.int64(0, 0)
        let teacherId = try c.execute("""
            INSERT INTO teachers(base_url, model, kind, api_key_env, name) VALUES($1, $2, $3, $4, $5)
            ON CONFLICT(name, model, kind) DO UPDATE SET api_key_env = excluded.api_key_env, base_url = excluded.base_url
            RETURNING id
            """, [.text(teacher.publicBaseURL), .text(teacher.model), .text(teacher.kind.rawValue), .nullableText(teacher.apiKeyEnv),
                  .text(teacher.name)]).int64(0, 0)
        let canonical = params.canonicalJSON
        try c.execute("INSERT INTO param_sets(canonical) VALUES($1) ON CONFLICT(canonical) DO NOTHING", [.text(canonical)])
        let paramId = try c.execute("SELECT id FROM param_sets WHERE canonical = $1", [.text(canonical)]).int64(0, 0)
        let sweepId = try Self.upsertSweep(c, name: name, setId: setId, teacherId: teacherId, paramId: paramId, samples: samples)

        let prompts = try c.execute("""
            SELECT p.id, p.hash FROM prompts p WHERE p.id IN (SELECT prompt_id FROM set_members WHERE set_id = $1) ORDER BY p.id
            """, [.int(setId)])
        var wanted: [(key: [UInt8], promptId: Int64, sample: Int)] = []
        for r in 0..<prompts.count {
            let id = try prompts.int64(r, 0)
            let hash = try prompts.bytes(r, 1) ?? []
            for sample in 0..<samples {
                wanted.append((JobKey.make(promptHash: hash, teacher: teacher, params: params, sampleIndex: sample), id, sample))
            }
        }
        var summary = SweepSummary(sweepId: sweepId, totalJobs: wanted.count, newJobs: 0, alreadyDone: 0, requeuedFailed: 0)
        // The rows go as binary arrays (one per column, unpacked with `unnest`), 5,000 per statement.
        for chunk in stride(from: 0, to: wanted.count, by: 5000).map({ wanted[$0..<min(wanted.count, $0 + 5000)] }) {
            var keys = PostgresBinaryArray(.bytea), promptIds = PostgresBinaryArray(.int8), sampleIndexes = PostgresBinaryArray(.int8)
            for job in chunk {
                keys.append(job.key)
                promptIds.append(job.promptId)
                sampleIndexes.append(Int64(job.sample))
            }
            summary.newJobs += try c.execute("""
                INSERT INTO jobs(key, prompt_id, teacher_id, param_set_id, sample_index, state, attempts, created_at, updated_at)
                SELECT u.key, u.prompt_id, $1, $2, u.sample_index, 'pending', 0, \(now), \(now)
                FROM unnest($3::bytea[], $4::bigint[], $5::bigint[]) AS u(key, prompt_id, sample_index)
                ON CONFLICT(key) DO NOTHING
                """, [.int(teacherId), .int(paramId), .binaryArray(keys), .binaryArray(promptIds), .binaryArray(sampleIndexes)]).changed
        }
        let found = try c.execute("""
            SELECT id, key, state FROM jobs WHERE teacher_id = $1 AND param_set_id = $2
              AND prompt_id IN (SELECT prompt_id FROM set_members WHERE set_id = $3)
            """, [.int(teacherId), .int(paramId), .int(setId)])
        var byKey: [[UInt8]: (id: Int64, state: String)] = [:]
        for r in 0..<found.count { byKey[try found.bytes(r, 1) ?? []] = (try found.int64(r, 0), try found.text(r, 2)) }
        var ids: [Int64] = [], failed: [Int64] = []
        for job in wanted {
            guard let row = byKey[job.key] else { throw StoreError.corrupt(path: c.url.value, detail: "job row vanished during sweep creation") }
            ids.append(row.id)
            if row.state == JobState.done.rawValue { summary.alreadyDone += 1 }
            if row.state == JobState.failed.rawValue { failed.append(row.id) }
        }
        if requeueFailed, !failed.isEmpty {
            summary.requeuedFailed = try c.execute("""
                UPDATE jobs SET state = 'pending', updated_at = \(now) WHERE id = ANY($1::bigint[]) AND state = 'failed'
                """, [.intArray(failed)]).changed
        }
        var jobIds = PostgresBinaryArray(.int8)
        for id in ids { jobIds.append(id) }
        try c.execute("INSERT INTO sweep_jobs(sweep_id, job_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
                      [.int(sweepId), .binaryArray(jobIds)])
        return summary
    }

    /// The id of sweep `name`, inserting it or checking that its definition matches.
    static func upsertSweep(_ c: PostgresConnection, name: String, setId: Int64, teacherId: Int64, paramId: Int64,
                            samples: Int) throws -> Int64 {
        try c.execute("""
            INSERT INTO sweeps(name, set_id, teacher_id, param_set_id, samples, created_at, status)
            VALUES($1, $2, $3, $4, $5::int, \(now), 'active') ON CONFLICT(name) DO NOTHING
            """, [.text(name), .int(setId), .int(teacherId), .int(paramId), .int(Int64(samples))])
        let row = try c.execute("SELECT id, set_id, teacher_id, param_set_id, samples FROM sweeps WHERE name = $1", [.text(name)])
        var differences: [String] = []
        if try row.int64(0, 1) != setId { differences.append("another prompt set") }
        if try row.int64(0, 2) != teacherId { differences.append("another teacher") }
        if try row.int64(0, 3) != paramId { differences.append("other sampling parameters") }
        guard differences.isEmpty else {
            throw StoreError.sweepConflict(name: name, detail: "this request uses " + differences.joined(separator: ", "))
        }
        let id = try row.int64(0, 0)
        if try row.int(0, 4) != samples {
            try c.execute("UPDATE sweeps SET samples = $2::int WHERE id = $1", [.int(id), .int(Int64(samples))])
        }
        return id
    }
}
