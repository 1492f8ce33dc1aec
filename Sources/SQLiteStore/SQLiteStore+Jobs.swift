import HarvestCore

/// Columns of a claimed job as read on the writer thread; decoded on the caller's thread.
struct ClaimedRow: Sendable {
    var id: Int64, key: [UInt8], promptId: Int64, messagesJSON: String
    var baseURL: String, model: String, kind: String, apiKeyEnv: String?
    var paramsJSON: String, sampleIndex: Int, attempts: Int, teacherName: String

    func decode() throws -> Job {
        guard let kind = EndpointKind(rawValue: kind) else { throw JobRows.Bad("unknown endpoint kind '\(kind)' of job \(id)") }
        return Job(id: id, key: key, promptId: promptId, messages: try ChatMessage.parseArray(messagesJSON),
                   teacher: TeacherEndpoint(baseURL: baseURL, model: model, kind: kind, apiKeyEnv: apiKeyEnv, name: teacherName),
                   params: try SamplingParams.fromCanonicalJSON(paramsJSON), sampleIndex: sampleIndex, attempts: attempts)
    }
}

/// An attempt's column values.
struct AttemptRow: Sendable {
    var jobId: Int64, startedAt: Double, latencyMs: Double, httpStatus: Int?, outcome: String, error: String?, owner: String?
    init(_ a: AttemptRecord, outcome: AttemptOutcome) {
        jobId = a.jobId; startedAt = a.startedAt; latencyMs = a.latencyMs; httpStatus = a.httpStatus
        self.outcome = outcome.rawValue; error = a.error; owner = a.owner
    }
}

/// A response's column values, logprobs already encoded.
struct ResponseRow: Sendable {
    var jobId: Int64, choiceIndex: Int, content: String, reasoning: String?, finishReason: String?
    var promptTokens: Int?, completionTokens: Int?, totalTokens: Int?, reasoningTokens: Int?
    /// Tokens charged for spend: the teacher's counts, else the runner's estimates for counts it rejected.
    var chargedPromptTokens: Int?, chargedCompletionTokens: Int?
    var model: String?, responseId: String?, systemFingerprint: String?, receivedAt: Double
    var logprobs: [UInt8]?, raw: [UInt8]?
    /// The logprobs split for the teacher's vocabulary (stored as `HLP2`); nil keeps ``logprobs`` as it is.
    var logprobTable: LogprobTable?
    init(_ r: ResponseRecord) {
        jobId = r.jobId; choiceIndex = r.choice.index; content = r.choice.content; reasoning = r.choice.reasoning
        finishReason = r.choice.finishReason
        promptTokens = r.usage?.promptTokens; completionTokens = r.usage?.completionTokens
        totalTokens = r.usage?.totalTokens; reasoningTokens = r.usage?.reasoningTokens
        chargedPromptTokens = promptTokens ?? r.usage?.estimatedPromptTokens
        chargedCompletionTokens = completionTokens ?? r.usage?.estimatedCompletionTokens
        model = r.model; responseId = r.responseId; systemFingerprint = r.systemFingerprint; receivedAt = r.receivedAt
        logprobs = r.choice.logprobsBlob
        if let blob = logprobs, !LogprobCodec.isVersion2(blob) { logprobTable = try? LogprobTable(hlp1: blob) }
        raw = r.rawBody
    }
}

