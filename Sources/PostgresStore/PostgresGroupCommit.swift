import Foundation
import HarvestCore

/// Answers committed together: every `commitSuccess` waits in a queue, and pooled connections (up to ``maxDrains``
/// at once) store up to ``maxBatch`` of them in one transaction (binary `COPY` into `attempts` and `responses`,
/// ``PostgresAnswerCopy``; small batches as one statement, ``PostgresAnswerStatement``), so a batch costs one WAL
/// flush. New logprob vocabulary keys
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
    /// Fewest answers written with `COPY`; smaller batches go as one statement (fewer round trips).
    let minCopyBatch: Int

    init(pool: PostgresPool, vocabulary: PostgresVocabulary, maxDrains: Int, minCopyBatch: Int = 8) {
        self.pool = pool
        self.vocabulary = vocabulary
        self.maxDrains = max(1, maxDrains)
        self.minCopyBatch = max(1, minCopyBatch)
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

    /// Stores the batch: vocabulary first (when it grows), then the rows, with binary `COPY` (``PostgresAnswerCopy``)
    /// from ``minCopyBatch`` answers on, else with one statement (``PostgresAnswerStatement``).
    private func write(_ batch: [Item], _ c: PostgresConnection) throws {
        try Self.refuseUnstorable(batch)
        let blobs = try encodeLogprobs(batch, c)
        if batch.count >= minCopyBatch {
            try PostgresAnswerCopy.write(batch, blobs: blobs, c)
        } else {
            try PostgresAnswerStatement.write(batch, blobs: blobs, c)
        }
    }

    /// Refuses what PostgreSQL cannot store before anything is sent, naming the answer and the field, as the server
    /// would: text holding U+0000 (SQLSTATE 22021), a number out of an `integer` column's range (22003).
    private static func refuseUnstorable(_ batch: [Item]) throws {
        for item in batch {
            let a = item.attempt, r = item.response, u = r.usage
            let fields: [(String, String?)] = [("error", a.error), ("content", r.choice.content), ("reasoning", r.choice.reasoning),
                                               ("finish_reason", r.choice.finishReason), ("model", r.model),
                                               ("response_id", r.responseId), ("system_fingerprint", r.systemFingerprint)]
            for (name, value) in fields where value?.utf8.contains(0) == true {
                throw PostgresError.query(sql: "INSERT INTO responses", sqlstate: "22021",
                                          message: "the answer of job \(a.jobId) holds U+0000 in its \(name), which PostgreSQL text cannot store",
                                          detail: nil)
            }
            let numbers: [(String, Int?)] = [("http_status", a.httpStatus), ("choice_index", r.choice.index),
                                             ("prompt_tokens", u?.promptTokens), ("completion_tokens", u?.completionTokens),
                                             ("total_tokens", u?.totalTokens), ("reasoning_tokens", u?.reasoningTokens)]
            for (name, value) in numbers {
                if let value, !(Int(Int32.min)...Int(Int32.max) ~= value) {
                    throw PostgresError.query(sql: "INSERT INTO responses", sqlstate: "22003",
                                              message: "the answer of job \(a.jobId) has \(name) \(value), out of PostgreSQL's integer range",
                                              detail: nil)
                }
            }
        }
    }

    /// The logprob blobs to store (`HLP2` where the answer had an `HLP1` blob; ``PostgresVocabulary/encodeAnswers(_:_:)``).
    private func encodeLogprobs(_ batch: [Item], _ c: PostgresConnection) throws -> [[UInt8]?] {
        let withTables = batch.indices.filter { batch[$0].table != nil }
        var blobs = batch.map(\.logprobs)
        guard !withTables.isEmpty else { return blobs }
        let encoded = try vocabulary.encodeAnswers(withTables.map {
            (table: batch[$0].table!, jobId: batch[$0].attempt.jobId, teacherId: batch[$0].teacherId)
        }, c)
        for (i, blob) in zip(withTables, encoded) where blob != nil { blobs[i] = blob }
        return blobs
    }
}
