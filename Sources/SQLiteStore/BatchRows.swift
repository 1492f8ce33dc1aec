import HarvestCore

/// Statements of provider batches (schema version 4), run on the writer or a reader connection.
enum BatchRows {
    /// Columns of `batches` in ``BatchRecord`` order.
    static let columns = """
        id, sweep_id, ref, stage, provider_status, input_file_id, provider_batch_id, output_file_id, error_file_id,
        requests, bytes, price_factor, answered, errored, returned, last_error, created_at, next_poll_at, poll_interval,
        worst_cost, wire
        """

    static func record(_ s: SQLiteStatement) -> BatchRecord {
        BatchRecord(id: s.int64(0), sweepId: s.int64(1), ref: s.string(2), stage: BatchStage(rawValue: s.string(3)) ?? .prepared,
                    providerStatus: s.optionalString(4), inputFileId: s.optionalString(5), providerBatchId: s.optionalString(6),
                    outputFileId: s.optionalString(7), errorFileId: s.optionalString(8), requests: s.int(9), bytes: s.int(10),
                    priceFactor: s.double(11), answered: s.int(12), errored: s.int(13), returned: s.int(14),
                    lastError: s.optionalString(15), createdAt: s.double(16), nextPollAt: s.optionalDouble(17),
                    pollInterval: s.optionalDouble(18), worstCost: s.optionalDouble(19), wire: s.string(20))
    }

    static func batches(_ db: SQLiteDatabase, where clause: String, bind: (SQLiteStatement) throws -> Void) throws -> [BatchRecord] {
        try db.with("SELECT \(columns) FROM batches WHERE \(clause) ORDER BY id") { s in
            try bind(s)
            var out: [BatchRecord] = []
            while try s.step() { out.append(record(s)) }
            return out
        }
    }

    /// Jobs selected by `filter` (a condition on `j`), with their prompt, teacher and parameters, in id order.
    static func jobs(_ db: SQLiteDatabase, filter: String, limit: Int, bind: (SQLiteStatement) throws -> Void) throws -> [ClaimedRow] {
        try db.with("""
            SELECT j.id, j.key, j.prompt_id, p.messages, t.base_url, t.model, t.kind, t.api_key_env, ps.canonical, j.sample_index,
              j.attempts, t.name
            FROM jobs j JOIN prompts p ON p.id = j.prompt_id JOIN teachers t ON t.id = j.teacher_id
            JOIN param_sets ps ON ps.id = j.param_set_id WHERE \(filter) ORDER BY j.id LIMIT \(limit)
            """) { s in
            try bind(s)
            var rows: [ClaimedRow] = []
            while try s.step() {
                rows.append(ClaimedRow(id: s.int64(0), key: s.blob(1), promptId: s.int64(2), messagesJSON: s.string(3), baseURL: s.string(4),
                                       model: s.string(5), kind: s.string(6), apiKeyEnv: s.optionalString(7), paramsJSON: s.string(8),
                                       sampleIndex: s.int(9), attempts: s.int(10), teacherName: s.string(11)))
            }
            return rows
        }
    }

    /// Inserts the batch and its lines and leases every job to it; throws when a job is no longer pending.
    static func insert(_ db: SQLiteDatabase, sweepId: Int64, ref: String, lines: [(jobId: Int64, customId: String)], bytes: Int,
                       priceFactor: Double, worstCost: Double?, wire: String, leaseSeconds: Double, now: Double) throws -> Int64 {
        let id = try db.queryOne("""
            INSERT INTO batches(sweep_id, ref, stage, requests, bytes, price_factor, created_at, updated_at, worst_cost, wire)
            VALUES(?1, ?2, 'prepared', ?3, ?4, ?5, ?6, ?6, ?7, ?8) RETURNING id
            """, bind: { s in
            try s.bind(sweepId, at: 1); try s.bind(ref, at: 2); try s.bind(lines.count, at: 3); try s.bind(bytes, at: 4)
            try s.bind(priceFactor, at: 5); try s.bind(now, at: 6); try s.bind(worstCost, at: 7)
            try s.bind(wire, at: 8)
        }, read: { $0.int64(0) })!
        let owner = BatchRecord.leaseOwner(id)
        let link = try db.cached("INSERT INTO batch_jobs(batch_id, job_id, custom_id) VALUES(?1, ?2, ?3)")
        let lease = try db.cached("""
            UPDATE jobs SET state = 'leased', lease_owner = ?2, lease_expires = ?3, updated_at = ?4 WHERE id = ?1 AND state = 'pending'
            """)
        defer { link.reset(); lease.reset() }
        for line in lines {
            try link.bind(id, at: 1); try link.bind(line.jobId, at: 2); try link.bind(line.customId, at: 3); try link.run()
            try lease.bind(line.jobId, at: 1); try lease.bind(owner, at: 2); try lease.bind(now + leaseSeconds, at: 3)
            try lease.bind(now, at: 4); try lease.run()
            guard db.changes == 1 else { throw StoreError.invalidInput("job \(line.jobId) is no longer pending; batch not recorded") }
        }
        return id
    }

