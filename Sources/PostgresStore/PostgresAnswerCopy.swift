import HarvestCore
import SQLiteStore

/// Stores a batch of answers with binary `COPY` straight into `attempts` and `responses`, in one transaction:
///
/// 1. one statement reads, per job, its teacher's prices, whether it already has a response, its latest run, and
///    takes an attempt id from the `attempts` sequence (so `responses.attempt_id` is known before the rows go);
/// 2. `COPY attempts` (every answer: it was paid for, cost computed from the prices read in 1.) and
///    `COPY responses` (answers of jobs that had none) in ``PostgresBinaryCopy`` form: no statement text grows
///    with the batch, no value is parsed as text, and the server inserts the rows in bulk;
/// 3. short statements mark the stored jobs done, count the duplicate attempts, and charge the runs' spend.
///
/// Every statement is planned at its execution (no cached generic plan): the EXISTS over `responses` must use its
/// index even when the table was empty when a plan would have been made.
///
/// Same outcome as ``PostgresAnswerStatement`` (the one-statement form used for single answers). A job that got
/// its response from another process between 1. and 2. makes the `COPY` fail on `responses.job_id`'s uniqueness:
/// the transaction rolls back and the caller stores the batch's answers one by one, which settles the race.
enum PostgresAnswerCopy {
    /// Writes `batch` (distinct jobs) with `blobs[i]` as answer i's logprobs; throws when any row is refused (nothing is
    /// then stored: the transaction rolls back).
    static func write(_ batch: [PostgresGroupCommit.Item], blobs: [[UInt8]?], _ c: PostgresConnection) throws {
        let jobIds = batch.map(\.attempt.jobId)
        let now = PostgresStore.now
        try c.transaction {
            let info = try c.execute("""
                SELECT v.job_id, EXISTS(SELECT 1 FROM responses r WHERE r.job_id = v.job_id), t.input_per_million, t.output_per_million,
                       (SELECT max(rj.run_id) FROM run_jobs rj WHERE rj.job_id = v.job_id), nextval('attempts_id_seq')
                FROM unnest($1::bigint[]) WITH ORDINALITY AS v(job_id, n) JOIN jobs j ON j.id = v.job_id JOIN teachers t ON t.id = j.teacher_id
                ORDER BY v.n
                """, [.intArray(jobIds)])
            guard info.count == batch.count else {
                let found = Set(try (0..<info.count).map { try info.int64($0, 0) })
                let missing = jobIds.filter { !found.contains($0) }.map(String.init).joined(separator: ", ")
                throw StoreError.invalidInput("answers for jobs that do not exist: \(missing)")
            }
            var attempts = PostgresBinaryCopy(columns: Self.attemptColumns, reservingBytes: batch.count * 120)
            var responses = PostgresBinaryCopy(columns: Self.responseColumns,
                                               reservingBytes: zip(batch, blobs).reduce(0) { $0 + Self.responseSize($1.0, $1.1) })
            var stored: [Int64] = [], duplicates: [Int64] = [], runs: [Int64] = [], costs: [Double] = []
            for (i, (item, blob)) in zip(batch, blobs).enumerated() {
                let a = item.attempt, r = item.response, u = r.usage
                let attemptId = try info.int64(i, 5)
                let prices = (input: try info.optionalDouble(i, 2), output: try info.optionalDouble(i, 3))
                let promptTokens = Double(max(0, u?.promptTokens ?? u?.estimatedPromptTokens ?? 0))
                let completionTokens = Double(max(0, u?.completionTokens ?? u?.estimatedCompletionTokens ?? 0))
                // As the statement form computes it in SQL: NULL when a price is unknown.
                let cost = prices.input.flatMap { input in
                    prices.output.map { (promptTokens * input + completionTokens * $0) / 1_000_000.0 }
                }
                attempts.startRow()
                attempts.append(attemptId)
                attempts.append(a.jobId)
                attempts.append(a.startedAt)
                attempts.append(a.latencyMs)
                attempts.append(a.httpStatus.map(Int64.init))
                attempts.append("success")
                attempts.append(a.error)
                attempts.append(cost)
                if let run = try info.optionalInt64(i, 4) {
                    runs.append(run)
                    costs.append(cost ?? 0)
                }
                if try info.text(i, 1) == "t" {
                    duplicates.append(a.jobId)
                    continue
                }
                stored.append(a.jobId)
                responses.startRow()
                responses.append(a.jobId)
                responses.append(attemptId)
                responses.append(Int64(r.choice.index))
                responses.append(r.choice.content)
                responses.append(r.choice.reasoning)
                responses.append(r.choice.finishReason)
                responses.append(u?.promptTokens.map(Int64.init))
                responses.append(u?.completionTokens.map(Int64.init))
                responses.append(u?.totalTokens.map(Int64.init))
                responses.append(u?.reasoningTokens.map(Int64.init))
                responses.append(r.model)
                responses.append(r.responseId)
                responses.append(r.systemFingerprint)
                responses.append(r.receivedAt)
                responses.append(blob)
                responses.append(r.rawBody)
            }
            try c.copyIn("COPY attempts(id, job_id, started_at, latency_ms, http_status, outcome, error, cost) FROM STDIN (FORMAT binary)",
                         attempts.finish())
            if !stored.isEmpty {
                try c.copyIn("""
                    COPY responses(job_id, attempt_id, choice_index, content, reasoning, finish_reason, prompt_tokens, completion_tokens,
                      total_tokens, reasoning_tokens, model, response_id, system_fingerprint, received_at, logprobs, raw)
                    FROM STDIN (FORMAT binary)
                    """, responses.finish())
            }
            // Simple statements (each planned in microseconds, with the tables' current sizes), the rare ones only when needed.
            try c.execute("""
                UPDATE jobs SET state = 'done', attempts = attempts + 1, lease_owner = NULL, lease_expires = NULL, last_error = NULL,
                  updated_at = \(now)
                WHERE id = ANY($1::bigint[])
                """, [.intArray(stored)])
            if !duplicates.isEmpty {
                try c.execute("UPDATE jobs SET attempts = attempts + 1, updated_at = \(now) WHERE id = ANY($1::bigint[])", [.intArray(duplicates)])
            }
            if !runs.isEmpty {
                try c.execute("""
                    UPDATE sweep_runs s SET spent = s.spent + x.cost, answers = s.answers + x.n
                    FROM (SELECT run_id, sum(cost) AS cost, count(*) AS n FROM unnest($1::bigint[], $2::float8[]) AS per(run_id, cost)
                          GROUP BY run_id) x
                    WHERE s.id = x.run_id
                    """, [.intArray(runs), .binaryArray(Self.doubles(costs))])
            }
        }
    }

