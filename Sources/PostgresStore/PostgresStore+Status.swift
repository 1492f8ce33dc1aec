import Foundation
import HarvestCore
import HarvestStore
import SQLiteStore

/// What `harvest status` and a foreground sweep's checks read on PostgreSQL (the queries of SQLite's
/// `SQLiteStore+Status`, `+RunStatus`, `+Identity` and `+Scoring`, in PostgreSQL's dialect).
extension PostgresStore {
    private static let statusSQL = """
        SELECT s.id, s.name, ps.name, t.model, t.base_url, s.created_at, count(j.id),
          count(*) FILTER (WHERE j.state = 'pending'), count(*) FILTER (WHERE j.state = 'leased'),
          count(*) FILTER (WHERE j.state = 'done'), count(*) FILTER (WHERE j.state = 'failed'),
          coalesce(sum(r.prompt_tokens), 0), coalesce(sum(r.completion_tokens), 0)
        FROM sweeps s
        JOIN prompt_sets ps ON ps.id = s.set_id
        JOIN teachers t ON t.id = s.teacher_id
        LEFT JOIN sweep_jobs sj ON sj.sweep_id = s.id
        LEFT JOIN jobs j ON j.id = sj.job_id
        LEFT JOIN responses r ON r.job_id = j.id
        GROUP BY s.id, ps.name, t.model, t.base_url ORDER BY s.id
        """

    /// Progress of every sweep, oldest first.
    public func sweepStatuses() async throws -> [SweepStatus] {
        try await pool.perform { c in
            let r = try c.execute(Self.statusSQL)
            return try (0..<r.count).map { i in
                SweepStatus(id: try r.int64(i, 0), name: try r.text(i, 1), setName: try r.text(i, 2), model: try r.text(i, 3),
                            baseURL: try r.text(i, 4), createdAt: try r.optionalDouble(i, 5) ?? 0, total: try r.int(i, 6),
                            pending: try r.int(i, 7), leased: try r.int(i, 8), done: try r.int(i, 9), failed: try r.int(i, 10),
                            promptTokens: try r.int(i, 11), completionTokens: try r.int(i, 12))
            }
        }
    }

    /// The latest run of every sweep that has one, oldest sweep first; `now` (nil = the server's clock) anchors the
    /// one-minute window of the recent rate.
    public func latestRuns(now: Double? = nil) async throws -> [RunStatus] {
        try await pool.perform { c in
            let anchor = try now ?? c.execute("SELECT \(Self.now)").optionalDouble(0, 0) ?? Date().timeIntervalSince1970
            let r = try c.execute("""
                SELECT r.id, r.sweep_id, s.name, r.state, r.created_at, r.finished_at, r.budget, r.spent, r.answers, r.requested_by,
                  count(j.id), count(*) FILTER (WHERE j.state = 'pending'), count(*) FILTER (WHERE j.state = 'leased'),
                  count(*) FILTER (WHERE j.state = 'done'), count(*) FILTER (WHERE j.state = 'failed'),
                  coalesce(sum(resp.prompt_tokens), 0), coalesce(sum(resp.completion_tokens), 0),
                  count(*) FILTER (WHERE resp.received_at >= $1 - 60)
                FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id
                LEFT JOIN run_jobs rj ON rj.run_id = r.id
                LEFT JOIN jobs j ON j.id = rj.job_id
                LEFT JOIN responses resp ON resp.job_id = j.id
                WHERE r.id IN (SELECT max(id) FROM sweep_runs GROUP BY sweep_id)
                GROUP BY r.id, s.name ORDER BY r.sweep_id, r.id
                """, [.double(anchor)])
            return try (0..<r.count).map { i in
                let created = try r.optionalDouble(i, 4) ?? 0
                return RunStatus(
                    id: try r.int64(i, 0), sweepId: try r.int64(i, 1), sweepName: try r.text(i, 2),
                    state: RunState(rawValue: try r.text(i, 3)) ?? .active, createdAt: created, finishedAt: try r.optionalDouble(i, 5),
                    budget: try r.optionalDouble(i, 6), spent: try r.optionalDouble(i, 7) ?? 0, answers: try r.int(i, 8),
                    requestedBy: r.string(i, 9), total: try r.int(i, 10), pending: try r.int(i, 11), leased: try r.int(i, 12),
                    done: try r.int(i, 13), failed: try r.int(i, 14), promptTokens: try r.int(i, 15), completionTokens: try r.int(i, 16),
                    recentAnswers: try r.int(i, 17), recentWindow: max(1, min(60, anchor - created)))
            }
        }
    }

