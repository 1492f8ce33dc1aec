import HarvestCore
import SQLiteStore

extension PostgresStore: RescueImportTarget {
    /// Stores rescued answers (answers paid while the database was unreachable, from the rescue file), exactly once
    /// per job: a job that is done keeps its answer and the rescued one is skipped; an unknown job key is reported.
    /// Each stored answer goes through the live commit path (attempt, response with logprobs, spend, job done), so a
    /// job another daemon answered meanwhile keeps that answer (the rescued one is then a recorded, paid attempt).
    /// Not one transaction: an import cut short leaves the file in place, and the next one skips what is stored.
    public func importRescued(_ answers: [RescuedAnswer]) async throws -> RescueImportCounts {
        var counts = RescueImportCounts()
        for (index, answer) in answers.enumerated() {
            let key = answer.jobKey
            let found = try await pool.perform { c -> RescueJob? in
                let r = try c.execute("SELECT id, state, teacher_id FROM jobs WHERE key = $1", [.bytes(key)])
                guard r.count == 1 else { return nil }
                return RescueJob(id: try r.int64(0, 0), done: try r.text(0, 1) == "done", teacherId: try r.int64(0, 2))
            }
            guard let job = found else {
                counts.unknown.append(index)
                continue
            }
            if job.done {
                counts.alreadyDone += 1
                continue
            }
            var attempt = answer.attempt
            attempt.jobId = job.id
            var response = answer.response
            response.jobId = job.id
            try await committer.commit(attempt, response, teacherId: job.teacherId)
            counts.stored += 1
        }
        return counts
    }

    private struct RescueJob: Sendable {
        var id: Int64, done: Bool, teacherId: Int64
    }
}