    /// Applies result lines to batch `batchId`; lines already applied are skipped.
    static func apply(_ db: SQLiteDatabase, batchId: Int64, results: [BatchLineResult], maxAttempts: Int, priceFactor: Double,
                      vocabulary: LogprobVocabularyWriter,
                      now: Double) throws -> BatchApplySummary {
        var summary = BatchApplySummary()
        let owner = BatchRecord.leaseOwner(batchId)
        for result in results {
            let jobId: Int64
            switch result {
            case .answer(let attempt, _), .error(let attempt, _): jobId = attempt.jobId
            }
            let open = try db.queryOne("SELECT outcome IS NULL FROM batch_jobs WHERE batch_id = ?1 AND job_id = ?2", bind: { s in
                try s.bind(batchId, at: 1); try s.bind(jobId, at: 2)
            }, read: { $0.int(0) == 1 })
            guard let open else { throw StoreError.invalidInput("job \(jobId) is not a line of batch \(batchId)") }
            guard open else { summary.skipped += 1; continue }
            let outcome: String
            switch result {
            case .answer(let attempt, let response):
                let stored = try JobRows.commitSuccess(db, attempt: AttemptRow(attempt, outcome: .success), response: ResponseRow(response),
                                                       now: now, vocabulary: vocabulary, priceFactor: priceFactor)
                if stored { summary.answered += 1 } else { summary.duplicates += 1 }
                outcome = "answered"
            case .error(let attempt, let fatal):
                let row = AttemptRow(attempt, outcome: fatal ? .fatal : .retry)
                _ = try JobRows.insertAttempt(db, row)
                try db.with("""
                    UPDATE jobs SET attempts = attempts + 1, last_error = ?3, updated_at = ?4,
                      state = CASE WHEN state = 'done' THEN 'done' WHEN ?5 OR attempts + 1 >= ?6 THEN 'failed' ELSE 'pending' END,
                      lease_owner = NULL, lease_expires = NULL
                    WHERE id = ?1 AND (state = 'done' OR lease_owner = ?2)
                    """) { s in
                    try s.bind(jobId, at: 1); try s.bind(owner, at: 2); try s.bind(attempt.error ?? "batch line failed", at: 3)
                    try s.bind(now, at: 4); try s.bind(fatal ? 1 : 0, at: 5); try s.bind(maxAttempts, at: 6)
                    try s.run()
                }
                summary.errored += 1
                outcome = "error"
            }
            try db.with("UPDATE batch_jobs SET outcome = ?3 WHERE batch_id = ?1 AND job_id = ?2") { s in
                try s.bind(batchId, at: 1); try s.bind(jobId, at: 2); try s.bind(outcome, at: 3); try s.run()
            }
        }
        try db.with("""
            UPDATE batches SET answered = answered + ?2, errored = errored + ?3, updated_at = ?4 WHERE id = ?1
            """) { s in
            try s.bind(batchId, at: 1); try s.bind(summary.answered + summary.duplicates, at: 2); try s.bind(summary.errored, at: 3)
            try s.bind(now, at: 4); try s.run()
        }
        return summary
    }

    /// Returns the batch's unanswered jobs to pending (no attempt counted: nothing was paid) and closes the batch.
    /// With a `roundLimit`, a job that has now come back unanswered from that many batches fails instead (its
    /// `last_error` says so), so a provider that keeps expiring or refusing batches is not fed them forever.
    static func finish(_ db: SQLiteDatabase, batchId: Int64, now: Double, roundLimit: Int? = nil) throws -> BatchReturn {
        let unanswered = "lease_owner = ?2 AND state = 'leased' AND id IN (SELECT job_id FROM batch_jobs WHERE batch_id = ?1 AND outcome IS NULL)"
        var failed = 0
        if let roundLimit {
            // This batch's open line counts as a round, as do earlier batches that returned the job unanswered.
            failed = try db.with("""
                UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires = NULL, updated_at = ?3,
                  last_error = 'not answered in ' || ?4 || ' batch rounds (batch_rounds): the provider expired, cancelled or refused them; queue the sweep again to retry'
                WHERE \(unanswered)
                  AND (SELECT COUNT(*) FROM batch_jobs b WHERE b.job_id = jobs.id AND (b.outcome = 'returned' OR b.batch_id = ?1)) >= ?4
                """) { s in
                try s.bind(batchId, at: 1); try s.bind(BatchRecord.leaseOwner(batchId), at: 2); try s.bind(now, at: 3)
                try s.bind(roundLimit, at: 4); try s.run()
                return db.changes
            }
        }
        try db.with("""
            UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = ?3
            WHERE \(unanswered)
            """) { s in
            try s.bind(batchId, at: 1); try s.bind(BatchRecord.leaseOwner(batchId), at: 2); try s.bind(now, at: 3); try s.run()
        }
        let returned = try db.with("UPDATE batch_jobs SET outcome = 'returned' WHERE batch_id = ?1 AND outcome IS NULL") { s in
            try s.bind(batchId, at: 1); try s.run()
            return db.changes
        }
        try db.with("""
            UPDATE batches SET stage = 'collected', returned = returned + ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1
            """) { s in
            try s.bind(batchId, at: 1); try s.bind(returned, at: 2); try s.bind(now, at: 3); try s.run()
        }
        return BatchReturn(pending: returned - failed, failed: failed)
    }
}
