import HarvestCore
import HarvestStore
import SQLiteStore

extension PostgresStore {
    /// Leases up to `limit` (at most ``maxClaimBatch``) jobs of the sweep to `owner` for `leaseSeconds`, lowest id
    /// first: pending ones and those whose lease expired (by the server's clock). Rows another claimer is taking are
    /// skipped (`FOR UPDATE SKIP LOCKED`), so concurrent claimers never get the same job. Each claimed job gets a new
    /// fencing token. Throws ``StoreError/unknownSweep(_:)``.
    public func claimJobs(sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double) async throws -> [Job] {
        guard limit > 0 else { return [] }
        let batch = Int64(min(limit, Self.maxClaimBatch))
        let now = Self.now
        let rows = try await pool.perform { c -> [ClaimRow] in
            guard try c.execute("SELECT 1 FROM sweeps WHERE id = $1", [.int(sweepId)]).count == 1 else {
                throw StoreError.unknownSweep(sweepId)
            }
            let r = try c.execute("""
                UPDATE jobs j SET state = 'leased', lease_owner = $2, lease_expires = \(now) + $3, lease_token = nextval('lease_tokens'),
                  updated_at = \(now)
                FROM (SELECT o.id FROM jobs o
                      WHERE o.state IN ('pending', 'leased') AND (o.state = 'pending' OR o.lease_expires < \(now))
                        AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = $1 AND sj.job_id = o.id)
                      ORDER BY o.id LIMIT $4 FOR UPDATE SKIP LOCKED) picked,
                     prompts p, teachers t, param_sets ps
                WHERE j.id = picked.id AND p.id = j.prompt_id AND t.id = j.teacher_id AND ps.id = j.param_set_id
                RETURNING j.id, j.lease_token, j.key, j.prompt_id, p.messages, t.base_url, t.model, t.kind, t.api_key_env,
                  ps.canonical, j.sample_index, j.attempts, t.name, t.id
                """, [.int(sweepId), .text(owner), .double(leaseSeconds), .int(batch)])
            return try (0..<r.count).map { i in
                ClaimRow(id: try r.int64(i, 0), token: try r.int64(i, 1), key: try r.bytes(i, 2) ?? [], promptId: try r.int64(i, 3),
                         messages: try r.text(i, 4), baseURL: try r.text(i, 5), model: try r.text(i, 6), kind: try r.text(i, 7),
                         apiKeyEnv: r.string(i, 8), params: try r.text(i, 9), sampleIndex: try r.int(i, 10), attempts: try r.int(i, 11),
                         teacherName: try r.text(i, 12), teacherId: try r.int64(i, 13))
            }.sorted { $0.id < $1.id }
        }
        fences.withLock { f in
            for row in rows { f[row.id] = Fence(owner: owner, token: row.token, teacherId: row.teacherId) }
        }
        do {
            return try rows.map { try $0.decode() }
        } catch {
            throw StoreError.corrupt(path: url, detail: "\(error)")
        }
    }

    /// Records the attempt (outcome `success`), stores the response (logprobs as `HLP2` against the teacher's
    /// vocabulary) and marks the job done, in one transaction shared with other answers arriving meanwhile
    /// (``PostgresGroupCommit``); returns once committed. A job that already has a
    /// response keeps it: only the attempt is recorded (it was paid for). A late answer of a claim that was taken
    /// over is stored when the job still has none (the job is then done, and the new owner's answer is recorded as a
    /// duplicate attempt).
    public func commitSuccess(_ attempt: AttemptRecord, response: ResponseRecord) async throws {
        guard attempt.jobId == response.jobId else {
            throw StoreError.invalidInput("attempt is for job \(attempt.jobId) but response is for job \(response.jobId)")
        }
        let teacher = fences.withLock { $0[attempt.jobId]?.teacherId }
        try await committer.commit(attempt, response, teacherId: teacher)
        _ = fences.withLock { $0.removeValue(forKey: attempt.jobId) }
    }

