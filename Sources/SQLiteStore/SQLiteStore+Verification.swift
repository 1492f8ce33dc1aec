import HarvestCore

extension SQLiteStore {
    /// Up to `limit` answers of set `setName` with `responses.id > afterId`, in id order, each with its prompt's
    /// reference and verifier in the set (a prompt listed under several ids takes one of them). Throws
    /// ``StoreError/unknownSet(_:)``. The member is found through `set_members_prompt`: left to itself, SQLite's planner
    /// picks the primary key (set, external id) for the reference columns and scans the whole set per answer, which
    /// made the stage quadratic (400,000 answers of 100,000 prompts had not been read after 8 minutes).
    public func verificationInputs(setName: String, afterId: Int64, limit: Int) throws -> [VerificationInput] {
        try read { db in
            let set = try Self.verifySetId(db, setName)
            return try db.with("""
                SELECT r.id, j.prompt_id, r.content, m.reference, m.verifier FROM responses r CROSS JOIN jobs j ON j.id = r.job_id
                CROSS JOIN set_members m INDEXED BY set_members_prompt ON m.set_id = ?1 AND m.prompt_id = j.prompt_id
                WHERE r.id > ?2 ORDER BY r.id LIMIT ?3
                """) { s in
                try s.bind(set, at: 1); try s.bind(afterId, at: 2); try s.bind(Int64(limit), at: 3)
                var out: [VerificationInput] = []
                out.reserveCapacity(limit)
                while try s.step() {
                    let id = s.int64(0)
                    if out.last?.responseId == id { continue }
                    out.append(VerificationInput(responseId: id, promptId: s.int64(1), content: s.string(2), reference: s.optionalString(3),
                                                 verifier: s.optionalString(4)))
                }
                return out
            }
        }
    }

    /// The verdict of one response in each set that judged it.
    public func verifications(responseId: Int64) throws -> [(setName: String, record: VerificationRecord)] {
        try read { db in
            try db.with("""
                SELECT set_name, verdict, extracted, rule, reason, verifier, params_fingerprint FROM verifications
                WHERE response_id = ?1 ORDER BY set_name
                """) { s in
                try s.bind(responseId, at: 1)
                var out: [(String, VerificationRecord)] = []
                while try s.step() {
                    out.append((s.string(0), VerificationRecord(responseId: responseId, verdict: s.string(1), extracted: s.optionalString(2),
                                                               rule: s.optionalString(3), reason: s.string(4), verifier: s.string(5),
                                                               paramsFingerprint: s.string(6))))
                }
                return out
            }
        }
    }

    /// Verdict counts of set `setName` grouped by `teacher` (teacher name), `sample` (sample index) or `all`.
    public func verdictCounts(setName: String, by grouping: String) throws -> [VerdictCounts] {
        let key: String
        switch grouping {
        case "teacher": key = "t.name"
        case "sample": key = "CAST(j.sample_index AS TEXT)"
        default: key = "'all'"
        }
        return try read { db in
            try db.with("""
                SELECT \(key), v.verdict, count(*) FROM verifications v JOIN responses r ON r.id = v.response_id JOIN jobs j ON j.id = r.job_id
                JOIN teachers t ON t.id = j.teacher_id WHERE v.set_name = ?1 GROUP BY 1, 2 ORDER BY \(grouping == "sample" ? "j.sample_index" : "1")
                """) { s in
                try s.bind(setName, at: 1)
                var out: [VerdictCounts] = []
                while try s.step() {
                    let k = s.string(0)
                    if out.last?.key != k { out.append(VerdictCounts(key: k, counts: [:])) }
                    out[out.count - 1].counts[s.string(1)] = s.int(2)
                }
                return out
            }
        }
    }