/// The job-lifecycle statements, run on the writer connection.
enum JobRows {
    struct Bad: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func claim(_ db: SQLiteDatabase, sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double, now: Double) throws -> [ClaimedRow] {
        guard try db.queryOne("SELECT 1 FROM sweeps WHERE id = ?1", bind: { try $0.bind(sweepId, at: 1) }, read: { _ in true }) != nil else {
            throw StoreError.unknownSweep(sweepId)
        }
        let member = "EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = ?1 AND sj.job_id = j.id)"
        // Jobs of processes known to be gone come back to pending first; expired leases are taken unless a
        // process of this host that still runs holds them.
        var judge = LeaseRows.Judge(claimer: owner)
        _ = try LeaseRows.releaseDead(db, judge: &judge, now: now)
        var ids: [Int64] = []
        try db.with("SELECT j.id, j.lease_owner FROM jobs j WHERE j.state = 'leased' AND j.lease_expires < ?2 AND \(member) ORDER BY j.id") { s in
            try s.bind(sweepId, at: 1); try s.bind(now, at: 2)
            while ids.count < limit, try s.step() {
                if judge.claimableAfterExpiry(s.string(1)) { ids.append(s.int64(0)) }
            }
        }
        // Pending jobs never carry a lease expiry (CHECK), so `lease_expires IS NULL` lets the
        // (state, lease_expires) index return them in id order without sorting.
        try db.with("SELECT j.id FROM jobs j WHERE j.state = 'pending' AND j.lease_expires IS NULL AND \(member) ORDER BY j.id LIMIT ?3") { s in
            try s.bind(sweepId, at: 1); try s.bind(limit, at: 3)
            while try s.step() { ids.append(s.int64(0)) }
        }
        ids.sort()
        return try lease(db, ids: Array(ids.prefix(limit)), owner: owner, leaseSeconds: leaseSeconds, now: now)
    }

    /// Leases jobs `ids` (already checked to be claimable in this transaction) to `owner` and reads them back.
    static func lease(_ db: SQLiteDatabase, ids: [Int64], owner: String, leaseSeconds: Double, now: Double) throws -> [ClaimedRow] {
        var rows: [ClaimedRow] = []
        rows.reserveCapacity(ids.count)
        for id in ids {
            try db.with("UPDATE jobs SET state = 'leased', lease_owner = ?2, lease_expires = ?3, updated_at = ?4 WHERE id = ?1") { s in
                try s.bind(id, at: 1); try s.bind(owner, at: 2); try s.bind(now + leaseSeconds, at: 3); try s.bind(now, at: 4)
                try s.run()
            }
            let row = try db.queryOne("""
                SELECT j.key, j.prompt_id, p.messages, t.base_url, t.model, t.kind, t.api_key_env, ps.canonical, j.sample_index, j.attempts, t.name
                FROM jobs j JOIN prompts p ON p.id = j.prompt_id JOIN teachers t ON t.id = j.teacher_id
                JOIN param_sets ps ON ps.id = j.param_set_id WHERE j.id = ?1
                """, bind: { try $0.bind(id, at: 1) }) { s in
                ClaimedRow(id: id, key: s.blob(0), promptId: s.int64(1), messagesJSON: s.string(2), baseURL: s.string(3),
                           model: s.string(4), kind: s.string(5), apiKeyEnv: s.optionalString(6), paramsJSON: s.string(7),
                           sampleIndex: s.int(8), attempts: s.int(9), teacherName: s.string(10))
            }
            if let row { rows.append(row) }
        }
        return rows
    }

    static func insertAttempt(_ db: SQLiteDatabase, _ a: AttemptRow) throws -> Int64 {
        try db.with("""
            INSERT INTO attempts(job_id, started_at, latency_ms, http_status, outcome, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
            """) { s in
            try s.bind(a.jobId, at: 1); try s.bind(a.startedAt, at: 2); try s.bind(a.latencyMs, at: 3)
            try s.bind(a.httpStatus, at: 4); try s.bind(a.outcome, at: 5); try s.bind(a.error, at: 6)
            try s.run()
        }
        return db.lastInsertRowid
    }

