import Foundation
import PostgresStore
import SQLiteStore
import Testing

/// A PostgreSQL database written before verdicts became the `verify` marks (migration `verdictsAsMarks`: verdicts by
/// set name with a fingerprint per row, and a `curation_marks` row per `wrong`/`no_answer` answer) opens with every
/// verdict and mark as it was, and no `verify` row left in `curation_marks`.
@Suite struct PostgresVerdictsAsMarksMigrationTests {
    /// Turns a current database back into the layout before the migration: the old `verifications` table (set name,
    /// fingerprint per row) and a `verify` mark row per dropped verdict, at the schema version before it.
    static func downgrade(_ url: String) throws {
        let version = try #require(PostgresMigrations.all.firstIndex { $0.contains("CREATE TABLE verifications_marks") })
        let c = try PostgresConnection(url: PostgresURL(url))
        try c.transaction {
            try c.script("""
                CREATE TABLE old_verifications(
                  set_name text NOT NULL, response_id bigint NOT NULL,
                  verdict text NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
                  extracted text, rule text, reason text NOT NULL, verifier text NOT NULL, params_fingerprint text NOT NULL,
                  created_at double precision NOT NULL, PRIMARY KEY(set_name, response_id));
                INSERT INTO old_verifications SELECT s.name, v.response_id, v.verdict, v.extracted, v.rule, v.reason, v.verifier,
                  coalesce(cp.params_fingerprint, ''), v.created_at FROM verifications v JOIN prompt_sets s ON s.id = v.set_id
                  LEFT JOIN curation_progress cp ON cp.set_name = s.name AND cp.stage = 'verify';
                INSERT INTO curation_marks(response_id, stage, reason, detail, params_fingerprint, run_id, created_at)
                  SELECT v.response_id, 'verify', 'old mark', 'old detail', 'old fingerprint', v.run_id, v.created_at
                  FROM verifications v WHERE v.verdict IN ('wrong', 'no_answer');
                DROP TABLE verifications;
                ALTER TABLE old_verifications RENAME TO verifications;
                """)
            try c.execute("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [.text(String(version))])
        }
    }

    /// Every verdict and mark of every response, and the curation figures of set `s`.
    static func snapshot(_ twin: TwinHarvest, _ store: PostgresStore) throws -> String {
        var out = ""
        for id in twin.responseIds {
            for m in try store.marks(responseId: id) {
                out += "mark \(id) \(m.stage) \(m.reason) \(m.detail) \(m.paramsFingerprint) \(m.runId) \(m.createdAt)\n"
            }
            for (set, v) in try store.verifications(responseId: id) {
                out += "verdict \(id) \(set) \(v.verdict) \(v.extracted ?? "-") \(v.rule ?? "-") \(v.reason) \(v.verifier) \(v.paramsFingerprint)\n"
            }
        }
        out += "counts \(try store.curationCounts(setName: "s", excludingStages: []).sorted { $0.key < $1.key })\n"
        out += "totals \(try store.curationTotals(setName: "s", excludingStages: []))\n"
        out += "wrong \(try store.responseIds(setName: "s", verdict: "wrong").sorted())\n"
        return out
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func oldVerdictsAndMarksSurviveTheMigration() async throws {
        let twin = try await TwinHarvest()
        defer { twin.cleanup() }
        let before = try Self.snapshot(twin, twin.postgres)
        #expect(before.contains("mark ") && before.contains(" verify ") && before.contains("verdict "), "\(before)")
        try Self.downgrade(twin.database.url)
        let c = try PostgresConnection(url: PostgresURL(twin.database.url))
        let oldMarks = try c.execute("SELECT count(*) FROM curation_marks WHERE stage = 'verify'").int(0, 0)
        #expect(oldMarks > 0)

        let reopened = try PostgresStore(url: twin.database.url)
        defer { reopened.close() }
        let after = try Self.snapshot(twin, reopened)
        #expect(after == before, "every verdict (set, run id) kept, every verify mark now read from the verdicts")
        #expect(try c.execute("SELECT count(*) FROM curation_marks WHERE stage = 'verify'").int(0, 0) == 0)
        #expect(try c.execute("SELECT count(*) FROM verifications WHERE run_id IS NULL AND verdict IN ('wrong', 'no_answer')").int(0, 0) == 0,
                "the marks' run ids came from the old marks")
        #expect(try c.execute("SELECT value FROM meta WHERE key = 'schema_version'").text(0, 0) == String(PostgresMigrations.latestVersion))
    }
}