    /// What each sweep's answers cost in total, over every run and foreground sweep (sweep id → spend).
    public func sweepSpend() async throws -> [Int64: Double] {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT sj.sweep_id, sum(a.cost) FROM sweep_jobs sj JOIN attempts a ON a.job_id = sj.job_id
                WHERE a.cost IS NOT NULL GROUP BY sj.sweep_id
                """)
            var out: [Int64: Double] = [:]
            for i in 0..<r.count { out[try r.int64(i, 0)] = try r.optionalDouble(i, 1) ?? 0 }
            return out
        }
    }

    /// Prompt sets by name, with their number of members (ids).
    public func setNames() async throws -> [(name: String, count: Int)] {
        let rows = try await pool.perform { c -> [SetCount] in
            let r = try c.execute("""
                SELECT ps.name, count(m.external_id) FROM prompt_sets ps
                LEFT JOIN set_members m ON m.set_id = ps.id GROUP BY ps.id, ps.name ORDER BY ps.name COLLATE "C"
                """)
            return try (0..<r.count).map { SetCount(name: try r.text($0, 0), count: try r.int($0, 1)) }
        }
        return rows.map { ($0.name, $0.count) }
    }

    /// The URL identity an older version stored for a sweep of this set, model, endpoint kind and canonical
    /// parameters (the one with the most done jobs, newest first on a tie); nil when there is none.
    public func legacyTeacherIdentity(setName: String, model: String, kind: EndpointKind, canonicalParams: String) async throws -> String? {
        try await pool.perform { c in
            let r = try c.execute("""
                SELECT t.name FROM sweeps s
                JOIN prompt_sets ps ON ps.id = s.set_id
                JOIN teachers t ON t.id = s.teacher_id
                JOIN param_sets pa ON pa.id = s.param_set_id
                WHERE ps.name = $1 AND t.model = $2 AND t.kind = $3 AND pa.canonical = $4
                  AND (t.name LIKE 'http://%' OR t.name LIKE 'https://%')
                ORDER BY (SELECT count(*) FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id
                          WHERE sj.sweep_id = s.id AND j.state = 'done') DESC, s.id DESC
                LIMIT 1
                """, [.text(setName), .text(model), .text(kind.rawValue), .text(canonicalParams)])
            return r.count == 1 ? r.string(0, 0) : nil
        }
    }

    /// Answers (done jobs) for prompts of `setName` from `model` over `kind`, by teacher identity, most first.
    public func answeredIdentities(setName: String, model: String, kind: EndpointKind) async throws -> [(name: String, answers: Int)] {
        let rows = try await pool.perform { c -> [SetCount] in
            let r = try c.execute("""
                SELECT t.name, count(*) FROM jobs j
                JOIN teachers t ON t.id = j.teacher_id
                WHERE t.model = $2 AND t.kind = $3 AND j.state = 'done'
                  AND j.prompt_id IN (SELECT sm.prompt_id FROM set_members sm JOIN prompt_sets ps ON ps.id = sm.set_id
                                      WHERE ps.name = $1)
                GROUP BY t.name ORDER BY count(*) DESC, t.name COLLATE "C"
                """, [.text(setName), .text(model), .text(kind.rawValue)])
            return try (0..<r.count).map { SetCount(name: try r.text($0, 0), count: try r.int($0, 1)) }
        }
        return rows.map { ($0.name, $0.count) }
    }

    /// The members of `setName` whose conversation does not end with an assistant turn (they cannot be scored):
    /// how many, and the first of their ids (byte order).
    public func unscorableMembers(setName: String) async throws -> (count: Int, firstId: String?) {
        let row = try await pool.perform { c -> SetCount in
            let r = try c.execute("""
                SELECT count(*), min(m.external_id COLLATE "C") FROM set_members m
                JOIN prompt_sets ps ON ps.id = m.set_id JOIN prompts p ON p.id = m.prompt_id
                WHERE ps.name = $1 AND coalesce(p.messages::jsonb -> -1 ->> 'role', '') <> 'assistant'
                """, [.text(setName)])
            return SetCount(name: r.string(0, 1) ?? "", count: try r.int(0, 0))
        }
        return (row.count, row.count > 0 ? row.name : nil)
    }

    /// A name and a number, carried off the connection's thread.
    private struct SetCount: Sendable {
        var name: String
        var count: Int
    }
}
