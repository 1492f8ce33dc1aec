import HarvestCore

/// An answer that was paid for but could not be committed, as read back from a rescue file.
public struct RescuedAnswer: Sendable {
    /// The job key (32 bytes): identifies the job in any database that has it.
    public var jobKey: [UInt8]
    /// The successful attempt (its `jobId` is ignored; the key decides).
    public var attempt: AttemptRecord
    /// The answer (its `jobId` is ignored; the key decides).
    public var response: ResponseRecord

    /// Creates a rescued answer.
    public init(jobKey: [UInt8], attempt: AttemptRecord, response: ResponseRecord) {
        self.jobKey = jobKey
        self.attempt = attempt
        self.response = response
    }
}

/// What ``SQLiteStore/importRescued(_:)`` did with each rescued answer.
public struct RescueImportCounts: Sendable, Equatable {
    /// Answers stored now (their jobs became done).
    public var stored = 0
    /// Answers skipped because their job was already done (imported before, or answered again meanwhile).
    public var alreadyDone = 0
    /// Indexes (0-based, in the given order) of answers whose job key this database does not have.
    public var unknown: [Int] = []

    /// Creates counts.
    public init(stored: Int = 0, alreadyDone: Int = 0, unknown: [Int] = []) {
        self.stored = stored
        self.alreadyDone = alreadyDone
        self.unknown = unknown
    }
}

extension SQLiteStore {
    /// Stores rescued answers in one transaction, exactly once per job: a job that is already done keeps its
    /// response and the rescued one is skipped; an answer whose job key is unknown here is skipped and reported.
    /// Each stored answer records its attempt, charges its spend and marks the job done, as a live commit does.
    public func importRescued(_ answers: [RescuedAnswer]) async throws -> RescueImportCounts {
        let rows = answers.map { (key: $0.jobKey, attempt: AttemptRow($0.attempt, outcome: .success), response: ResponseRow($0.response)) }
        let vocabulary = vocabularyWriter
        return try await write { db in
            var counts = RescueImportCounts()
            for (index, row) in rows.enumerated() {
                // A key from before the prompt-identity migration is found through job_key_aliases.
                let job = try db.queryOne("""
                    SELECT id, state FROM jobs WHERE key = ?1
                    UNION ALL SELECT j.id, j.state FROM job_key_aliases a JOIN jobs j ON j.id = a.job_id WHERE a.key = ?1
                    LIMIT 1
                    """, bind: { try $0.bind(blob: row.key, at: 1) },
                                          read: { ($0.int64(0), $0.string(1)) })
                guard let (jobId, state) = job else {
                    counts.unknown.append(index)
                    continue
                }
                if state == "done" {
                    counts.alreadyDone += 1
                    continue
                }
                var attempt = row.attempt
                attempt.jobId = jobId
                var response = row.response
                response.jobId = jobId
                if try JobRows.commitSuccess(db, attempt: attempt, response: response, now: unixNow(), vocabulary: vocabulary) {
                    counts.stored += 1
                } else {
                    counts.alreadyDone += 1
                }
            }
            return counts
        }
    }
}

/// A store that rescued answers can be put back into, exactly once per job (SQLite; PostgreSQL conforms in its module).
public protocol RescueImportTarget: Sendable {
    /// Stores rescued answers: a job already done keeps its answer; unknown job keys are reported, not stored.
    func importRescued(_ answers: [RescuedAnswer]) async throws -> RescueImportCounts
}

extension SQLiteStore: RescueImportTarget {}
