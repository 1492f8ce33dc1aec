import HarvestCore

/// Stores answers with ONE statement (attempts with their cost, responses, job states, run spend, as data-modifying
/// CTEs): the rows go as one binary array per column (``PostgresBinaryArray``), unpacked with `unnest`, so the
/// statement is the same short text whatever the batch size and no value is formatted or escaped as text.
/// `INSERT … ON CONFLICT(job_id) DO NOTHING` settles a race with another process storing the same job's answer:
/// the one stored first is kept, the other is recorded as a paid duplicate attempt. Used for small batches and for
/// answers stored one by one after a batch failed (``PostgresAnswerCopy`` stores the larger ones).
enum PostgresAnswerStatement {
    /// Writes `batch` (distinct jobs) with `blobs[i]` as answer i's logprobs, in one implicit transaction.
    static func write(_ batch: [PostgresGroupCommit.Item], blobs: [[UInt8]?], _ c: PostgresConnection) throws {
        _ = try write(batch.map { (attempt: $0.attempt, response: $0.response) }, blobs: blobs, priceFactor: 1, c)
    }

    /// Writes `answers` (distinct jobs) with `blobs[i]` as answer i's logprobs, charging `priceFactor` × the teacher's
    /// prices (a provider batch's answers: its discount); in the caller's transaction when one is open. Returns how
    /// many responses were stored and how many answers were duplicates (the job had a response: attempt only).
    static func write(_ answers: [(attempt: AttemptRecord, response: ResponseRecord)], blobs: [[UInt8]?], priceFactor: Double,
                      _ c: PostgresConnection) throws -> (stored: Int, duplicates: Int) {
        let now = PostgresStore.now
        var columns = Self.columns.map { PostgresBinaryArray($0.element) }
        columns[8] = PostgresBinaryArray(.text, reservingBytes: answers.reduce(0) { $0 + $1.response.choice.content.utf8.count + 4 })
        columns[19] = PostgresBinaryArray(.bytea, reservingBytes: blobs.reduce(0) { $0 + ($1?.count ?? 0) + 4 })
        for (item, logprobs) in zip(answers, blobs) {
            let a = item.attempt, r = item.response, u = r.usage
            columns[0].append(a.jobId)
            columns[1].append(a.startedAt)
            columns[2].append(a.latencyMs)
            columns[3].append(a.httpStatus.map(Int64.init))
            columns[4].append(a.error)
            columns[5].append(Double(max(0, u?.promptTokens ?? u?.estimatedPromptTokens ?? 0)))
            columns[6].append(Double(max(0, u?.completionTokens ?? u?.estimatedCompletionTokens ?? 0)))
            columns[7].append(Int64(r.choice.index))
            columns[8].append(r.choice.content)
            columns[9].append(r.choice.reasoning)
            columns[10].append(r.choice.finishReason)
            columns[11].append(u?.promptTokens.map(Int64.init))
            columns[12].append(u?.completionTokens.map(Int64.init))
            columns[13].append(u?.totalTokens.map(Int64.init))
            columns[14].append(u?.reasoningTokens.map(Int64.init))
            columns[15].append(r.model)
            columns[16].append(r.responseId)
            columns[17].append(r.systemFingerprint)
            columns[18].append(r.receivedAt)
            columns[19].append(logprobs)
            columns[20].append(r.rawBody)
        }
        let unnest = Self.columns.enumerated().map { "$\($0.offset + 1)::\($0.element.sql)[]" }.joined(separator: ", ")
        let factor = "$\(Self.columns.count + 1)::float8"
        let counts = try c.execute("""
            WITH v AS (
              SELECT * FROM unnest(\(unnest)) AS v(job_id, started_at, latency_ms, http_status, error, pt, ct, choice_index,
                content, reasoning, finish_reason, prompt_tokens, completion_tokens, total_tokens, reasoning_tokens, model,
                response_id, system_fingerprint, received_at, logprobs, raw)),
            a AS (
              INSERT INTO attempts(job_id, started_at, latency_ms, http_status, outcome, error, cost)
              SELECT v.job_id, v.started_at, v.latency_ms, v.http_status, 'success', v.error,
                     (v.pt * t.input_per_million + v.ct * t.output_per_million) * \(factor) / 1000000.0
              FROM v JOIN jobs j ON j.id = v.job_id JOIN teachers t ON t.id = j.teacher_id
              RETURNING id, job_id, cost),
            r AS (
              INSERT INTO responses(job_id, attempt_id, choice_index, content, reasoning, finish_reason, prompt_tokens,
                completion_tokens, total_tokens, reasoning_tokens, model, response_id, system_fingerprint, received_at, logprobs, raw)
              SELECT v.job_id, a.id, v.choice_index, v.content, v.reasoning, v.finish_reason, v.prompt_tokens, v.completion_tokens,
                v.total_tokens, v.reasoning_tokens, v.model, v.response_id, v.system_fingerprint, v.received_at, v.logprobs, v.raw
              FROM v JOIN a ON a.job_id = v.job_id
              ON CONFLICT(job_id) DO NOTHING RETURNING job_id),
            done AS (
              UPDATE jobs j SET state = 'done', attempts = j.attempts + 1, lease_owner = NULL, lease_expires = NULL,
                last_error = NULL, updated_at = \(now)
              FROM r WHERE j.id = r.job_id RETURNING j.id),
            duplicate AS (
              UPDATE jobs j SET attempts = j.attempts + 1, updated_at = \(now)
              FROM a WHERE j.id = a.job_id AND NOT EXISTS (SELECT 1 FROM r WHERE r.job_id = a.job_id) RETURNING j.id),
            spend AS (
              UPDATE sweep_runs s SET spent = s.spent + x.cost, answers = s.answers + x.n
              FROM (SELECT run_id, sum(cost) AS cost, count(*) AS n
                    FROM (SELECT (SELECT max(rj.run_id) FROM run_jobs rj WHERE rj.job_id = a.job_id) AS run_id, coalesce(a.cost, 0) AS cost
                          FROM a) per
                    WHERE run_id IS NOT NULL GROUP BY run_id) x
              WHERE s.id = x.run_id RETURNING s.id)
            SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM done), (SELECT count(*) FROM duplicate), (SELECT count(*) FROM spend)
            """, columns.map { .binaryArray($0) } + [.double(priceFactor)])
        return (try counts.int(0, 1), try counts.int(0, 2))
    }

    /// The element types of a batch's columns, in ``write(_:blobs:_:)``'s order (integers go as `bigint`; the server
    /// narrows them to the `integer` columns, refusing a value out of range).
    private static let columns: [(element: PostgresBinaryArray.Element, sql: String)] = [
        (.int8, "bigint"), (.float8, "float8"), (.float8, "float8"), (.int8, "bigint"), (.text, "text"), (.float8, "float8"),
        (.float8, "float8"), (.int8, "bigint"), (.text, "text"), (.text, "text"), (.text, "text"), (.int8, "bigint"),
        (.int8, "bigint"), (.int8, "bigint"), (.int8, "bigint"), (.text, "text"), (.text, "text"), (.text, "text"),
        (.float8, "float8"), (.bytea, "bytea"), (.bytea, "bytea"),
    ]
}