    /// `attempts`' columns as copied: id, job_id, started_at, latency_ms, http_status, outcome, error, cost.
    private static let attemptColumns: [PostgresBinaryArray.Element] = [.int8, .int8, .float8, .float8, .int4, .text, .text, .float8]

    /// `responses`' columns as copied: job_id, attempt_id, choice_index, content, reasoning, finish_reason, the four token
    /// counts, model, response_id, system_fingerprint, received_at, logprobs, raw.
    private static let responseColumns: [PostgresBinaryArray.Element] = [
        .int8, .int8, .int4, .text, .text, .text, .int4, .int4, .int4, .int4, .text, .text, .text, .float8, .bytea, .bytea,
    ]

    /// About the bytes an answer's response row takes in the `COPY` (to size the buffer once).
    private static func responseSize(_ item: PostgresGroupCommit.Item, _ blob: [UInt8]?) -> Int {
        let r = item.response
        return 160 + r.choice.content.utf8.count + (r.choice.reasoning?.utf8.count ?? 0) + (blob?.count ?? 0) + (r.rawBody?.count ?? 0)
    }

    private static func doubles(_ values: [Double]) -> PostgresBinaryArray {
        var a = PostgresBinaryArray(.float8, reservingBytes: values.count * 12)
        for v in values { a.append(v) }
        return a
    }
}
