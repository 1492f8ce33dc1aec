import HarvestCore
import HarvestStore
import SQLiteStore

/// The statements of one curation page commit on PostgreSQL, run inside the caller's transaction with the meaning of
/// SQLite's `commitCuration`: the replaced stages' marks, verdicts, state and progress of the set are deleted first,
/// single marks removed, the run row inserted (or updated), then the marks, verdicts, hashes, signatures and progress
/// written. Rows travel as binary arrays unpacked with `unnest` (one statement per table whatever the page size).
///
/// SQLite's `INSERT OR REPLACE` (marks, verdicts, signatures, progress: the last row of a key wins) becomes `ON CONFLICT
/// DO UPDATE` over rows made unique first (a statement may not update one row twice); its `INSERT OR IGNORE` (hashes:
/// the first row of a key wins) becomes `ON CONFLICT DO NOTHING` over the first rows of each key.
struct PostgresCurationCommit {
    let commit: CurationCommit
    /// When the rows are written (Unix seconds, this machine's clock, as SQLite's commit).
    let now: Double

    init(_ commit: CurationCommit, now: Double) {
        self.commit = commit
        self.now = now
    }

    /// Writes the commit on `c` (in a transaction) and returns the run id. Throws ``StoreError/unknownSet(_:)``.
    func write(_ c: PostgresConnection) throws -> Int64 {
        let set = try PostgresStore.curationSetId(c, commit.setName)
        try c.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.text(PostgresStore.curationCommitLockPrefix + commit.setName)])
        try replaceStages(c, set: set)
        for (stage, ids) in commit.removeMarks.sorted(by: { $0.key < $1.key }) where !ids.isEmpty {
            try c.execute("DELETE FROM curation_marks WHERE stage = $1 AND response_id = ANY($2)", [.text(stage), .binaryArray(Self.ints(ids))])
        }
        var runId = commit.runId ?? 0
        if commit.runId == nil {
            runId = try c.execute("INSERT INTO curation_runs(set_name, config, started_at) VALUES($1, $2, $3) RETURNING id",
                                  [.text(commit.setName), .text(commit.config), .double(commit.startedAt)]).int64(0, 0)
        }
        try c.execute("""
            UPDATE curation_runs SET counts = coalesce($2::text, counts), finished_at = coalesce($3::float8, finished_at) WHERE id = $1
            """, [.int(runId), .nullableText(commit.counts), .nullableDouble(commit.finishedAt)])
        try insertMarks(c, runId: runId)
        try insertVerifications(c, set: set, runId: runId)
        try insertState(c)
        try upsertProgress(c)
        return runId
    }

    private func replaceStages(_ c: PostgresConnection, set: Int64) throws {
        for stage in commit.replaceStages {
            try c.execute("""
                DELETE FROM curation_marks cm WHERE cm.stage = $1 AND EXISTS (SELECT 1 FROM responses r JOIN jobs j ON j.id = r.job_id
                  JOIN set_members m ON m.prompt_id = j.prompt_id WHERE r.id = cm.response_id AND m.set_id = $2)
                """, [.text(stage), .int(set)])
            try c.execute("DELETE FROM curation_progress WHERE set_name = $1 AND stage = $2", [.text(commit.setName), .text(stage)])
            if stage == VerificationRecord.stage {
                try c.execute("DELETE FROM verifications WHERE set_id = $1", [.int(set)])
            }
            let table = stage == "dedup.exact" ? "curation_hashes" : stage == "dedup.near" ? "curation_signatures" : nil
            if let table {
                try c.execute("DELETE FROM \(table) WHERE set_name = $1", [.text(commit.setName)])
            }
        }
    }

    private func insertMarks(_ c: PostgresConnection, runId: Int64) throws {
        let marks = Self.unique(commit.marks, keepLast: true) { MarkKey(id: $0.responseId, stage: $0.stage) }
        guard !marks.isEmpty else { return }
        var ids = PostgresBinaryArray(.int8), stages = PostgresBinaryArray(.text), reasons = PostgresBinaryArray(.text)
        var details = PostgresBinaryArray(.text), fingerprints = PostgresBinaryArray(.text)
        for m in marks {
            ids.append(m.responseId)
            stages.append(m.stage)
            reasons.append(m.reason)
            details.append(m.detail)
            fingerprints.append(m.paramsFingerprint)
        }
        try c.execute("""
            INSERT INTO curation_marks(response_id, stage, reason, detail, params_fingerprint, run_id, created_at)
            SELECT u.id, u.stage, u.reason, u.detail, u.fp, $6, $7 FROM unnest($1, $2, $3, $4, $5) AS u(id, stage, reason, detail, fp)
            ON CONFLICT (response_id, stage) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
              params_fingerprint = excluded.params_fingerprint, run_id = excluded.run_id, created_at = excluded.created_at
            """, [.binaryArray(ids), .binaryArray(stages), .binaryArray(reasons), .binaryArray(details), .binaryArray(fingerprints),
                  .int(runId), .double(now)])
    }

    private func insertVerifications(_ c: PostgresConnection, set: Int64, runId: Int64) throws {
        let verdicts = Self.unique(commit.verifications, keepLast: true) { $0.responseId }
        guard !verdicts.isEmpty else { return }
        var ids = PostgresBinaryArray(.int8), verdict = PostgresBinaryArray(.text), extracted = PostgresBinaryArray(.text)
        var rules = PostgresBinaryArray(.text), reasons = PostgresBinaryArray(.text), verifiers = PostgresBinaryArray(.text)
        for v in verdicts {
            ids.append(v.responseId)
            verdict.append(v.verdict)
            extracted.append(v.extracted)
            rules.append(v.rule)
            reasons.append(v.reason)
            verifiers.append(v.verifier)
        }
        try c.execute("""
            INSERT INTO verifications(response_id, set_id, verdict, extracted, rule, reason, verifier, run_id, created_at)
            SELECT u.id, $7, u.verdict, u.extracted, u.rule, u.reason, u.verifier, $8, $9
            FROM unnest($1, $2, $3, $4, $5, $6) AS u(id, verdict, extracted, rule, reason, verifier)
            ON CONFLICT (response_id, set_id) DO UPDATE SET verdict = excluded.verdict, extracted = excluded.extracted, rule = excluded.rule,
              reason = excluded.reason, verifier = excluded.verifier, run_id = excluded.run_id, created_at = excluded.created_at
            """, [.binaryArray(ids), .binaryArray(verdict), .binaryArray(extracted), .binaryArray(rules), .binaryArray(reasons),
                  .binaryArray(verifiers), .int(set), .int(runId), .double(now)])
    }

    private func insertState(_ c: PostgresConnection) throws {
        let hashes = Self.unique(commit.hashes, keepLast: false) { StateKey(target: $0.target, key: $0.bytes, fingerprint: $0.paramsFingerprint) }
        if !hashes.isEmpty {
            let (targets, bytes, owners, fingerprints) = Self.columns(hashes)
            try c.execute("""
                INSERT INTO curation_hashes(set_name, target, hash, owner_id, params_fingerprint)
                SELECT $1, u.target, u.hash, u.owner, u.fp FROM unnest($2, $3, $4, $5) AS u(target, hash, owner, fp) ON CONFLICT DO NOTHING
                """, [.text(commit.setName), .binaryArray(targets), .binaryArray(bytes), .binaryArray(owners), .binaryArray(fingerprints)])
        }
        let signatures = Self.unique(commit.signatures, keepLast: true) {
            StateKey(target: $0.target, key: withUnsafeBytes(of: $0.ownerId.bigEndian, Array.init), fingerprint: $0.paramsFingerprint)
        }
        if !signatures.isEmpty {
            let (targets, bytes, owners, fingerprints) = Self.columns(signatures)
            try c.execute("""
                INSERT INTO curation_signatures(set_name, target, owner_id, params_fingerprint, signature)
                SELECT $1, u.target, u.owner, u.fp, u.signature FROM unnest($2, $3, $4, $5) AS u(target, signature, owner, fp)
                ON CONFLICT (set_name, target, owner_id, params_fingerprint) DO UPDATE SET signature = excluded.signature
                """, [.text(commit.setName), .binaryArray(targets), .binaryArray(bytes), .binaryArray(owners), .binaryArray(fingerprints)])
        }
    }

    private func upsertProgress(_ c: PostgresConnection) throws {
        for p in Self.unique(commit.progress, keepLast: true, key: \.stage) {
            try c.execute("""
                INSERT INTO curation_progress(set_name, stage, params_fingerprint, last_response_id) VALUES($1, $2, $3, $4)
                ON CONFLICT (set_name, stage) DO UPDATE SET params_fingerprint = excluded.params_fingerprint,
                  last_response_id = excluded.last_response_id
                """, [.text(commit.setName), .text(p.stage), .text(p.paramsFingerprint), .int(p.lastResponseId)])
        }
    }

    /// The columns of state entries: targets, bytes, owner ids, fingerprints.
    private static func columns(_ entries: [CurationStateEntry])
        -> (PostgresBinaryArray, PostgresBinaryArray, PostgresBinaryArray, PostgresBinaryArray) {
        var targets = PostgresBinaryArray(.text), bytes = PostgresBinaryArray(.bytea, reservingBytes: entries.count * 80)
        var owners = PostgresBinaryArray(.int8), fingerprints = PostgresBinaryArray(.text)
        for e in entries {
            targets.append(e.target)
            bytes.append(e.bytes)
            owners.append(e.ownerId)
            fingerprints.append(e.paramsFingerprint)
        }
        return (targets, bytes, owners, fingerprints)
    }

    private static func ints(_ values: [Int64]) -> PostgresBinaryArray {
        var a = PostgresBinaryArray(.int8)
        for v in values { a.append(v) }
        return a
    }

    /// One item per key, in the order of the items kept: the last of each key (`keepLast`) or the first.
    static func unique<T, K: Hashable>(_ items: [T], keepLast: Bool, key: (T) -> K) -> [T] {
        var index: [K: Int] = [:]
        var out: [T] = []
        out.reserveCapacity(items.count)
        for item in items {
            let k = key(item)
            if let i = index[k] {
                if keepLast { out[i] = item }
            } else {
                index[k] = out.count
                out.append(item)
            }
        }
        return out
    }

    private struct MarkKey: Hashable {
        var id: Int64
        var stage: String
    }

    private struct StateKey: Hashable {
        var target: String
        var key: [UInt8]
        var fingerprint: String
    }
}
