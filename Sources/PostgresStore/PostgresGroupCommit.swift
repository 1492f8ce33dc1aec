import Foundation
import HarvestCore

/// Answers committed together: every `commitSuccess` waits in a queue, and one pooled connection stores up to
/// ``maxBatch`` of them in one transaction with a few multi-row statements (attempts, vocabulary, responses, job
/// states, spend), so a commit costs the server one WAL flush per batch instead of one per answer. A caller returns
/// only after its batch committed. When a batch fails, each of its answers is committed on its own, so one bad
/// answer (e.g. text PostgreSQL refuses) fails alone and the others are kept.
final class PostgresGroupCommit: @unchecked Sendable {
    /// One answer waiting for its commit.
    struct Item {
        var attempt: AttemptRecord
        var response: ResponseRecord
        var logprobs: [UInt8]?
        var table: LogprobTable?
        var done: CheckedContinuation<Void, any Error>
    }

    /// Most answers per transaction (16 parameters each, under libpq's 65,535).
    static let maxBatch = 256
    private let lock = NSLock()
    private var pending: [Item] = []
    private var scheduled = false
    private let pool: PostgresPool
    private let vocabulary: PostgresVocabulary

    init(pool: PostgresPool, vocabulary: PostgresVocabulary) {
        self.pool = pool
        self.vocabulary = vocabulary
    }

