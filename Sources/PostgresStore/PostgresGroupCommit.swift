import Foundation
import HarvestCore

/// Answers committed together: every `commitSuccess` waits in a queue, and pooled connections (up to ``maxDrains``
/// at once) store up to ``maxBatch`` of them with ONE statement (attempts with their cost, responses, job states,
/// run spend, as data-modifying CTEs), so a batch costs one round trip and one WAL flush. New logprob vocabulary keys
/// are inserted before, in their own statements (``PostgresVocabulary``; rows of the append-only vocabulary are
/// valid even when the answer is then not stored). A caller returns only after its batch committed. When a batch fails, each of its
/// answers is committed on its own, so one bad answer (e.g. text PostgreSQL refuses) fails alone.
final class PostgresGroupCommit: @unchecked Sendable {
    /// One answer waiting for its commit.
    struct Item {
        var attempt: AttemptRecord
        var response: ResponseRecord
        var logprobs: [UInt8]?
        var table: LogprobTable?
        /// The job's teacher, when this process claimed it (else read from the job row).
        var teacherId: Int64?
        var done: CheckedContinuation<Void, any Error>
    }

    /// Most answers per statement.
    static let maxBatch = 256
    private let lock = NSLock()
    private var pending: [Item] = []
    private var draining = 0
    private let pool: PostgresPool
    private let vocabulary: PostgresVocabulary
    /// Batches written at once (the pool's other connections keep serving claims and renewals).
    let maxDrains: Int

    init(pool: PostgresPool, vocabulary: PostgresVocabulary, maxDrains: Int) {
        self.pool = pool
        self.vocabulary = vocabulary
        self.maxDrains = max(1, maxDrains)
    }

