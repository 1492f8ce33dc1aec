import Foundation
import HarvestKit
import SQLiteStore
import Testing

/// A database written before verdicts became the `verify` marks (verdicts by set name with a fingerprint per row,
/// and a `curation_marks` row per `wrong`/`no_answer` answer) opens with every verdict and mark as it was, and a
/// re-run of the stage judges nothing.
@Suite(.serialized) struct VerdictsAsMarksMigrationTests {
    /// Turns a current database back into the layout before the migration: the old `verifications` table (set name,
    /// fingerprint per row) and a `verify` mark row per dropped verdict, at the schema version before it.
    static func downgrade(_ path: String) throws {
        let version = try #require(Migrations.all.firstIndex { $0.contains("CREATE TABLE verifications_marks") })
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        try db.execute("""
            BEGIN;
            CREATE TABLE old_verifications(
              set_name TEXT NOT NULL, response_id INTEGER NOT NULL,
              verdict TEXT NOT NULL CHECK(verdict IN ('correct', 'wrong', 'unverifiable', 'no_answer')),
              extracted TEXT, rule TEXT, reason TEXT NOT NULL, verifier TEXT NOT NULL, params_fingerprint TEXT NOT NULL,
              created_at REAL NOT NULL, PRIMARY KEY(set_name, response_id)) WITHOUT ROWID;
            INSERT INTO old_verifications SELECT s.name, v.response_id, v.verdict, v.extracted, v.rule, v.reason, v.verifier,
              cp.params_fingerprint, v.created_at FROM verifications v JOIN prompt_sets s ON s.id = v.set_id
              JOIN curation_progress cp ON cp.set_name = s.name AND cp.stage = 'verify';
            INSERT INTO curation_marks(response_id, stage, reason, detail, params_fingerprint, run_id, created_at)
              SELECT response_id, 'verify', CASE verdict WHEN 'wrong' THEN 'wrong final answer' ELSE 'no final answer' END,
              json_object('verdict', verdict, 'extracted', extracted, 'rule', rule, 'verifier', verifier, 'reason', reason),
              params_fingerprint, (SELECT max(id) FROM curation_runs), created_at FROM old_verifications WHERE verdict IN ('wrong', 'no_answer');
            DROP TABLE verifications;
            ALTER TABLE old_verifications RENAME TO verifications;
            PRAGMA user_version = \(version);
            COMMIT;
            """)
    }

    @Test func oldVerdictsAndMarksSurviveAndAReRunJudgesNothing() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (store, _) = try await VerifyPipelineTests.store(dir, "old.sqlite")
        let first = try AnswerVerifierStage(store: store, pageSize: 50).run(setName: "s")
        store.close()
        let before = try VerifyPipelineTests.rows(dir, "old.sqlite")
        try Self.downgrade(dir.path("old.sqlite"))
        let old = try SQLiteDatabase(path: dir.path("old.sqlite"), mode: .readOnly)
        let oldMarks = try old.queryOne("SELECT count(*) FROM curation_marks WHERE stage = 'verify'") { $0.int(0) }
        #expect(oldMarks == (first.newVerdicts["wrong"] ?? 0) + (first.newVerdicts["no_answer"] ?? 0) && oldMarks! > 0)

        let reopened = try SQLiteStore(path: dir.path("old.sqlite"))
        let again = try AnswerVerifierStage(store: reopened, pageSize: 50).run(setName: "s")
        #expect(again.examined == 0 && again.newVerdicts.isEmpty, "the migrated progress still covers every answer")
        reopened.close()
        let after = try VerifyPipelineTests.rows(dir, "old.sqlite")
        #expect(after.verdicts.count == VerifyPipelineTests.prompts * VerifyPipelineTests.samples)
        #expect(after.verdicts == before.verdicts, "every verdict, extracted answer, rule, reason and fingerprint kept")
        #expect(after.marks == before.marks, "every verify mark kept (now read from the verdicts)")
        let db = try SQLiteDatabase(path: dir.path("old.sqlite"), mode: .readOnly)
        #expect(try db.queryOne("SELECT count(*) FROM curation_marks WHERE stage = 'verify'") { $0.int(0) } == 0)
        #expect(try db.queryOne("PRAGMA user_version") { $0.int(0) } == Migrations.latestVersion)
    }
}
