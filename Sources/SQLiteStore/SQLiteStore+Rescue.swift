import HarvestCore

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