    /// Inserts the attempt and, unless the job already has one, the response; returns whether the response was stored.
    /// `priceFactor` scales the charged cost (provider batches).
    static func commitSuccess(_ db: SQLiteDatabase, attempt: AttemptRow, response r: ResponseRow, now: Double,
                              vocabulary: LogprobVocabularyWriter, priceFactor: Double = 1) throws -> Bool {
        let attemptId = try insertAttempt(db, attempt)
        var logprobs = r.logprobs
        var additions: LogprobVocabularyWriter.Additions?
        // A job that already has a response keeps it (ON CONFLICT below); keys added for the duplicate are valid rows.
        if let table = r.logprobTable,
           let teacherId = try db.queryOne("SELECT teacher_id FROM jobs WHERE id = ?1", bind: { try $0.bind(r.jobId, at: 1) }, read: { $0.int64(0) }) {
            let encoded = try vocabulary.encode(table, teacherId: teacherId, db)
            logprobs = encoded.blob
            additions = encoded.additions
        }
        do {
            return try insertResponse(db, attemptId: attemptId, response: r, logprobs: logprobs, now: now, priceFactor: priceFactor)
        } catch {
            if let additions { vocabulary.undo(additions) }
            throw error
        }
    }

    private static func insertResponse(_ db: SQLiteDatabase, attemptId: Int64, response r: ResponseRow, logprobs: [UInt8]?,
                                       now: Double, priceFactor: Double) throws -> Bool {
        try db.with("""
            INSERT INTO responses(job_id, attempt_id, choice_index, content, reasoning, finish_reason, prompt_tokens,
              completion_tokens, total_tokens, reasoning_tokens, model, response_id, system_fingerprint, received_at, logprobs, raw)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) ON CONFLICT(job_id) DO NOTHING
            """) { s in
            try s.bind(r.jobId, at: 1); try s.bind(attemptId, at: 2); try s.bind(r.choiceIndex, at: 3)
            try s.bind(r.content, at: 4); try s.bind(r.reasoning, at: 5); try s.bind(r.finishReason, at: 6)
            try s.bind(r.promptTokens, at: 7); try s.bind(r.completionTokens, at: 8); try s.bind(r.totalTokens, at: 9)
            try s.bind(r.reasoningTokens, at: 10); try s.bind(r.model, at: 11); try s.bind(r.responseId, at: 12)
            try s.bind(r.systemFingerprint, at: 13); try s.bind(r.receivedAt, at: 14)
            try s.bind(blob: logprobs, at: 15); try s.bind(blob: r.raw, at: 16)
            try s.run()
        }
        let stored = db.changes == 1
        let sql = stored
            ? """
              UPDATE jobs SET state = 'done', attempts = attempts + 1, lease_owner = NULL, lease_expires = NULL,
                last_error = NULL, updated_at = ?2 WHERE id = ?1
              """
            : "UPDATE jobs SET attempts = attempts + 1, updated_at = ?2 WHERE id = ?1"
        try db.with(sql) { s in try s.bind(r.jobId, at: 1); try s.bind(now, at: 2); try s.run() }
        try SpendRows.charge(db, attemptId: attemptId, jobId: r.jobId, promptTokens: r.chargedPromptTokens, completionTokens: r.chargedCompletionTokens,
                             priceFactor: priceFactor)
        return stored
    }

    static func recordFailure(_ db: SQLiteDatabase, attempt: AttemptRow, final: Bool, now: Double) throws {
        _ = try insertAttempt(db, attempt)
        let message = attempt.error ?? attempt.httpStatus.map { "HTTP \($0)" } ?? "attempt \(attempt.outcome)"
        // A job that is already done stays done (its response is kept). A job that will be retried stays leased
        // to the runner that retries it: putting it back to pending would let a second claim send it twice.
        try db.with("UPDATE jobs SET attempts = attempts + 1, last_error = ?2, updated_at = ?3 WHERE id = ?1") { s in
            try s.bind(attempt.jobId, at: 1); try s.bind(message, at: 2); try s.bind(now, at: 3)
            try s.run()
        }
        // Fenced by the owner: a runner whose lease was taken over (presumed dead) leaves the new holder's job alone.
        if final {
            try db.with("""
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires = NULL
                WHERE id = ?1 AND state <> 'done' AND (?2 IS NULL OR (state = 'leased' AND lease_owner = ?2))
                """) { s in
                try s.bind(attempt.jobId, at: 1); try s.bind(attempt.owner, at: 2)
                try s.run()
            }
        }
    }