    /// Queues the answer and returns once it is committed (or throws the error that refused it).
    func commit(_ attempt: AttemptRecord, _ response: ResponseRecord, teacherId: Int64?) async throws {
        var blob = response.choice.logprobsBlob
        var table = blob.flatMap { LogprobCodec.isVersion2($0) ? nil : try? LogprobTable(hlp1: $0) }
        // On the caller's thread, not the batch's: when the vocabulary this process knows has every key, the blob
        // is final here, and the connection that writes the batch only sends it.
        if let known = table, let teacherId, let encoded = vocabulary.encodeKnown(known, teacherId: teacherId) {
            blob = encoded
            table = nil
        }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let start = lock.withLock {
                pending.append(Item(attempt: attempt, response: response, logprobs: blob, table: table, teacherId: teacherId, done: done))
                guard draining < maxDrains else { return false }
                draining += 1
                return true
            }
            if start { schedule() }
        }
    }

    /// Queues one drain on the pool; a closed pool fails what waits.
    private func schedule() {
        guard pool.enqueue({ [self] c in drain(c) }) else {
            let failed = lock.withLock { () -> [Item] in
                defer { pending.removeAll(); draining -= 1 }
                return pending
            }
            for item in failed { item.done.resume(throwing: PostgresError.closed(url: pool.url.value)) }
            return
        }
    }

    /// Writes one batch (distinct jobs: a second answer for a job waits for the next batch), then queues the next
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
        if !batch.isEmpty {
            do {
                try write(batch, c)
                for item in batch { item.done.resume() }
            } catch {
                for item in batch {
                    do {
                        try write([item], c)
                        item.done.resume()
                    } catch {
                        pool.observe(error)  // an outage: the store reports it and claims stop (PostgresStore+Health)
                        item.done.resume(throwing: error)
                    }
                }
            }
        }
        let more = lock.withLock {
            if pending.isEmpty { draining -= 1 }
            return !pending.isEmpty
        }
        if more { schedule() }
    }

    /// Stores the batch: vocabulary first (when it grows), then one statement for the rest, its rows sent as one
    /// binary array per column (``PostgresBinaryArray``) and unpacked with `unnest`: the statement is the same short
    /// text whatever the batch size, and no value is formatted or escaped as text.
    private func write(_ batch: [Item], _ c: PostgresConnection) throws {
        try Self.refuseNUL(batch)
        let blobs = try encodeLogprobs(batch, c)
        let now = PostgresStore.now
        var columns = Self.columns.map { PostgresBinaryArray($0.element) }
        columns[8] = PostgresBinaryArray(.text, reservingBytes: batch.reduce(0) { $0 + $1.response.choice.content.utf8.count + 4 })
        columns[19] = PostgresBinaryArray(.bytea, reservingBytes: blobs.reduce(0) { $0 + ($1?.count ?? 0) + 4 })
        for (item, logprobs) in zip(batch, blobs) {
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
        try c.execute("""
            WITH v AS (
              SELECT * FROM unnest(\(unnest)) AS v(job_id, started_at, latency_ms, http_status, error, pt, ct, choice_index,
                content, reasoning, finish_reason, prompt_tokens, completion_tokens, total_tokens, reasoning_tokens, model,
                response_id, system_fingerprint, received_at, logprobs, raw)),
            a AS (
              INSERT INTO attempts(job_id, started_at, latency_ms, http_status, outcome, error, cost)
              SELECT v.job_id, v.started_at, v.latency_ms, v.http_status, 'success', v.error,
                     (v.pt * t.input_per_million + v.ct * t.output_per_million) / 1000000.0
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
            """, columns.map { .binaryArray($0) })
    }

    /// The element types of a batch's columns, in ``write(_:_:)``'s order (integers go as `bigint`; the server
    /// narrows them to the `integer` columns, refusing a value out of range).
    private static let columns: [(element: PostgresBinaryArray.Element, sql: String)] = [
        (.int8, "bigint"), (.float8, "float8"), (.float8, "float8"), (.int8, "bigint"), (.text, "text"), (.float8, "float8"),
        (.float8, "float8"), (.int8, "bigint"), (.text, "text"), (.text, "text"), (.text, "text"), (.int8, "bigint"),
        (.int8, "bigint"), (.int8, "bigint"), (.int8, "bigint"), (.text, "text"), (.text, "text"), (.text, "text"),
        (.float8, "float8"), (.bytea, "bytea"), (.bytea, "bytea"),
    ]

    /// Refuses text PostgreSQL cannot store (U+0000) before anything is sent, naming the answer and the field, as the
    /// server would (SQLSTATE 22021).
    private static func refuseNUL(_ batch: [Item]) throws {
        for item in batch {
            let a = item.attempt, r = item.response
            let fields: [(String, String?)] = [("error", a.error), ("content", r.choice.content), ("reasoning", r.choice.reasoning),
                                               ("finish_reason", r.choice.finishReason), ("model", r.model),
                                               ("response_id", r.responseId), ("system_fingerprint", r.systemFingerprint)]
            for (name, value) in fields where value?.utf8.contains(0) == true {
                throw PostgresError.query(sql: "INSERT INTO responses", sqlstate: "22021",
                                          message: "the answer of job \(a.jobId) holds U+0000 in its \(name), which PostgreSQL text cannot store",
                                          detail: nil)
            }
        }
    }

    /// The logprob blobs to store (`HLP2` where the answer had an `HLP1` blob). Keys the vocabulary lacks are inserted
    /// first, per teacher, committed at once.
    private func encodeLogprobs(_ batch: [Item], _ c: PostgresConnection) throws -> [[UInt8]?] {
        var teacherOf: [Int64: Int64] = [:]
        let unknown = batch.filter { $0.table != nil && $0.teacherId == nil }.map(\.attempt.jobId)
        if !unknown.isEmpty {
            let t = try c.execute("SELECT id, teacher_id FROM jobs WHERE id = ANY($1::bigint[])", [.intArray(unknown)])
            for r in 0..<t.count { teacherOf[try t.int64(r, 0)] = try t.int64(r, 1) }
        }
        var blobs = batch.map(\.logprobs)
        var missing: [Int64: [Int]] = [:]
        for (i, item) in batch.enumerated() {
            guard let table = item.table, let teacher = item.teacherId ?? teacherOf[item.attempt.jobId] else { continue }
            if let blob = vocabulary.encodeKnown(table, teacherId: teacher) { blobs[i] = blob } else { missing[teacher, default: []].append(i) }
        }
        for (teacher, indices) in missing {
            let encoded = try vocabulary.encode(indices.map { batch[$0].table! }, teacherId: teacher, c)
            for (i, blob) in zip(indices, encoded) { blobs[i] = blob }
        }
        return blobs
    }
}
