import Foundation
import HarvestCore
import HarvestStore
import SQLiteStore

/// Curation on PostgreSQL (`harvest curate --db postgres://…`): the same progress, state, marks and verdicts as
/// SQLite's (SQLiteStore+Curation.swift). Reads go through the read side; page commits run on a connection of their
/// own (``curationWrites``), one transaction each (``PostgresCurationCommit``), so the `verify` stage's reader and
/// writer threads overlap as on SQLite. Text orders use byte order (`COLLATE "C"`).
///
/// Concurrency: each commit takes a transaction-scoped advisory lock of its set, so the commits of one set never
/// interleave (SQLite gets this from its single writer); ``withCurationLock(setName:waiting:_:)`` holds a session
/// advisory lock of the set for a whole run, so two `harvest curate` runs on one set, on any machines, take turns
/// (the second then judges only what the first left). A killed run's session ends and its lock with it.
extension PostgresStore: CurationStore {
    /// Per-stage progress of curation over set `setName`, by stage (byte order).
    public func curationProgress(setName: String) throws -> [CurationProgress] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT stage, params_fingerprint, last_response_id FROM curation_progress WHERE set_name = $1 ORDER BY stage COLLATE "C"
                """, [.text(setName)])
            return try (0..<r.count).map { i in
                CurationProgress(stage: try r.text(i, 0), paramsFingerprint: try r.text(i, 1), lastResponseId: try r.int64(i, 2))
            }
        }
    }

    /// Stored exact hashes (`signatures: false`) or MinHash signatures (`signatures: true`) of set `setName` under
    /// `fingerprint`, by target (byte order) then owner id.
    public func curationState(setName: String, fingerprint: String, signatures: Bool) throws -> [CurationStateEntry] {
        let sql = signatures
            ? "SELECT target, owner_id, signature FROM curation_signatures WHERE set_name = $1 AND params_fingerprint = $2 ORDER BY target COLLATE \"C\", owner_id"
            : "SELECT target, owner_id, hash FROM curation_hashes WHERE set_name = $1 AND params_fingerprint = $2 ORDER BY target COLLATE \"C\", owner_id"
        return try reads.read(pool.url) { c in
            let r = try c.execute(sql, [.text(setName), .text(fingerprint)])
            var out: [CurationStateEntry] = []
            out.reserveCapacity(r.count)
            for i in 0..<r.count {
                out.append(CurationStateEntry(target: try r.text(i, 0), ownerId: try r.int64(i, 1), bytes: try r.bytes(i, 2) ?? [],
                                              paramsFingerprint: fingerprint))
            }
            return out
        }
    }

    /// Writes one step of a curation run in one transaction (``PostgresCurationCommit``) and returns the run id.
    /// Throws ``StoreError/unknownSet(_:)`` (nothing written).
    @discardableResult
    public func commitCuration(_ commit: CurationCommit) throws -> Int64 {
        try curationWrites.read(pool.url) { c in
            try c.transaction { try PostgresCurationCommit(commit, now: Date().timeIntervalSince1970).write(c) }
        }
    }

    /// Stages that marked each response with `lower <= id <= upper` (`verify` for a `wrong`/`no_answer` verdict).
    public func curationMarkStages(from lower: Int64, through upper: Int64) throws -> [Int64: [String]] {
        try reads.read(pool.url) { c in
            let r = try c.execute("""
                SELECT response_id, stage FROM curation_marks WHERE response_id BETWEEN $1 AND $2 UNION
                SELECT response_id, 'verify' FROM verifications WHERE response_id BETWEEN $1 AND $2 AND \(PostgresVerifyMarks.dropped)
                """, [.int(lower), .int(upper)])
            var out: [Int64: [String]] = [:]
            for i in 0..<r.count { out[try r.int64(i, 0), default: []].append(try r.text(i, 1)) }
            return out
        }
    }

    /// Runs `body` holding the session advisory lock of set `setName` on a connection of its own (released when
    /// `body` returns or throws, or when the process dies and its session ends). When another run holds it,
    /// `waiting` is called once and the call waits.
    public func withCurationLock<T>(setName: String, waiting: () -> Void, _ body: () throws -> T) throws -> T {
        let c = try PostgresConnection(url: pool.url)
        let key: [PostgresValue] = [.text(Self.curationRunLockPrefix + setName)]
        if try c.execute("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).text(0, 0) != "t" {
            waiting()
            try c.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
        }
        defer { _ = try? c.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key) }
        return try body()
    }

    /// Prefix of the text hashed into the key of a set's run lock (`hashtextextended(prefix || set name, 0)`).
    static let curationRunLockPrefix = "harvest.curate.run:"
    /// Prefix of the text hashed into the key of a set's commit lock (transaction-scoped).
    static let curationCommitLockPrefix = "harvest.curate.commit:"
}
