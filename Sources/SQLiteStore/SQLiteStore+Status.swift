import HarvestCore

extension SQLiteStore {
    private static let statusSQL = """
        SELECT s.id, s.name, ps.name, t.model, t.base_url, s.created_at, count(j.id),
          coalesce(sum(j.state = 'pending'), 0), coalesce(sum(j.state = 'leased'), 0),
          coalesce(sum(j.state = 'done'), 0), coalesce(sum(j.state = 'failed'), 0),
          coalesce(sum(r.prompt_tokens), 0), coalesce(sum(r.completion_tokens), 0)
        FROM sweeps s
        JOIN prompt_sets ps ON ps.id = s.set_id
        JOIN teachers t ON t.id = s.teacher_id
        LEFT JOIN sweep_jobs sj ON sj.sweep_id = s.id
        LEFT JOIN jobs j ON j.id = sj.job_id
        LEFT JOIN responses r ON r.job_id = j.id
        """

    private static func statusRow(_ s: SQLiteStatement) -> SweepStatus {
        SweepStatus(id: s.int64(0), name: s.string(1), setName: s.string(2), model: s.string(3), baseURL: s.string(4),
                    createdAt: s.double(5), total: s.int(6), pending: s.int(7), leased: s.int(8), done: s.int(9),
                    failed: s.int(10), promptTokens: s.int(11), completionTokens: s.int(12))
    }

    /// Progress of every sweep, oldest first.
    public func sweepStatuses() throws -> [SweepStatus] {
        try read { db in
            try db.with(Self.statusSQL + " GROUP BY s.id ORDER BY s.id") { s in
                var out: [SweepStatus] = []
                while try s.step() { out.append(Self.statusRow(s)) }
                return out
            }
        }
    }

    /// Progress of sweep `id`. Throws ``StoreError/unknownSweep(_:)``.
    public func sweepStatus(id: Int64) throws -> SweepStatus {
        let status = try read { db in
            try db.queryOne(Self.statusSQL + " WHERE s.id = ?1 GROUP BY s.id", bind: { try $0.bind(id, at: 1) }, read: Self.statusRow)
        }
        guard let status else { throw StoreError.unknownSweep(id) }
        return status
    }

    /// Prompt sets by name, with their number of members (ids).
    public func setNames() throws -> [(name: String, count: Int)] {
        try read { db in
            try db.with("""
                SELECT ps.name, count(m.external_id) FROM prompt_sets ps
                LEFT JOIN set_members m ON m.set_id = ps.id GROUP BY ps.id ORDER BY ps.name
                """) { s in
                var out: [(name: String, count: Int)] = []
                while try s.step() { out.append((s.string(0), s.int(1))) }
                return out
            }
        }
    }

    /// Row counts of every table (for tests and diagnostics).
    public func counts() throws -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for table in Self.tables {
                out[table] = try db.queryOne("SELECT count(*) FROM \(table)") { $0.int(0) } ?? 0
            }
            return out
        }
    }

    /// The tables of the schema.
    static let tables = ["meta", "prompt_sets", "prompts", "set_members", "teachers", "param_sets", "sweeps", "jobs",
                         "sweep_jobs", "attempts", "responses", "sweep_runs", "run_jobs"]

    /// Number of responses stored for job `jobId` (0 or 1).
    public func responseCount(jobId: Int64) throws -> Int {
        try read { db in
            try db.queryOne("SELECT count(*) FROM responses WHERE job_id = ?1", bind: { try $0.bind(jobId, at: 1) }) { $0.int(0) } ?? 0
        }
    }

    /// Number of jobs of sweep `sweepId` in each state (states with no jobs map to 0).
    public func jobStates(sweepId: Int64) throws -> [JobState: Int] {
        try read { db in
            var out = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            try db.with("""
                SELECT j.state, count(*) FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id WHERE sj.sweep_id = ?1 GROUP BY j.state
                """) { s in
                try s.bind(sweepId, at: 1)
                while try s.step() {
                    if let state = JobState(rawValue: s.string(0)) { out[state] = s.int(1) }
                }
            }
            return out
        }
    }

    /// The job row as stored: state, attempts, lease owner and last error (for tests and diagnostics).
    public func jobInfo(id: Int64) throws -> (state: JobState, attempts: Int, leaseOwner: String?, lastError: String?)? {
        try read { db in
            try db.queryOne("SELECT state, attempts, lease_owner, last_error FROM jobs WHERE id = ?1", bind: { try $0.bind(id, at: 1) }) { s in
                (JobState(rawValue: s.string(0)) ?? .pending, s.int(1), s.optionalString(2), s.optionalString(3))
            }
        }
    }

    /// Number of attempts recorded for job `jobId`.
    public func attemptCount(jobId: Int64) throws -> Int {
        try read { db in
            try db.queryOne("SELECT count(*) FROM attempts WHERE job_id = ?1", bind: { try $0.bind(jobId, at: 1) }) { $0.int(0) } ?? 0
        }
    }
}
