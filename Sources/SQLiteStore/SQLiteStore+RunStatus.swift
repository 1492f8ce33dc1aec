extension SQLiteStore {
    /// The latest run of every sweep that has one, oldest sweep first (reads only; works without a daemon).
    public func latestRuns(now: Double? = nil) throws -> [RunStatus] {
        try runStatuses(where: "r.id IN (SELECT max(id) FROM sweep_runs GROUP BY sweep_id)", now: now ?? unixNow())
    }

    /// Run `id`, or nil.
    public func runStatus(id: Int64, now: Double? = nil) throws -> RunStatus? {
        try runStatuses(where: "r.id = \(id)", now: now ?? unixNow()).first
    }

    /// What each sweep's answers cost in total, over every run and foreground sweep (sweep id → spend).
    public func sweepSpend() throws -> [Int64: Double] {
        try read { db in
            try db.with("""
                SELECT sj.sweep_id, sum(a.cost) FROM sweep_jobs sj CROSS JOIN attempts a ON a.job_id = sj.job_id
                WHERE a.cost IS NOT NULL GROUP BY sj.sweep_id
                """) { s in
                var out: [Int64: Double] = [:]
                while try s.step() { out[s.int64(0)] = s.double(1) }
                return out
            }
        }
    }

    private func runStatuses(where condition: String, now: Double) throws -> [RunStatus] {
        try read { db in
            try db.with("""
                SELECT r.id, r.sweep_id, s.name, r.state, r.created_at, r.finished_at, r.budget, r.spent, r.answers, r.requested_by,
                  count(j.id), coalesce(sum(j.state = 'pending'), 0), coalesce(sum(j.state = 'leased'), 0),
                  coalesce(sum(j.state = 'done'), 0), coalesce(sum(j.state = 'failed'), 0),
                  coalesce(sum(resp.prompt_tokens), 0), coalesce(sum(resp.completion_tokens), 0),
                  coalesce(sum(resp.received_at >= ?1 - 60), 0)
                FROM sweep_runs r JOIN sweeps s ON s.id = r.sweep_id
                LEFT JOIN run_jobs rj ON rj.run_id = r.id
                LEFT JOIN jobs j ON j.id = rj.job_id
                LEFT JOIN responses resp ON resp.job_id = j.id
                WHERE \(condition) GROUP BY r.id ORDER BY r.sweep_id, r.id
                """) { s in
                try s.bind(now, at: 1)
                var out: [RunStatus] = []
                while try s.step() {
                    let created = s.double(4)
                    out.append(RunStatus(
                        id: s.int64(0), sweepId: s.int64(1), sweepName: s.string(2), state: RunState(rawValue: s.string(3)) ?? .active,
                        createdAt: created, finishedAt: s.optionalDouble(5), budget: s.optionalDouble(6), spent: s.double(7),
                        answers: s.int(8), requestedBy: s.optionalString(9), total: s.int(10), pending: s.int(11), leased: s.int(12),
                        done: s.int(13), failed: s.int(14), promptTokens: s.int(15), completionTokens: s.int(16),
                        recentAnswers: s.int(17), recentWindow: max(1, min(60, now - created))))
                }
                return out
            }
        }
    }
}
