import HarvestCore
import HarvestStore
import SQLiteStore

/// Recovery on PostgreSQL: leases of processes known to be gone, and rescued answers.
///
/// Only processes of this host can be known gone (``LeaseOwner``: pid, start time, boot); a lease of a daemon on
/// another machine ends when it expires (by the server's clock), and its jobs are then claimed by anyone.
extension PostgresStore {
    /// Returns to pending every job leased to an owner known to be gone (a harvest process of this host that no
    /// longer runs); returns what was taken, per owner.
    public func takeOverDeadLeases() async throws -> [LeaseHolding] {
        let dead = try await leaseHoldings(sweepId: nil).filter { $0.liveness == .dead }
        guard !dead.isEmpty else { return [] }
        let now = Self.now
        try await pool.perform { c -> Void in
            try c.execute("""
                UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = \(now)
                WHERE state = 'leased' AND lease_owner = ANY($1::text[])
                """, [.text("{" + dead.map { Self.arrayElement($0.owner) }.joined(separator: ",") + "}")])
        }
        return dead
    }

    /// Jobs leased now, per owner: of sweep `sweepId`, or of the whole database when nil.
    public func leaseHoldings(sweepId: Int64? = nil) async throws -> [LeaseHolding] {
        try await pool.perform { c in
            let scope = sweepId == nil ? "" : " AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = $1 AND sj.job_id = j.id)"
            let r = try c.execute("""
                SELECT j.lease_owner, count(*), max(j.lease_expires) FROM jobs j WHERE j.state = 'leased'\(scope)
                GROUP BY j.lease_owner ORDER BY j.lease_owner COLLATE "C"
                """, sweepId.map { [.int($0)] } ?? [])
            return try (0..<r.count).map { LeaseHolding(owner: try r.text($0, 0), jobs: try r.int($0, 1), expires: try r.optionalDouble($0, 2) ?? 0) }
        }
    }

    /// Stores rescued answers exactly once per job: a job that already has an answer keeps it (the rescued one is
    /// skipped); an answer whose job key is unknown here is skipped and reported. Each stored answer records its
    /// attempt, charges its spend and marks the job done through the same group commit as a live answer.
    public func importRescued(_ answers: [RescuedAnswer]) async throws -> RescueImportCounts {
        let keys = answers.map(\.jobKey)
        let found = try await pool.perform { c -> [RescueTarget?] in
            try keys.map { key in
                let r = try c.execute("""
                    SELECT j.id, j.teacher_id, EXISTS (SELECT 1 FROM responses r WHERE r.job_id = j.id) FROM jobs j WHERE j.key = $1
                    """, [.bytes(key)])
                guard r.count == 1 else { return nil }
                return RescueTarget(jobId: try r.int64(0, 0), teacherId: try r.int64(0, 1), answered: try r.text(0, 2) == "t")
            }
        }
        var counts = RescueImportCounts()
        for (i, (answer, target)) in zip(answers, found).enumerated() {
            guard let target else {
                counts.unknown.append(i)
                continue
            }
            if target.answered {
                counts.alreadyDone += 1
                continue
            }
            var attempt = answer.attempt, response = answer.response
            attempt.jobId = target.jobId
            response.jobId = target.jobId
            try await committer.commit(attempt, response, teacherId: target.teacherId)
            // The group commit keeps an answer only while the job has none: count what it kept.
            if try await responseAttemptMatches(jobId: target.jobId, receivedAt: response.receivedAt) {
                counts.stored += 1
            } else {
                counts.alreadyDone += 1
            }
        }
        return counts
    }

    /// Whether the stored answer of `jobId` is the one received at `receivedAt` (the rescued one).
    private func responseAttemptMatches(jobId: Int64, receivedAt: Double) async throws -> Bool {
        try await pool.perform { c in
            let r = try c.execute("SELECT received_at FROM responses WHERE job_id = $1", [.int(jobId)])
            guard r.count == 1 else { return false }
            return try r.optionalDouble(0, 0) == receivedAt
        }
    }

    /// `text` as an element of a PostgreSQL array literal (quoted, with `"` and `\` escaped).
    static func arrayElement(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Where a rescued answer goes.
    private struct RescueTarget: Sendable {
        var jobId: Int64
        var teacherId: Int64
        var answered: Bool
    }
}
