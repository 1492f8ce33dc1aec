import HarvestCore
import HarvestStore
import SQLiteStore

/// The inputs of the `verify` and `filter.pass_rate` stages on PostgreSQL: the same rows as SQLite's
/// (SQLiteStore+Verification.swift).
extension PostgresStore {
    /// Up to `limit` answers of set `setName` with `responses.id > afterId`, in id order, each with its prompt's
    /// reference and verifier in the set (a prompt listed under several ids takes its lowest id in byte order, as
    /// SQLite's `set_members_prompt` index gives it). Throws ``StoreError/unknownSet(_:)``.
    public func verificationInputs(setName: String, afterId: Int64, limit: Int) throws -> [VerificationInput] {
        try reads.read(pool.url) { c in
            let set = try Self.curationSetId(c, setName)
            let r = try c.execute("""
                SELECT r.id, j.prompt_id, r.content, m.reference, m.verifier FROM responses r JOIN jobs j ON j.id = r.job_id
                CROSS JOIN LATERAL (SELECT m.reference, m.verifier FROM set_members m WHERE m.set_id = $1 AND m.prompt_id = j.prompt_id
                                    ORDER BY m.external_id COLLATE "C" LIMIT 1) m
                WHERE r.id > $2 ORDER BY r.id LIMIT $3
                """, [.int(set), .int(afterId), .int(Int64(limit))])
            var out: [VerificationInput] = []
            out.reserveCapacity(r.count)
            for i in 0..<r.count {
                out.append(VerificationInput(responseId: try r.int64(i, 0), promptId: try r.int64(i, 1), content: try r.text(i, 2),
                                             reference: r.string(i, 3), verifier: r.string(i, 4)))
            }
            return out
        }
    }

    /// Every answer of set `setName` with its prompt's id, in response id order (each answer once). Throws
    /// ``StoreError/unknownSet(_:)``.
    public func answerPrompts(setName: String) throws -> [(responseId: Int64, promptId: Int64)] {
        try reads.read(pool.url) { c in
            let set = try Self.curationSetId(c, setName)
            let r = try c.execute("""
                SELECT r.id, j.prompt_id FROM responses r JOIN jobs j ON j.id = r.job_id
                WHERE EXISTS (SELECT 1 FROM set_members m WHERE m.set_id = $1 AND m.prompt_id = j.prompt_id) ORDER BY r.id
                """, [.int(set)])
            var out: [(responseId: Int64, promptId: Int64)] = []
            out.reserveCapacity(r.count)
            for i in 0..<r.count { out.append((try r.int64(i, 0), try r.int64(i, 1))) }
            return out
        }
    }

    /// The marks of stage `stage` on the answers of set `setName`, by response id (for `verify`: the `wrong` and
    /// `no_answer` verdicts of any set, the first by set id). Throws ``StoreError/unknownSet(_:)``.
    public func stageMarks(setName: String, stage: String) throws -> [Int64: CurationMarkRecord] {
        try reads.read(pool.url) { c in
            let set = try Self.curationSetId(c, setName)
            let inSet = "EXISTS (SELECT 1 FROM responses r JOIN jobs j ON j.id = r.job_id JOIN set_members m ON m.prompt_id = j.prompt_id "
                + "WHERE r.id = cm.response_id AND m.set_id = $1)"
            let r = stage == VerificationRecord.stage
                ? try c.execute("SELECT cm.* FROM (\(PostgresVerifyMarks.rows("true")) ORDER BY v.set_id) cm WHERE \(inSet)", [.int(set)])
                : try c.execute("""
                    SELECT cm.response_id, cm.stage, cm.reason, cm.detail, cm.params_fingerprint, cm.run_id, cm.created_at FROM curation_marks cm
                    WHERE cm.stage = $2 AND \(inSet)
                    """, [.int(set), .text(stage)])
            var out: [Int64: CurationMarkRecord] = [:]
            for i in 0..<r.count {
                let id = try r.int64(i, 0)
                guard out[id] == nil else { continue }
                out[id] = CurationMarkRecord(responseId: id, stage: try r.text(i, 1), reason: try r.text(i, 2), detail: try r.text(i, 3),
                                             paramsFingerprint: try r.text(i, 4), runId: try r.int64(i, 5),
                                             createdAt: try r.optionalDouble(i, 6) ?? 0)
            }
            return out
        }
    }

    /// The id of set `name`; ``StoreError/unknownSet(_:)`` when there is none.
    static func curationSetId(_ c: PostgresConnection, _ name: String) throws -> Int64 {
        let r = try c.execute("SELECT id FROM prompt_sets WHERE name = $1", [.text(name)])
        guard r.count == 1 else { throw StoreError.unknownSet(name) }
        return try r.int64(0, 0)
    }
}