    /// Per prompt of set `setName` (by prompt id): verified answers and how many of them are correct. Answers that
    /// are `unverifiable` are not counted; prompts without a judged answer are absent.
    public func passCounts(setName: String) throws -> [Int64: (correct: Int, judged: Int)] {
        try read { db in
            try db.with("""
                SELECT j.prompt_id, sum(v.verdict = 'correct'), count(*) FROM verifications v JOIN responses r ON r.id = v.response_id
                JOIN jobs j ON j.id = r.job_id WHERE v.set_name = ?1 AND v.verdict != 'unverifiable' GROUP BY j.prompt_id
                """) { s in
                try s.bind(setName, at: 1)
                var out: [Int64: (Int, Int)] = [:]
                while try s.step() { out[s.int64(0)] = (s.int(1), s.int(2)) }
                return out
            }
        }
    }

    /// Response ids of set `setName` with verdict `verdict`.
    public func responseIds(setName: String, verdict: String) throws -> Set<Int64> {
        try read { db in
            try db.with("SELECT response_id FROM verifications WHERE set_name = ?1 AND verdict = ?2") { s in
                try s.bind(setName, at: 1); try s.bind(verdict, at: 2)
                var out = Set<Int64>()
                while try s.step() { out.insert(s.int64(0)) }
                return out
            }
        }
    }

    /// Every answer of set `setName` with its prompt's id, in response id order (an answer whose prompt is listed
    /// under several ids of the set appears once). Throws ``StoreError/unknownSet(_:)``.
    public func answerPrompts(setName: String) throws -> [(responseId: Int64, promptId: Int64)] {
        try read { db in
            let set = try Self.verifySetId(db, setName)
            return try db.with("SELECT r.id, j.prompt_id FROM responses r CROSS JOIN jobs j ON j.id = r.job_id WHERE "
                               + "EXISTS (SELECT 1 FROM set_members m WHERE m.set_id = ?1 AND m.prompt_id = j.prompt_id) ORDER BY r.id") { s in
                try s.bind(set, at: 1)
                var out: [(Int64, Int64)] = []
                while try s.step() { out.append((s.int64(0), s.int64(1))) }
                return out
            }
        }
    }

    /// The marks of stage `stage` on the answers of set `setName`, by response id. Throws ``StoreError/unknownSet(_:)``.
    public func stageMarks(setName: String, stage: String) throws -> [Int64: CurationMarkRecord] {
        try read { db in
            let set = try Self.verifySetId(db, setName)
            return try db.with("""
                SELECT cm.response_id, cm.reason, cm.detail, cm.params_fingerprint, cm.run_id, cm.created_at FROM curation_marks cm
                JOIN responses r ON r.id = cm.response_id WHERE cm.stage = ?2 AND \(Self.inSet(1))
                """) { s in
                try s.bind(set, at: 1); try s.bind(stage, at: 2)
                var out: [Int64: CurationMarkRecord] = [:]
                while try s.step() {
                    out[s.int64(0)] = CurationMarkRecord(responseId: s.int64(0), stage: stage, reason: s.string(1), detail: s.string(2),
                                                         paramsFingerprint: s.string(3), runId: s.int64(4), createdAt: s.double(5))
                }
                return out
            }
        }
    }

    static func insertVerifications(_ db: SQLiteDatabase, _ c: CurationCommit, now: Double) throws {
        guard !c.verifications.isEmpty else { return }
        try db.with("""
            INSERT OR REPLACE INTO verifications(set_name, response_id, verdict, extracted, rule, reason, verifier, params_fingerprint, created_at)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """) { s in
            for v in c.verifications {
                s.reset()
                try s.bind(c.setName, at: 1); try s.bind(v.responseId, at: 2); try s.bind(v.verdict, at: 3); try s.bind(v.extracted, at: 4)
                try s.bind(v.rule, at: 5); try s.bind(v.reason, at: 6); try s.bind(v.verifier, at: 7); try s.bind(v.paramsFingerprint, at: 8)
                try s.bind(now, at: 9)
                try s.run()
            }
        }
    }

    private static func verifySetId(_ db: SQLiteDatabase, _ name: String) throws -> Int64 {
        let id = try db.queryOne("SELECT id FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(name, at: 1) }, read: { $0.int64(0) })
        guard let id else { throw StoreError.unknownSet(name) }
        return id
    }
}
