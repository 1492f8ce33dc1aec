import HarvestCore

extension SQLiteStore {
    /// Up to `limit` answers of set `setName` with `responses.id > afterId`, in id order, each with its prompt's
    /// reference and verifier in the set (a prompt listed under several ids takes its lowest id in byte order, one row
    /// per answer: a page is short only at the end, which the `verify` stage relies on). Throws
    /// ``StoreError/unknownSet(_:)``. The member is found through `set_members_prompt`: left to itself, SQLite's planner
    /// picks the primary key (set, external id) for the reference columns and scans the whole set per answer, which
    /// made the stage quadratic (400,000 answers of 100,000 prompts had not been read after 8 minutes).
    public func verificationInputs(setName: String, afterId: Int64, limit: Int) throws -> [VerificationInput] {
        try read { db in
            let set = try Self.verifySetId(db, setName)
            return try db.with("""
                SELECT r.id, j.prompt_id, r.content, m.reference, m.verifier FROM responses r CROSS JOIN jobs j ON j.id = r.job_id
                CROSS JOIN set_members m INDEXED BY set_members_prompt ON m.set_id = ?1 AND m.prompt_id = j.prompt_id
                  AND m.external_id = (SELECT min(m2.external_id) FROM set_members m2 WHERE m2.set_id = ?1 AND m2.prompt_id = j.prompt_id)
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

    /// The verdict of one response in each set that judged it (the fingerprint is the set's `verify` progress
    /// fingerprint: every verdict of a set is written under it).
    public func verifications(responseId: Int64) throws -> [(setName: String, record: VerificationRecord)] {
        try read { db in
            try db.with("""
                SELECT s.name, v.verdict, v.extracted, v.rule, v.reason, v.verifier, coalesce(cp.params_fingerprint, '') FROM verifications v
                JOIN prompt_sets s ON s.id = v.set_id
                LEFT JOIN curation_progress cp ON cp.set_name = s.name AND cp.stage = 'verify'
                WHERE v.response_id = ?1 ORDER BY s.name
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
                JOIN teachers t ON t.id = j.teacher_id WHERE v.set_id = \(Self.setIdOf(1)) GROUP BY 1, 2 ORDER BY \(grouping == "sample" ? "j.sample_index" : "1")
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
                JOIN jobs j ON j.id = r.job_id WHERE v.set_id = \(Self.setIdOf(1)) AND v.verdict != 'unverifiable' GROUP BY j.prompt_id
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
            try db.with("SELECT response_id FROM verifications WHERE set_id = \(Self.setIdOf(1)) AND verdict = ?2") { s in
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

    /// The marks of stage `stage` on the answers of set `setName`, by response id (for `verify`: the `wrong` and
    /// `no_answer` verdicts of any set, see ``verifyMarks(_:)``). Throws ``StoreError/unknownSet(_:)``.
    public func stageMarks(setName: String, stage: String) throws -> [Int64: CurationMarkRecord] {
        try read { db in
            let set = try Self.verifySetId(db, setName)
            let sql = stage == VerificationRecord.stage
                ? "SELECT cm.* FROM (\(Self.verifyMarks("1"))) cm JOIN responses r ON r.id = cm.response_id WHERE \(Self.inSet(1))"
                : """
                SELECT cm.response_id, cm.stage, cm.reason, cm.detail, cm.params_fingerprint, cm.run_id, cm.created_at FROM curation_marks cm
                JOIN responses r ON r.id = cm.response_id WHERE cm.stage = ?2 AND \(Self.inSet(1))
                """
            return try db.with(sql) { s in
                try s.bind(set, at: 1)
                if stage != VerificationRecord.stage { try s.bind(stage, at: 2) }
                var out: [Int64: CurationMarkRecord] = [:]
                while try s.step() {
                    let id = s.int64(0)
                    if out[id] == nil { out[id] = Self.mark(s) }
                }
                return out
            }
        }
    }

    /// The verdicts that are marks (`wrong`, `no_answer`) as rows shaped like `curation_marks` (`response_id, stage,
    /// reason, detail, params_fingerprint, run_id, created_at`), for responses matching `where` (SQL over `v`, the
    /// `verifications` row): a response judged in several sets has a row per set. `detail` is the verdict as JSON
    /// (`verdict`, `extracted`, `rule`, `verifier`, `reason`); the fingerprint is the set's `verify` progress.
    static func verifyMarks(_ where: String) -> String {
        """
        SELECT v.response_id, 'verify', CASE v.verdict WHEN 'wrong' THEN 'wrong final answer' ELSE 'no final answer' END,
          json_object('verdict', v.verdict, 'extracted', v.extracted, 'rule', v.rule, 'verifier', v.verifier, 'reason', v.reason),
          coalesce((SELECT cp.params_fingerprint FROM curation_progress cp JOIN prompt_sets ps ON ps.name = cp.set_name
                    WHERE ps.id = v.set_id AND cp.stage = 'verify'), ''),
          coalesce(v.run_id, 0), v.created_at
        FROM verifications v WHERE v.verdict IN ('wrong', 'no_answer') AND (\(`where`))
        """
    }

    /// A mark from a row shaped like `curation_marks`.
    static func mark(_ s: SQLiteStatement) -> CurationMarkRecord {
        CurationMarkRecord(responseId: s.int64(0), stage: s.string(1), reason: s.string(2), detail: s.string(3),
                           paramsFingerprint: s.string(4), runId: s.int64(5), createdAt: s.double(6))
    }

    /// SQL for the id of the set named by parameter `?param` (NULL when there is none, so nothing matches).
    static func setIdOf(_ param: Int) -> String {
        "(SELECT id FROM prompt_sets WHERE name = ?\(param))"
    }

    /// Inserts the commit's verdicts (one prepared statement for the page). The verdict rows are also the `verify`
    /// marks; the fingerprint is the one of the commit's progress row, not stored per row.
    static func insertVerifications(_ db: SQLiteDatabase, _ c: CurationCommit, setId: Int64, runId: Int64, now: Double) throws {
        guard !c.verifications.isEmpty else { return }
        try db.with("""
            INSERT OR REPLACE INTO verifications(response_id, set_id, verdict, extracted, rule, reason, verifier, run_id, created_at)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """) { s in
            for v in c.verifications {
                s.reset()
                try s.bind(v.responseId, at: 1); try s.bind(setId, at: 2); try s.bind(v.verdict, at: 3); try s.bind(v.extracted, at: 4)
                try s.bind(v.rule, at: 5); try s.bind(v.reason, at: 6); try s.bind(v.verifier, at: 7); try s.bind(runId, at: 8)
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