    /// Queues the answer and returns once it is committed (or throws the error that refused it).
    func commit(_ attempt: AttemptRecord, _ response: ResponseRecord) async throws {
        let blob = response.choice.logprobsBlob
        let table = blob.flatMap { LogprobCodec.isVersion2($0) ? nil : try? LogprobTable(hlp1: $0) }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let start = lock.withLock {
                pending.append(Item(attempt: attempt, response: response, logprobs: blob, table: table, done: done))
                defer { scheduled = true }
                return !scheduled
            }
            if start { schedule() }
        }
    }

    /// Queues one drain on the pool; a closed pool fails what waits.
    private func schedule() {
        guard pool.enqueue({ [self] c in drain(c) }) else {
            let failed = lock.withLock { () -> [Item] in
                defer { pending.removeAll(); scheduled = false }
                return pending
            }
            for item in failed { item.done.resume(throwing: PostgresError.closed(url: pool.url.value)) }
            return
        }
    }

    /// Commits one batch (distinct jobs: a second answer for a job waits for the next batch), then queues the next
    /// drain behind other work so claims are not starved.
    private func drain(_ c: PostgresConnection) {
        let batch = lock.withLock { () -> [Item] in
            var seen = Set<Int64>(), taken: [Item] = [], rest: [Item] = []
            for item in pending {
                if taken.count < Self.maxBatch, seen.insert(item.attempt.jobId).inserted { taken.append(item) } else { rest.append(item) }
            }
            pending = rest
            return taken
        }
        do {
            let session = try c.transaction { try write(batch, c) }
            vocabulary.publish(session)
            for item in batch { item.done.resume() }
        } catch {
            for item in batch {
                do {
                    let session = try c.transaction { try write([item], c) }
                    vocabulary.publish(session)
                    item.done.resume()
                } catch {
                    item.done.resume(throwing: error)
                }
            }
        }
        let more = lock.withLock {
            scheduled = !pending.isEmpty
            return scheduled
        }
        if more { schedule() }
    }

    /// The batch's statements, inside the caller's transaction; returns the vocabulary to publish after the commit.
    private func write(_ batch: [Item], _ c: PostgresConnection) throws -> PostgresVocabulary.Session {
        let now = PostgresStore.now
        let ids = batch.map(\.attempt.jobId)
        var params: [PostgresValue] = [], rows: [String] = []
        for item in batch {
            let a = item.attempt
            params += [.int(a.jobId), .double(a.startedAt), .double(a.latencyMs), .nullableInt(a.httpStatus), .nullableText(a.error)]
            let n = params.count
            rows.append("($\(n - 4), $\(n - 3), $\(n - 2), $\(n - 1)::int, 'success', $\(n))")
        }
        let inserted = try c.execute("INSERT INTO attempts(job_id, started_at, latency_ms, http_status, outcome, error) VALUES "
                                     + rows.joined(separator: ", ") + " RETURNING id, job_id", params)
        var attemptIds: [Int64: Int64] = [:]
        for r in 0..<inserted.count { attemptIds[try inserted.int64(r, 1)] = try inserted.int64(r, 0) }

        var session = PostgresVocabulary.Session()
        var teacherOf: [Int64: Int64] = [:]
        if batch.contains(where: { $0.table != nil }) {
            let t = try c.execute("SELECT id, teacher_id FROM jobs WHERE id = ANY($1::bigint[])", [.intArray(ids)])
            for r in 0..<t.count { teacherOf[try t.int64(r, 0)] = try t.int64(r, 1) }
        }
        params = []
        rows = []
        for item in batch {
            let r = item.response, u = r.usage
            var logprobs = item.logprobs
            if let table = item.table, let teacher = teacherOf[r.jobId] {
                logprobs = try vocabulary.encode(table, teacherId: teacher, c, session: &session)
            }
            guard let attemptId = attemptIds[r.jobId] else { throw PostgresError.unexpected(sql: "INSERT INTO attempts", detail: "no id for job \(r.jobId)") }
            params += [.int(r.jobId), .int(attemptId), .int(Int64(r.choice.index)), .text(r.choice.content), .nullableText(r.choice.reasoning),
                       .nullableText(r.choice.finishReason), .nullableInt(u?.promptTokens), .nullableInt(u?.completionTokens),
                       .nullableInt(u?.totalTokens), .nullableInt(u?.reasoningTokens), .nullableText(r.model), .nullableText(r.responseId),
                       .nullableText(r.systemFingerprint), .double(r.receivedAt), .nullableBytes(logprobs), .nullableBytes(r.rawBody)]
            let n = params.count
            let p = (n - 15...n).map { "$\($0)" }
            rows.append("(\(p[0]), \(p[1]), \(p[2])::int, \(p[3]), \(p[4]), \(p[5]), \(p[6])::int, \(p[7])::int, \(p[8])::int, \(p[9])::int, "
                        + "\(p[10]), \(p[11]), \(p[12]), \(p[13]), \(p[14]), \(p[15]))")
        }
        let stored = try c.execute("""
            INSERT INTO responses(job_id, attempt_id, choice_index, content, reasoning, finish_reason, prompt_tokens,
              completion_tokens, total_tokens, reasoning_tokens, model, response_id, system_fingerprint, received_at, logprobs, raw)
            VALUES \(rows.joined(separator: ", ")) ON CONFLICT(job_id) DO NOTHING RETURNING job_id
            """, params)
        var done = Set<Int64>()
        for r in 0..<stored.count { done.insert(try stored.int64(r, 0)) }
        let duplicates = ids.filter { !done.contains($0) }
        if !done.isEmpty {
            try c.execute("""
                UPDATE jobs SET state = 'done', attempts = attempts + 1, lease_owner = NULL, lease_expires = NULL,
                  last_error = NULL, updated_at = \(now) WHERE id = ANY($1::bigint[])
                """, [.intArray(Array(done))])
        }
        if !duplicates.isEmpty {
            try c.execute("UPDATE jobs SET attempts = attempts + 1, updated_at = \(now) WHERE id = ANY($1::bigint[])", [.intArray(duplicates)])
        }
        try charge(batch, attemptIds: attemptIds, c)
        return session
    }

    /// Spend as SQLiteStore charges it, for the whole batch in one statement: each attempt's cost from its usage and
    /// the teacher's prices, summed (with the answer count) into the newest run of each job.
    private func charge(_ batch: [Item], attemptIds: [Int64: Int64], _ c: PostgresConnection) throws {
        var values: [PostgresValue] = [], rows: [String] = []
        for item in batch {
            let u = item.response.usage
            let prompt = Double(max(0, u?.promptTokens ?? u?.estimatedPromptTokens ?? 0))
            let completion = Double(max(0, u?.completionTokens ?? u?.estimatedCompletionTokens ?? 0))
            values += [.int(attemptIds[item.attempt.jobId] ?? 0), .int(item.attempt.jobId), .double(prompt), .double(completion)]
            let n = values.count
            rows.append("($\(n - 3)::bigint, $\(n - 2)::bigint, $\(n - 1)::float8, $\(n)::float8)")
        }
        try c.execute("""
            WITH v(attempt_id, job_id, p, c) AS (VALUES \(rows.joined(separator: ", "))),
            costed AS (
              UPDATE attempts a SET cost = (v.p * t.input_per_million + v.c * t.output_per_million) / 1000000.0
              FROM v JOIN jobs j ON j.id = v.job_id JOIN teachers t ON t.id = j.teacher_id
              WHERE a.id = v.attempt_id AND t.input_per_million IS NOT NULL AND t.output_per_million IS NOT NULL
              RETURNING a.id, a.cost),
            runs AS (
              SELECT (SELECT max(rj.run_id) FROM run_jobs rj WHERE rj.job_id = v.job_id) AS run_id, coalesce(costed.cost, 0) AS cost
              FROM v LEFT JOIN costed ON costed.id = v.attempt_id)
            UPDATE sweep_runs r SET spent = spent + s.cost, answers = answers + s.n
            FROM (SELECT run_id, sum(cost) AS cost, count(*) AS n FROM runs WHERE run_id IS NOT NULL GROUP BY run_id) s
            WHERE r.id = s.run_id
            """, values)
    }
}
