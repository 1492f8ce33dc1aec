import HarvestCore
import HarvestStore
import SQLiteStore

/// Applying a provider batch's result lines and closing the batch, on PostgreSQL.
///
/// A chunk of lines is applied in one transaction that first locks the lines' `batch_jobs` rows (`FOR UPDATE`), so
/// two processes collecting the same batch at once apply each line once: the second waits, then finds the line's
/// `outcome` set and skips it. Answers go through the statement the request path's group commit uses
/// (``PostgresAnswerStatement``: attempt with its cost, `responses` with `ON CONFLICT(job_id) DO NOTHING`, job done,
/// run spend), so a job that already has an answer — from a request, a rescue import or an earlier line — keeps it
/// and the line is recorded as a paid duplicate attempt: never a second response.
extension PostgresStore {
    /// Stores result lines of batch `batchId` in one transaction (see the extension's documentation). Lines already
    /// applied are skipped, so a collection interrupted by a crash can simply run again.
    public func applyBatchResults(batchId: Int64, results: [BatchLineResult], maxAttempts: Int, priceFactor: Double) async throws
        -> BatchApplySummary {
        guard !results.isEmpty else { return BatchApplySummary() }
        let vocabulary = vocabulary
        let now = Self.now
        let owner = BatchRecord.leaseOwner(batchId)
        return try await pool.perform { c in
            // Vocabulary keys are committed first, on their own (rows of the append-only vocabulary are valid even
            // when the answer is then not stored), as the group commit does.
            let blobs = try Self.batchBlobs(results, vocabulary: vocabulary, c)
            return try c.transaction { () throws -> BatchApplySummary in
                var summary = BatchApplySummary()
                let jobIds = results.map(\.jobId)
                let lines = try c.execute("""
                    SELECT job_id, outcome IS NULL FROM batch_jobs WHERE batch_id = $1 AND job_id = ANY($2::bigint[])
                    ORDER BY job_id FOR UPDATE
                    """, [.int(batchId), .intArray(jobIds)])
                var open: [Int64: Bool] = [:]
                for i in 0..<lines.count { open[try lines.int64(i, 0)] = try lines.text(i, 1) == "t" }
                var answers: [(attempt: AttemptRecord, response: ResponseRecord)] = [], answerBlobs: [[UInt8]?] = []
                var errors: [(attempt: AttemptRecord, fatal: Bool)] = []
                var outcomes: [(jobId: Int64, outcome: String)] = []
                for (result, blob) in zip(results, blobs) {
                    guard let isOpen = open[result.jobId] else {
                        throw StoreError.invalidInput("job \(result.jobId) is not a line of batch \(batchId)")
                    }
                    // A line listed twice (output and error file) counts once, as on SQLite.
                    guard isOpen else { summary.skipped += 1; continue }
                    open[result.jobId] = false
                    switch result {
                    case .answer(let attempt, let response):
                        answers.append((attempt, response))
                        answerBlobs.append(blob)
                        outcomes.append((attempt.jobId, "answered"))
                    case .error(let attempt, let fatal):
                        errors.append((attempt, fatal))
                        outcomes.append((attempt.jobId, "error"))
                    }
                }
                if !answers.isEmpty {
                    let written = try PostgresAnswerStatement.write(answers, blobs: answerBlobs, priceFactor: priceFactor, c)
                    summary.answered = written.stored
                    summary.duplicates = written.duplicates
                }
                for (attempt, fatal) in errors {
                    _ = try Self.insertAttempt(c, attempt, outcome: fatal ? .fatal : .retry)
                    try c.execute("""
                        UPDATE jobs SET attempts = attempts + 1, last_error = $3, updated_at = \(now),
                          state = CASE WHEN state = 'done' THEN 'done' WHEN $4::int = 1 OR attempts + 1 >= $5 THEN 'failed' ELSE 'pending' END,
                          lease_owner = NULL, lease_expires = NULL
                        WHERE id = $1 AND (state = 'done' OR lease_owner = $2)
                        """, [.int(attempt.jobId), .text(owner), .text(attempt.error ?? "batch line failed"), .int(fatal ? 1 : 0),
                              .int(Int64(maxAttempts))])
                    summary.errored += 1
                }
                if !outcomes.isEmpty {
                    var kinds = PostgresBinaryArray(.text)
                    for o in outcomes { kinds.append(o.outcome) }
                    try c.execute("""
                        UPDATE batch_jobs b SET outcome = o.outcome FROM unnest($2::bigint[], $3::text[]) AS o(job_id, outcome)
                        WHERE b.batch_id = $1 AND b.job_id = o.job_id
                        """, [.int(batchId), .intArray(outcomes.map(\.jobId)), .binaryArray(kinds)])
                }
                try c.execute("UPDATE batches SET answered = answered + $2, errored = errored + $3, updated_at = \(now) WHERE id = $1",
                              [.int(batchId), .int(Int64(summary.answered + summary.duplicates)), .int(Int64(summary.errored))])
                return summary
            }
        }
    }

