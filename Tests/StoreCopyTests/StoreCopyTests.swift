import Foundation
import PostgresStore
import SQLiteStore
import StoreCopy
import Testing

/// `harvest db copy` between SQLite and PostgreSQL on harvested databases (the built binary and its mock teacher):
/// round trips equal table by table and export by export, interrupted copies resume without duplicates, and targets
/// holding another harvest are refused untouched.
@Suite(.serialized) struct StoreCopyTests {
    @Test(.enabled(if: CopyTestDatabase.available, CopyTestDatabase.skipNote))
    func roundTripThroughPostgresKeepsEveryTableAndTheExport() async throws {
        let f = try HarvestFixture()
        defer { f.remove() }
        let pg = try CopyTestDatabase()
        defer { pg.drop() }
        let original = try await offPool { try f.harvest("a.sqlite") }
        let back = f.path("back.sqlite")

        let there = try await offPool { try HarvestFixture.check(["db", "copy", "--from", original, "--to", pg.url, "--json"]) }
        let report = try JSONSerialization.jsonObject(with: Data(there.utf8)) as? [String: Any]
        #expect(report?["verified"] as? Bool == true, "\(there)")
        let tables = report?["tables"] as? [[String: Any]] ?? []
        let rows = Dictionary(uniqueKeysWithValues: tables.map { ($0["table"] as? String ?? "", $0["target_rows"] as? Int ?? -1) })
        #expect(rows["responses"] == 12 && (rows["verifications"] ?? 0) > 0 && (rows["curation_marks"] ?? 0) > 0, "\(rows)")
        #expect(rows["batches"] == 1 && rows["batch_jobs"] == 2 && rows["job_key_aliases"] == 1 && (rows["sweep_runs"] ?? 0) >= 1)

        let c = try pg.connect()
        // The leased job is pending in the copy; PostgreSQL's own writers continue after the copied ids.
        #expect(try c.execute("SELECT count(*) FROM jobs WHERE state = 'leased' OR lease_owner IS NOT NULL").int(0, 0) == 0)
        let nextPrompt = try c.execute("SELECT nextval(pg_get_serial_sequence('prompts', 'id'))").int64(0, 0)
        #expect(nextPrompt == (try c.execute("SELECT max(id) FROM prompts").int64(0, 0)) + 1)

        let home = try await offPool { try HarvestFixture.run(["db", "copy", "--from", pg.url, "--to", back]) }
        #expect(home.status == 0 && home.stderr.contains("verified"), "\(home.stderr)")

        // Every table equal (leases aside), logprobs decoded bit for bit; SQLite's vocabulary dense again.
        let a = try StoreCopier.digests(of: original)
        let b = try StoreCopier.digests(of: back)
        for (table, d) in a { #expect(b[table]?.rows == d.rows && b[table]?.digest == d.digest, "\(table)") }
        let vocab = try SQLiteDatabase(path: back, mode: .readOnly)
        let (count, maxIdx) = try vocab.queryOne("SELECT count(*), max(idx) + 1 FROM logprob_vocab") { ($0.int(0), $0.int(1)) } ?? (0, 0)
        #expect(count > 0 && count == maxIdx)

        // Byte-identical exports of the original and of the round-tripped file.
        // Curation marks drop most answers from a plain export; --include-dropped writes them all.
        for format in [["--format", "raw", "--with-logprobs", "--include-dropped"], ["--format", "openai", "--include-dropped"], ["--format", "raw"]] {
            let x = f.path("x.jsonl"), y = f.path("y.jsonl")
            _ = try await offPool { try HarvestFixture.check(["export", "--set", "demo"] + format + ["-o", x, "--db", original]) }
            _ = try await offPool { try HarvestFixture.check(["export", "--set", "demo"] + format + ["-o", y, "--db", back]) }
            let ex = try Data(contentsOf: URL(fileURLWithPath: x)), ey = try Data(contentsOf: URL(fileURLWithPath: y))
            #expect(ex == ey, "\(format): \(ex.count) vs \(ey.count) bytes")
            #expect(ex.count > 1000 || !format.contains("--include-dropped"), "\(format): \(ex.count) bytes")
            try? FileManager.default.removeItem(atPath: x)
            try? FileManager.default.removeItem(atPath: y)
        }
        // The copied-back file is a working harvest: its queued run is still there and status reads it.
        let status = try await offPool { try HarvestFixture.run(["status", "--db", back]) }
        #expect(status.status == 0, "\(status.stderr)")
    }

    @Test(.enabled(if: CopyTestDatabase.available, CopyTestDatabase.skipNote))
    func interruptedCopiesResumeWithoutDuplicatesBothWays() async throws {
        let f = try HarvestFixture()
        defer { f.remove() }
        let pg = try CopyTestDatabase()
        defer { pg.drop() }
        let original = try await offPool { try f.harvest("a.sqlite") }
        let url = pg.url

        for stop in [1, 4, 9] {
            let error = await #expect(throws: CopyError.self) {
                try await offPool { try StoreCopier(from: original, to: url, options: CopyOptions(pageRows: 3, stopAfterBatches: stop)).run() }
            }
            guard case .stopped(afterBatches: stop)? = error else {
                Issue.record("expected a stop after \(stop) batches, got \(String(describing: error))")
                return
            }
        }
        let resumed = try await offPool { try StoreCopier(from: original, to: url, options: CopyOptions(pageRows: 3)).run() }
        #expect(resumed.resumed && resumed.verified, "\(resumed.tables.filter { !$0.matches }.map(\.name))")

        // Back to SQLite, killed (-9) mid-copy by the operating system, then run again.
        let back = f.path("back.sqlite")
        let killed = try await offPool { () -> Bool in
            let process = Process()
            process.executableURL = HarvestFixture.binary
            process.arguments = ["db", "copy", "--from", url, "--to", back, "--batch-rows", "1"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait (generously) for the first committed answers, then kill.
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline {
                if let db = try? SQLiteDatabase(path: back, mode: .readOnly),
                   let n = try? db.queryOne("SELECT count(*) FROM responses", read: { $0.int(0) }), n > 0 { break }
                usleep(2000)
            }
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return wasRunning && process.terminationReason == .uncaughtSignal
        }
        let again = try await offPool { try HarvestFixture.run(["db", "copy", "--from", url, "--to", back]) }
        #expect(again.status == 0, "\(again.stderr)")
        if killed { #expect(again.stderr.contains("resumed"), "\(again.stderr)") }
        let a = try StoreCopier.digests(of: original)
        let b = try StoreCopier.digests(of: back)
        for (table, d) in a { #expect(b[table]?.rows == d.rows && b[table]?.digest == d.digest, "\(table)") }
    }

    @Test(.enabled(if: CopyTestDatabase.available, CopyTestDatabase.skipNote))
    func targetsHoldingAnotherHarvestAreRefusedUntouched() async throws {
        let f = try HarvestFixture()
        defer { f.remove() }
        let pg = try CopyTestDatabase()
        defer { pg.drop() }
        let a = try await offPool { try f.harvest("a.sqlite") }
        let other = try await offPool { try f.harvest("other.sqlite", prompts: 3, samples: 1, topic: "another subject") }

        // A SQLite file with another harvest: refused, unchanged.
        let before = try StoreCopier.digests(of: other)
        let onSQLite = try await offPool { try HarvestFixture.run(["db", "copy", "--from", a, "--to", other]) }
        #expect(onSQLite.status == 4 && onSQLite.stderr.contains("not a copy of"), "\(onSQLite.stderr)")
        #expect(try StoreCopier.digests(of: other).mapValues(\.digest) == before.mapValues(\.digest))

        // PostgreSQL holding the other harvest: prompt 1 differs, refused before anything is written.
        _ = try await offPool { try HarvestFixture.check(["db", "copy", "--from", other, "--to", pg.url]) }
        let pgBefore = try StoreCopier.digests(of: pg.url)
        let onPG = try await offPool { try HarvestFixture.run(["db", "copy", "--from", a, "--to", pg.url]) }
        #expect(onPG.status == 4 && onPG.stderr.contains("different harvest") && onPG.stderr.contains("prompts id 1"), "\(onPG.stderr)")
        #expect(try StoreCopier.digests(of: pg.url).mapValues(\.digest) == pgBefore.mapValues(\.digest))

        // Copying a finished copy again is a no-op that verifies.
        let again = try await offPool { try HarvestFixture.run(["db", "copy", "--from", other, "--to", pg.url]) }
        #expect(again.status == 0 && again.stderr.contains("copied 0 rows") && again.stderr.contains("already was a complete copy")
                && again.stderr.contains("verified"), "\(again.stderr)")

        let same = try await offPool { try HarvestFixture.run(["db", "copy", "--from", a, "--to", f.dir.appendingPathComponent("./a.sqlite").path]) }
        #expect(same.status == 4 && same.stderr.contains("same database"), "\(same.stderr)")
        let missing = try await offPool { try HarvestFixture.run(["db", "copy", "--from", f.path("none.sqlite"), "--to", pg.url]) }
        #expect(missing.status == 4 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.path("none.sqlite")))
        let password = try await offPool { try HarvestFixture.run(["db", "copy", "--from", "postgres://u:secret@127.0.0.1/x", "--to", f.path("n.sqlite")]) }
        #expect(password.status == 4 && password.stderr.contains("--from") && !password.stderr.contains("secret"), "\(password.stderr)")
    }
}
