import Foundation
import Testing
@testable import SQLiteStore

/// The migration that rebuilds `verifications` without its foreign key and verdict index keeps every row.
@Suite struct LeanVerificationsMigrationTests {
    @Test func verdictsSurviveTheRebuild() throws {
        let dir = TempDir()
        let before = try #require(Migrations.all.firstIndex(of: Migrations.v9VerificationsLean))
        do {
            let raw = try SQLiteDatabase(path: dir.db, mode: .readWriteCreate)
            for migration in Migrations.all[..<before] { try raw.execute(migration) }
            try raw.execute("""
                DELETE FROM meta WHERE key = 'rekey_prompt_identity';
                INSERT INTO prompt_sets(id, name, created_at) VALUES(1, 's', 0);
                INSERT INTO verifications VALUES('s', 7, 'wrong', '3/4', 'boxed', '0.75 differs from the reference 0.5', 'math', 'f', 1.5);
                INSERT INTO verifications VALUES('s', 9, 'no_answer', NULL, NULL, 'no final answer outside the reasoning', 'math', 'f', 2);
                PRAGMA user_version = \(before);
                """)
        }
        try SQLiteStore(path: dir.db).close()
        let db = try SQLiteDatabase(path: dir.db, mode: .readOnly)
        #expect(try Fixtures.scalar(dir.db, "PRAGMA user_version") == Int64(Migrations.latestVersion))
        let rows = try db.with("SELECT response_id, verdict, extracted, rule, reason, created_at FROM verifications ORDER BY 1") { s in
            var out: [String] = []
            while try s.step() { out.append("\(s.int64(0)) \(s.string(1)) \(s.optionalString(2) ?? "-") \(s.optionalString(3) ?? "-") \(s.string(4)) \(s.double(5))") }
            return out
        }
        #expect(rows == ["7 wrong 3/4 boxed 0.75 differs from the reference 0.5 1.5",
                         "9 no_answer - - no final answer outside the reasoning 2.0"])
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM pragma_foreign_key_list('verifications')") == 0)
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'verifications_verdict'") == 0)
        #expect(throws: SQLiteError.self, "the verdict check stays") {
            let rw = try SQLiteDatabase(path: dir.db, mode: .readWrite)
            try rw.execute("INSERT INTO verifications(response_id, set_id, verdict, reason, verifier, created_at) VALUES(10, 1, 'maybe', 'r', 'math', 3)")
        }
    }
}