    /// Closes batch `id` (stage `collected`): jobs still leased to it without a result go back to pending with no
    /// attempt counted; with a `roundLimit`, a job that came back unanswered from that many batches (this one
    /// included) is marked failed instead. The batch row is locked first, so two processes closing it at once close
    /// it once (the second finds nothing left to return).
    @discardableResult
    public func finishBatch(id: Int64, roundLimit: Int? = nil) async throws -> BatchReturn {
        let now = Self.now
        let owner = BatchRecord.leaseOwner(id)
        return try await pool.transaction { c in
            try c.execute("SELECT id FROM batches WHERE id = $1 FOR UPDATE", [.int(id)])
            let unanswered = """
                lease_owner = $2 AND state = 'leased' AND id IN (SELECT job_id FROM batch_jobs WHERE batch_id = $1 AND outcome IS NULL)
                """
            var failed = 0
            if let roundLimit {
                failed = try c.execute("""
                    UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires = NULL, updated_at = \(now),
                      last_error = 'not answered in ' || $3::text || ' batch rounds (batch_rounds): the provider expired, cancelled or refused them; queue the sweep again to retry'
                    WHERE \(unanswered)
                      AND (SELECT count(*) FROM batch_jobs b WHERE b.job_id = jobs.id AND (b.outcome = 'returned' OR b.batch_id = $1)) >= $3::bigint
                    """, [.int(id), .text(owner), .int(Int64(roundLimit))]).changed
            }
            try c.execute("""
                UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = \(now) WHERE \(unanswered)
                """, [.int(id), .text(owner)])
            let returned = try c.execute("UPDATE batch_jobs SET outcome = 'returned' WHERE batch_id = $1 AND outcome IS NULL", [.int(id)]).changed
            try c.execute("""
                UPDATE batches SET stage = 'collected', returned = returned + $2, finished_at = \(now), updated_at = \(now) WHERE id = $1
                """, [.int(id), .int(Int64(returned))])
            return BatchReturn(pending: returned - failed, failed: failed)
        }
    }

    /// The logprob blobs to store for `results` (`nil` for error lines): `HLP2` against the job's teacher's vocabulary,
    /// new keys inserted and committed first (``PostgresVocabulary``).
    private static func batchBlobs(_ results: [BatchLineResult], vocabulary: PostgresVocabulary, _ c: PostgresConnection) throws -> [[UInt8]?] {
        var blobs: [[UInt8]?] = Array(repeating: nil, count: results.count)
        var tables: [Int: LogprobTable] = [:]
        for (i, result) in results.enumerated() {
            guard case .answer(_, let response) = result, let blob = response.choice.logprobsBlob else { continue }
            blobs[i] = blob
            if !LogprobCodec.isVersion2(blob), let table = try? LogprobTable(hlp1: blob) { tables[i] = table }
        }
        guard !tables.isEmpty else { return blobs }
        let lines = Array(tables.keys)
        let encoded = try vocabulary.encodeAnswers(lines.map { (table: tables[$0]!, jobId: results[$0].jobId, teacherId: nil) }, c)
        for (i, blob) in zip(lines, encoded) where blob != nil { blobs[i] = blob }
        return blobs
    }
}

extension BatchLineResult {
    /// The job the line is for.
    var jobId: Int64 {
        switch self {
        case .answer(let attempt, _), .error(let attempt, _): attempt.jobId
        }
    }
}
