import HarvestCore

/// One stored answer as read back from PostgreSQL (for checks and tests; export, inspect and stats read through
/// `CorpusReader`).
public struct PostgresAnswer: Sendable, Equatable {
    /// Response row id.
    public var id: Int64
    /// Attempt that delivered it.
    public var attemptId: Int64
    /// Answer text.
    public var content: String
    /// `finish_reason`.
    public var finishReason: String?
    /// Completion tokens as reported.
    public var completionTokens: Int?
    /// The logprobs decoded from the stored `HLP2` (or `HLP1`) blob, nil when none were stored.
    public var logprobs: [TokenLogprob]?
    /// The stored blob's format: `HLP2` (against the teacher's vocabulary, how answers are stored) or `HLP1`.
    public var logprobFormat: String?
}

extension PostgresStore {
    /// The answer stored for job `jobId`, with its logprobs decoded against the teacher's vocabulary; nil when the
    /// job has none.
    public func answer(jobId: Int64) async throws -> PostgresAnswer? {
        let vocabulary = vocabulary
        return try await pool.perform { c -> PostgresAnswer? in
            let sql = """
                SELECT r.id, r.attempt_id, r.content, r.finish_reason, r.completion_tokens, r.logprobs, j.teacher_id
                FROM responses r JOIN jobs j ON j.id = r.job_id WHERE r.job_id = $1
                """
            let r = try c.execute(sql, [.int(jobId)])
            guard r.count == 1 else { return nil }
            var answer = PostgresAnswer(id: try r.int64(0, 0), attemptId: try r.int64(0, 1), content: try r.text(0, 2),
                                        finishReason: r.string(0, 3), completionTokens: try r.optionalInt64(0, 4).map { Int($0) })
            if let blob = try r.bytes(0, 5) {
                answer.logprobFormat = LogprobCodec.isVersion2(blob) ? "HLP2" : "HLP1"
                let keys = try vocabulary.entries(teacherId: try r.int64(0, 6), c)
                let entries = try keys.mapValues { try LogprobCodec.VocabularyEntry(key: $0) }
                do {
                    answer.logprobs = try LogprobCodec.decode(blob) { entries[$0] }
                } catch {
                    throw PostgresError.unexpected(sql: sql, detail: "the logprobs of job \(jobId) do not decode: \(error)")
                }
            }
            return answer
        }
    }
}
