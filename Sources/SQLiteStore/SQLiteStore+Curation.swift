import HarvestCore

extension SQLiteStore {
    /// Responses of set `?N`: `r.job_id`'s prompt is a member of the set.
    static func inSet(_ param: Int) -> String {
        "EXISTS (SELECT 1 FROM jobs j2 JOIN set_members m2 ON m2.prompt_id = j2.prompt_id WHERE j2.id = r.job_id AND m2.set_id = ?\(param))"
    }

    /// The verdicts that are marks of stage `verify` (SQL over `verifications`).
    static let verifyDropped = "verdict IN ('wrong', 'no_answer')"

    /// SQL: the response `idExpr` has a `wrong`/`no_answer` verdict in some set (its `verify` mark).
    static func verifyMarked(_ idExpr: String) -> String {
        "EXISTS (SELECT 1 FROM verifications vm WHERE vm.response_id = \(idExpr) AND vm.\(verifyDropped))"
    }

    private static func setId(_ db: SQLiteDatabase, _ name: String) throws -> Int64 {
        let id = try db.queryOne("SELECT id FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(name, at: 1) }, read: { $0.int64(0) })
        guard let id else { throw StoreError.unknownSet(name) }
        return id
    }

    /// Per-stage progress of curation over set `setName` (empty before the first run).
    public func curationProgress(setName: String) throws -> [CurationProgress] {
        try read { db in
            try db.with("SELECT stage, params_fingerprint, last_response_id FROM curation_progress WHERE set_name = ?1 ORDER BY stage") { s in
                try s.bind(setName, at: 1)
                var out: [CurationProgress] = []
                while try s.step() { out.append(CurationProgress(stage: s.string(0), paramsFingerprint: s.string(1), lastResponseId: s.int64(2))) }
                return out
            }
        }
    }

    /// Stored exact hashes (`signatures: false`) or MinHash signatures (`signatures: true`) of set `setName` under
    /// the dedup parameters `fingerprint`, in owner order.
    public func curationState(setName: String, fingerprint: String, signatures: Bool) throws -> [CurationStateEntry] {
        let sql = signatures
            ? "SELECT target, owner_id, signature FROM curation_signatures WHERE set_name = ?1 AND params_fingerprint = ?2 ORDER BY target, owner_id"
            : "SELECT target, owner_id, hash FROM curation_hashes WHERE set_name = ?1 AND params_fingerprint = ?2 ORDER BY target, owner_id"
        return try read { db in
            try db.with(sql) { s in
                try s.bind(setName, at: 1); try s.bind(fingerprint, at: 2)
                var out: [CurationStateEntry] = []
                while try s.step() {
                    out.append(CurationStateEntry(target: s.string(0), ownerId: s.int64(1), bytes: s.blob(2), paramsFingerprint: fingerprint))
                }
                return out
            }
        }
    }

    /// Writes one step of a curation run in one transaction: deletes the marks, state and progress of
    /// `replaceStages` for the set, inserts the run row (or updates it), the marks, the state and the progress.
    /// Returns the run id. Throws ``StoreError/unknownSet(_:)``.
    @discardableResult
    public func commitCuration(_ c: CurationCommit) throws -> Int64 {
        try writeSync { db in
            let set = try Self.setId(db, c.setName)
            let now = unixNow()
            for stage in c.replaceStages {
                try db.with("DELETE FROM curation_marks WHERE stage = ?1 AND response_id IN (SELECT r.id FROM responses r JOIN jobs j ON j.id = r.job_id "
                            + "JOIN set_members m ON m.prompt_id = j.prompt_id WHERE m.set_id = ?2)") { s in
                    try s.bind(stage, at: 1); try s.bind(set, at: 2); try s.run()
                }
                try db.with("DELETE FROM curation_progress WHERE set_name = ?1 AND stage = ?2") { s in
                    try s.bind(c.setName, at: 1); try s.bind(stage, at: 2); try s.run()
                }
                if stage == VerificationRecord.stage {
                    try db.with("DELETE FROM verifications WHERE set_id = ?1") { s in try s.bind(set, at: 1); try s.run() }
                }
                let table = stage == "dedup.exact" ? "curation_hashes" : stage == "dedup.near" ? "curation_signatures" : nil
                if let table {
                    try db.with("DELETE FROM \(table) WHERE set_name = ?1") { s in try s.bind(c.setName, at: 1); try s.run() }
                }
            }
            for (stage, ids) in c.removeMarks.sorted(by: { $0.key < $1.key }) {
                try db.with("DELETE FROM curation_marks WHERE response_id = ?1 AND stage = ?2") { s in
                    for id in ids {
                        s.reset()
                        try s.bind(id, at: 1); try s.bind(stage, at: 2); try s.run()
                    }
                }
            }
            var runId = c.runId ?? 0
            if c.runId == nil {
                runId = try db.with("INSERT INTO curation_runs(set_name, config, started_at) VALUES(?1, ?2, ?3) RETURNING id") { s in
                    try s.bind(c.setName, at: 1); try s.bind(c.config, at: 2); try s.bind(c.startedAt, at: 3)
                    _ = try s.step()
                    return s.int64(0)
                }
            }
            try db.with("UPDATE curation_runs SET counts = coalesce(?2, counts), finished_at = coalesce(?3, finished_at) WHERE id = ?1") { s in
                try s.bind(runId, at: 1); try s.bind(c.counts, at: 2); try s.bind(c.finishedAt, at: 3); try s.run()
            }
            try db.with("""
                INSERT OR REPLACE INTO curation_marks(response_id, stage, reason, detail, params_fingerprint, run_id, created_at)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """) { s in
                for m in c.marks {
                    s.reset()
                    try s.bind(m.responseId, at: 1); try s.bind(m.stage, at: 2); try s.bind(m.reason, at: 3); try s.bind(m.detail, at: 4)
                    try s.bind(m.paramsFingerprint, at: 5); try s.bind(runId, at: 6); try s.bind(now, at: 7)
                    try s.run()
                }
            }
            try Self.insertVerifications(db, c, setId: set, runId: runId, now: now)
            try db.with("INSERT OR IGNORE INTO curation_hashes(set_name, target, hash, owner_id, params_fingerprint) VALUES(?1, ?2, ?3, ?4, ?5)") { s in
                for h in c.hashes {
                    s.reset()
                    try s.bind(c.setName, at: 1); try s.bind(h.target, at: 2); try s.bind(blob: h.bytes, at: 3)
                    try s.bind(h.ownerId, at: 4); try s.bind(h.paramsFingerprint, at: 5)
                    try s.run()
                }
            }
            try db.with("""
                INSERT OR REPLACE INTO curation_signatures(set_name, target, owner_id, params_fingerprint, signature) VALUES(?1, ?2, ?3, ?4, ?5)
                """) { s in
                for g in c.signatures {
                    s.reset()
                    try s.bind(c.setName, at: 1); try s.bind(g.target, at: 2); try s.bind(g.ownerId, at: 3)
                    try s.bind(g.paramsFingerprint, at: 4); try s.bind(blob: g.bytes, at: 5)
                    try s.run()
                }
            }
            try db.with("""
                INSERT INTO curation_progress(set_name, stage, params_fingerprint, last_response_id) VALUES(?1, ?2, ?3, ?4)
                ON CONFLICT(set_name, stage) DO UPDATE SET params_fingerprint = excluded.params_fingerprint,
                  last_response_id = excluded.last_response_id
                """) { s in
                for p in c.progress {
                    s.reset()
                    try s.bind(c.setName, at: 1); try s.bind(p.stage, at: 2); try s.bind(p.paramsFingerprint, at: 3)
                    try s.bind(p.lastResponseId, at: 4)
                    try s.run()
                }
            }
            return runId
        }
    }

    /// Stages that marked each response with `lower <= id <= upper` (`verify` for a `wrong`/`no_answer` verdict).
    public func curationMarkStages(from lower: Int64, through upper: Int64) throws -> [Int64: [String]] {
        try read { db in
            try db.with("SELECT response_id, stage FROM curation_marks WHERE response_id BETWEEN ?1 AND ?2 UNION "
                        + "SELECT response_id, 'verify' FROM verifications WHERE response_id BETWEEN ?1 AND ?2 AND verdict IN ('wrong', 'no_answer')") { s in
                try s.bind(lower, at: 1); try s.bind(upper, at: 2)
                var out: [Int64: [String]] = [:]
                while try s.step() { out[s.int64(0), default: []].append(s.string(1)) }
                return out
            }
        }
    }

    /// Every mark of one response, in stage order (its `verify` mark is its first `wrong`/`no_answer` verdict, by set).
    public func marks(responseId: Int64) throws -> [CurationMarkRecord] {
        try read { db in
            try db.with("""
                SELECT * FROM (SELECT response_id, stage, reason, detail, params_fingerprint, run_id, created_at FROM curation_marks
                WHERE response_id = ?1 UNION ALL SELECT * FROM (\(Self.verifyMarks("v.response_id = ?1")) ORDER BY v.set_id LIMIT 1)) ORDER BY stage
                """) { s in
                try s.bind(responseId, at: 1)
                var out: [CurationMarkRecord] = []
                while try s.step() { out.append(Self.mark(s)) }
                return out
            }
        }
    }

    /// Marks by stage over the responses of set `setName` (all responses when nil), leaving out `excludingStages`
    /// (`verify`: responses with a `wrong`/`no_answer` verdict in any set).
    /// Throws ``StoreError/unknownSet(_:)``.
    public func curationCounts(setName: String?, excludingStages: Set<String> = []) throws -> [String: Int] {
        try read { db in
            let set = try setName.map { try Self.setId(db, $0) }
            let inSet = set == nil ? "" : " WHERE " + Self.inSet(1)
            let sql = "SELECT cm.stage, count(*) FROM curation_marks cm JOIN responses r ON r.id = cm.response_id" + inSet + " GROUP BY cm.stage"
                + " UNION ALL SELECT 'verify', count(*) FROM (SELECT DISTINCT v.response_id AS id FROM verifications v WHERE "
                + Self.verifyDropped + ") cm JOIN responses r ON r.id = cm.id" + inSet
            return try db.with(sql) { s in
                if let set { try s.bind(set, at: 1) }
                var out: [String: Int] = [:]
                while try s.step() {
                    let stage = s.string(0)
                    if !excludingStages.contains(stage), s.int(1) > 0 { out[stage, default: 0] += s.int(1) }
                }
                return out
            }
        }
    }

    /// Responses of set `setName` (all when nil), and how many of them carry a mark of a stage not in `excludingStages`
    /// (a `wrong`/`no_answer` verdict is the mark of `verify`).
    public func curationTotals(setName: String?, excludingStages: Set<String> = []) throws -> (responses: Int, dropped: Int) {
        try read { db in
            let set = try setName.map { try Self.setId(db, $0) }
            let excluded = excludingStages.sorted().enumerated().map { "?\($0.offset + 2)" }.joined(separator: ", ")
            var marked = "EXISTS (SELECT 1 FROM curation_marks cm WHERE cm.response_id = r.id"
                + (excluded.isEmpty ? "" : " AND cm.stage NOT IN (\(excluded))") + ")"
            if !excludingStages.contains(VerificationRecord.stage) { marked = "(\(marked) OR \(Self.verifyMarked("r.id")))" }
            let sql = "SELECT count(*), coalesce(sum(\(marked)), 0) FROM responses r" + (set == nil ? "" : " WHERE " + Self.inSet(1))
            return try db.with(sql) { s in
                if let set { try s.bind(set, at: 1) }
                for (i, stage) in excludingStages.sorted().enumerated() { try s.bind(stage, at: Int32(i + 2)) }
                _ = try s.step()
                return (s.int(0), s.int(1))
            }
        }
    }
}
