import HarvestCore
import HarvestStore
import SQLiteStore

/// The corpus on PostgreSQL for `harvest export`, `inspect` and `stats`: the same rows, order and figures as
/// SQLite's reads (docs/OPERATIONS.md, *PostgreSQL*). Exports stream through a server-side cursor
/// (``openResponsePages(query:)``); text orders that decide output use byte order (`COLLATE "C"`).
extension PostgresStore: CorpusReader {
    /// None: nothing of the database is a local file an export could overwrite.
    public var localFiles: [String] { [] }

    /// Whether prompt set `name` exists.
    public func setExists(_ name: String) throws -> Bool {
        try reads.read(pool.url) { c in try c.execute("SELECT 1 FROM prompt_sets WHERE name = $1", [.text(name)]).count == 1 }
    }

    /// One page of responses with `id > query.afterId`, in id order (``CorpusReader/responses(query:)``).
    public func responses(query: ResponseQuery) throws -> [StoredResponse] {
        guard query.limit > 0 else { return [] }
        let vocabulary = reads.vocabulary
        return try reads.snapshot(pool.url) { c in
            let rows = try PostgresResponseRows(query, paged: true, c)
            return try rows.decode(try c.execute(rows.sql, rows.params), vocabulary: vocabulary, c)
        }
    }

    /// A server-side cursor over the query's responses on a connection of its own (pages of `query.limit` rows).
    public func openResponsePages(query: ResponseQuery) throws -> any ResponsePages {
        try PostgresResponseCursor(url: pool.url, query: query, vocabulary: reads.vocabulary)
    }

    /// The highest response id committed with no lower id still to come: taken while holding a `SHARE` lock on
    /// `responses` for an instant, which waits for the transactions inserting answers (a group commit lasts
    /// milliseconds) and keeps new ones out until the id is read. Ids come from a sequence when a row is inserted,
    /// so every later answer gets a higher one.
    public func settledResponseId() throws -> Int64? {
        try reads.read(pool.url) { c in
            try c.transaction {
                try c.execute("LOCK TABLE responses IN SHARE MODE")
                return try c.execute("SELECT coalesce(max(id), 0) FROM responses").int64(0, 0)
            }
        }
    }