    /// Records a failed attempt and its error. `final` marks the job failed and ends the lease — only while this
    /// process's claim is still the job's latest (its fencing token): a late failure of a claim that was taken over
    /// leaves the new owner's lease alone. Otherwise the job stays leased to the caller, which retries it.
    public func recordFailure(_ attempt: AttemptRecord, final: Bool) async throws {
        let fence = fences.withLock { $0[attempt.jobId] }
        let now = Self.now
        let message = attempt.error ?? attempt.httpStatus.map { "HTTP \($0)" } ?? "attempt \(attempt.outcome.rawValue)"
        try await pool.transaction { c in
            _ = try Self.insertAttempt(c, attempt, outcome: attempt.outcome)
            try c.execute("UPDATE jobs SET attempts = attempts + 1, last_error = $2, updated_at = \(now) WHERE id = $1",
                          [.int(attempt.jobId), .text(message)])
            if final, let fence {
                try c.execute("""
                    UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires = NULL
                    WHERE id = $1 AND state = 'leased' AND lease_token = $2
                    """, [.int(attempt.jobId), .int(fence.token)])
            }
        }
        if final { _ = fences.withLock { $0.removeValue(forKey: attempt.jobId) } }
    }

    /// Returns jobs this process claimed for `owner` to pending, each only under its claim's fencing token (a job
    /// claimed since by someone else, or finished, is left alone).
    public func release(jobIds: [Int64], owner: String) async throws {
        let held = takeFences(jobIds, owner: owner, remove: true)
        guard !held.ids.isEmpty else { return }
        let now = Self.now
        try await pool.perform { c -> Void in
            try c.execute("""
                UPDATE jobs j SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = \(now)
                FROM unnest($1::bigint[], $2::bigint[]) AS h(id, token)
                WHERE j.id = h.id AND j.state = 'leased' AND j.lease_owner = $3 AND j.lease_token = h.token
                """, [.intArray(held.ids), .intArray(held.tokens), .text(owner)])
        }
    }

    /// Extends to `leaseSeconds` from now the leases this process still holds for `owner` (under their fencing
    /// tokens); jobs done, failed, released or claimed by someone else since are left alone.
    public func renewLeases(jobIds: [Int64], owner: String, leaseSeconds: Double) async throws {
        let held = takeFences(jobIds, owner: owner, remove: false)
        guard !held.ids.isEmpty else { return }
        let now = Self.now
        try await pool.perform { c -> Void in
            try c.execute("""
                UPDATE jobs j SET lease_expires = \(now) + $4, updated_at = \(now)
                FROM unnest($1::bigint[], $2::bigint[]) AS h(id, token)
                WHERE j.id = h.id AND j.state = 'leased' AND j.lease_owner = $3 AND j.lease_token = h.token
                """, [.intArray(held.ids), .intArray(held.tokens), .text(owner), .double(leaseSeconds)])
        }
    }

    /// The claims of `jobIds` this process holds for `owner`.
    private func takeFences(_ jobIds: [Int64], owner: String, remove: Bool) -> (ids: [Int64], tokens: [Int64]) {
        fences.withLock { f in
            var ids: [Int64] = [], tokens: [Int64] = []
            for id in jobIds {
                guard let fence = f[id], fence.owner == owner else { continue }
                ids.append(id)
                tokens.append(fence.token)
                if remove { f[id] = nil }
            }
            return (ids, tokens)
        }
    }

    static func insertAttempt(_ c: PostgresConnection, _ a: AttemptRecord, outcome: AttemptOutcome) throws -> Int64 {
        try c.execute("""
            INSERT INTO attempts(job_id, started_at, latency_ms, http_status, outcome, error) VALUES($1, $2, $3, $4::int, $5, $6) RETURNING id
            """, [.int(a.jobId), .double(a.startedAt), .double(a.latencyMs), .nullableInt(a.httpStatus), .text(outcome.rawValue),
                  .nullableText(a.error)]).int64(0, 0)
    }
}

/// The columns of a claimed job.
struct ClaimRow: Sendable {
    var id: Int64, token: Int64, key: [UInt8], promptId: Int64, messages: String
    var baseURL: String, model: String, kind: String, apiKeyEnv: String?
    var params: String, sampleIndex: Int, attempts: Int, teacherName: String, teacherId: Int64

    func decode() throws -> Job {
        guard let kind = EndpointKind(rawValue: kind) else { throw StoreError.invalidInput("unknown endpoint kind '\(kind)' of job \(id)") }
        return Job(id: id, key: key, promptId: promptId, messages: try ChatMessage.parseArray(messages),
                   teacher: TeacherEndpoint(baseURL: baseURL, model: model, kind: kind, apiKeyEnv: apiKeyEnv, name: teacherName),
                   params: try SamplingParams.fromCanonicalJSON(params), sampleIndex: sampleIndex, attempts: attempts)
    }
}