    static func renew(_ db: SQLiteDatabase, jobIds: [Int64], owner: String, expires: Double, now: Double) throws {
        for id in jobIds {
            try db.with("""
                UPDATE jobs SET lease_expires = ?3, updated_at = ?4
                WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2
                """) { s in
                try s.bind(id, at: 1); try s.bind(owner, at: 2); try s.bind(expires, at: 3); try s.bind(now, at: 4)
                try s.run()
            }
        }
    }

    static func release(_ db: SQLiteDatabase, jobIds: [Int64], owner: String, now: Double) throws {
        for id in jobIds {
            try db.with("""
                UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = ?3
                WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2
                """) { s in
                try s.bind(id, at: 1); try s.bind(owner, at: 2); try s.bind(now, at: 3)
                try s.run()
            }
        }
    }
}

extension SQLiteStore {
    /// Leases up to `limit` jobs of the sweep, lowest id first: pending ones and those whose lease expired.
    /// Done and failed jobs are never returned. Throws ``StoreError/unknownSweep(_:)``.
    /// While the database refuses writes (``writeRefusal``) nothing is claimed: an answer paid now could not be stored.
    public func claimJobs(sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double) async throws -> [Job] {
        guard limit > 0, gate.refusal == nil else { return [] }
        let rows = try await write { db in
            try JobRows.claim(db, sweepId: sweepId, owner: owner, limit: limit, leaseSeconds: leaseSeconds, now: unixNow())
        }
        do {
            return try rows.map { try $0.decode() }
        } catch {
            throw StoreError.corrupt(path: path, detail: "\(error)")
        }
    }

    /// Records the attempt (outcome `success`), stores the response (logprobs as `HLP2`, new tokens added to the teacher's vocabulary) and marks the job
    /// done, in one transaction; returns once it is durable. If the job already has a response, only the
    /// attempt is recorded (the paid request stays accounted for) and the stored response is kept.
    public func commitSuccess(_ attempt: AttemptRecord, response: ResponseRecord) async throws {
        guard attempt.jobId == response.jobId else {
            throw StoreError.invalidInput("attempt is for job \(attempt.jobId) but response is for job \(response.jobId)")
        }
        let a = AttemptRow(attempt, outcome: .success)
        let r = ResponseRow(response)
        let vocabulary = vocabularyWriter
        _ = try await write { db in try JobRows.commitSuccess(db, attempt: a, response: r, now: unixNow(), vocabulary: vocabulary) }
    }

    /// Records a failed attempt and its error; the job becomes `failed` when `final`, else `pending`.
    /// The lease is cleared. A job that is already done stays done.
    public func recordFailure(_ attempt: AttemptRecord, final: Bool) async throws {
        let a = AttemptRow(attempt, outcome: attempt.outcome)
        try await write { db in try JobRows.recordFailure(db, attempt: a, final: final, now: unixNow()) }
    }

    /// Extends the leases of jobs still leased to `owner` to `leaseSeconds` from now, in one transaction.
    /// Jobs that are done, failed, pending or leased to another owner are left alone.
    public func renewLeases(jobIds: [Int64], owner: String, leaseSeconds: Double) async throws {
        guard !jobIds.isEmpty else { return }
        try await write { db in
            let now = unixNow()
            try JobRows.renew(db, jobIds: jobIds, owner: owner, expires: now + leaseSeconds, now: now)
        }
    }

    /// Returns jobs leased by `owner` to pending (jobs leased by others or already finished are left alone).
    public func release(jobIds: [Int64], owner: String) async throws {
        guard !jobIds.isEmpty else { return }
        try await write { db in try JobRows.release(db, jobIds: jobIds, owner: owner, now: unixNow()) }
    }
}