    /// The ids a prompt has in prompt sets, by set name then id (byte order).
    public func memberships(promptId: Int64) throws -> [(set: String, externalId: String)] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT ps.name, m.external_id FROM set_members m JOIN prompt_sets ps ON ps.id = m.set_id
                WHERE m.prompt_id = $1 ORDER BY ps.name COLLATE "C", m.external_id COLLATE "C"
                """, [.int(promptId)])
            return try (0..<r.count).map { (set: try r.text($0, 0), externalId: try r.text($0, 1)) }
        }
    }

    /// Every mark of one response, in stage order (byte order; its `verify` mark is its first `wrong`/`no_answer`
    /// verdict, by set id).
    public func marks(responseId: Int64) throws -> [CurationMarkRecord] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT * FROM (SELECT response_id, stage, reason, detail, params_fingerprint, run_id, created_at FROM curation_marks
                WHERE response_id = $1 UNION ALL (\(PostgresVerifyMarks.rows("v.response_id = $1")) ORDER BY v.set_id LIMIT 1)) m
                ORDER BY stage COLLATE "C"
                """, [.int(responseId)])
            return try (0..<r.count).map { i in
                CurationMarkRecord(responseId: try r.int64(i, 0), stage: try r.text(i, 1), reason: try r.text(i, 2), detail: try r.text(i, 3),
                                   paramsFingerprint: try r.text(i, 4), runId: try r.int64(i, 5), createdAt: try r.optionalDouble(i, 6) ?? 0)
            }
        }
    }

    /// The verdict of one response in each set that judged it, by set name (byte order; the fingerprint is the set's
    /// `verify` progress fingerprint: every verdict of a set is written under it).
    public func verifications(responseId: Int64) throws -> [(setName: String, record: VerificationRecord)] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT s.name, v.verdict, v.extracted, v.rule, v.reason, v.verifier, coalesce(cp.params_fingerprint, '') FROM verifications v
                JOIN prompt_sets s ON s.id = v.set_id LEFT JOIN curation_progress cp ON cp.set_name = s.name AND cp.stage = 'verify'
                WHERE v.response_id = $1 ORDER BY s.name COLLATE "C"
                """, [.int(responseId)])
            return try (0..<r.count).map { i in
                (setName: try r.text(i, 0),
                 record: VerificationRecord(responseId: responseId, verdict: try r.text(i, 1), extracted: r.string(i, 2), rule: r.string(i, 3),
                                            reason: try r.text(i, 4), verifier: try r.text(i, 5), paramsFingerprint: try r.text(i, 6)))
            }
        }
    }

    /// Marks by stage over the responses of set `setName` (all when nil), leaving out `excludingStages` (`verify`:
    /// responses with a `wrong`/`no_answer` verdict in any set).
    public func curationCounts(setName: String?, excludingStages: Set<String>) throws -> [String: Int] {
        try reads.snapshot(pool.url) { c in
            var params: [PostgresValue] = []
            var sql = "SELECT cm.stage, count(*) FROM curation_marks cm JOIN responses r ON r.id = cm.response_id"
            if let setName {
                params.append(.int(try Self.setId(c, setName)))
                sql += " WHERE " + Self.inSet(1)
            }
            let verify = "SELECT 'verify'::text, count(*) FROM responses r WHERE " + PostgresVerifyMarks.marked("r.id")
                + (setName == nil ? "" : " AND " + Self.inSet(1))
            let r = try c.execute(sql + " GROUP BY cm.stage UNION ALL " + verify, params)
            var out: [String: Int] = [:]
            for i in 0..<r.count {
                let stage = try r.text(i, 0), n = try r.int(i, 1)
                if !excludingStages.contains(stage), n > 0 { out[stage, default: 0] += n }
            }
            return out
        }
    }

    /// Responses of set `setName` (all when nil), and how many carry a mark of a stage not in `excludingStages` (a
    /// `wrong`/`no_answer` verdict is the mark of `verify`).
    public func curationTotals(setName: String?, excludingStages: Set<String>) throws -> (responses: Int, dropped: Int) {
        let counts = try reads.snapshot(pool.url) { c -> [Int] in
            var params: [PostgresValue] = []
            let set = try setName.map { try Self.setId(c, $0) }
            if let set { params.append(.int(set)) }
            var marked = "EXISTS (SELECT 1 FROM curation_marks cm WHERE cm.response_id = r.id"
            if !excludingStages.isEmpty {
                let slots = excludingStages.sorted().map { stage -> String in
                    params.append(.text(stage))
                    return "$\(params.count)"
                }
                marked += " AND cm.stage NOT IN (\(slots.joined(separator: ", ")))"
            }
            marked += ")"
            if !excludingStages.contains(VerificationRecord.stage) { marked = "(\(marked) OR \(PostgresVerifyMarks.marked("r.id")))" }
            let sql = "SELECT count(*), count(*) FILTER (WHERE \(marked)) FROM responses r" + (set == nil ? "" : " WHERE " + Self.inSet(1))
            let r = try c.execute(sql, params)
            return [try r.int(0, 0), try r.int(0, 1)]
        }
        return (counts[0], counts[1])
    }

    /// Verdict counts of set `setName` grouped by `teacher` (name), `sample` (sample index) or `all`.
    public func verdictCounts(setName: String, by grouping: String) throws -> [VerdictCounts] {
        let key: String, group: String, order: String
        switch grouping {
        case "teacher": (key, group, order) = ("t.name", "t.name, v.verdict", "t.name COLLATE \"C\"")
        case "sample": (key, group, order) = ("j.sample_index::text", "j.sample_index, v.verdict", "j.sample_index")
        default: (key, group, order) = ("'all'::text", "v.verdict", "v.verdict")
        }
        return try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT \(key), v.verdict, count(*) FROM verifications v JOIN responses r ON r.id = v.response_id JOIN jobs j ON j.id = r.job_id
                JOIN teachers t ON t.id = j.teacher_id WHERE v.set_id = \(PostgresVerifyMarks.setIdOf(1)) GROUP BY \(group) ORDER BY \(order)
                """, [.text(setName)])
            var out: [VerdictCounts] = []
            for i in 0..<r.count {
                let k = try r.text(i, 0)
                if out.last?.key != k { out.append(VerdictCounts(key: k, counts: [:])) }
                out[out.count - 1].counts[try r.text(i, 1)] = try r.int(i, 2)
            }
            return out
        }
    }

    /// Per prompt of set `setName`: verified answers (not `unverifiable`) and how many of them are correct.
    public func passCounts(setName: String) throws -> [Int64: (correct: Int, judged: Int)] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT j.prompt_id, count(*) FILTER (WHERE v.verdict = 'correct'), count(*) FROM verifications v
                JOIN responses r ON r.id = v.response_id JOIN jobs j ON j.id = r.job_id
                WHERE v.set_id = \(PostgresVerifyMarks.setIdOf(1)) AND v.verdict <> 'unverifiable' GROUP BY j.prompt_id
                """, [.text(setName)])
            var out: [Int64: (correct: Int, judged: Int)] = [:]
            for i in 0..<r.count { out[try r.int64(i, 0)] = (try r.int(i, 1), try r.int(i, 2)) }
            return out
        }
    }

    /// Response ids of set `setName` with verdict `verdict`.
    public func responseIds(setName: String, verdict: String) throws -> Set<Int64> {
        try reads.read(pool.url) { c in
            let r = try c.execute("SELECT response_id FROM verifications WHERE set_id = \(PostgresVerifyMarks.setIdOf(1)) AND verdict = $2", [.text(setName), .text(verdict)])
            return Set(try (0..<r.count).map { try r.int64($0, 0) })
        }
    }

    /// The `meta` value for `key`, or nil.
    public func metaValue(_ key: String) throws -> String? {
        try reads.read(pool.url) { c in
            let r = try c.execute("SELECT value FROM meta WHERE key = $1", [.text(key)])
            return r.count == 1 ? try r.text(0, 0) : nil
        }
    }

    /// Sets a `meta` value (committed when it returns).
    public func setMetaValue(_ key: String, _ value: String) throws {
        try reads.read(pool.url) { c in
            _ = try c.execute("INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                          [.text(key), .text(value)])
        }
    }

    /// Responses `r` of the set whose id is parameter `$n`.
    private static func inSet(_ n: Int) -> String {
        "EXISTS (SELECT 1 FROM jobs j2 JOIN set_members m2 ON m2.prompt_id = j2.prompt_id WHERE j2.id = r.job_id AND m2.set_id = $\(n))"
    }

    private static func setId(_ c: PostgresConnection, _ name: String) throws -> Int64 {
        let r = try c.execute("SELECT id FROM prompt_sets WHERE name = $1", [.text(name)])
        guard r.count == 1 else { throw StoreError.unknownSet(name) }
        return try r.int64(0, 0)
    }
}
