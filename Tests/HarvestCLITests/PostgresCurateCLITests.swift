#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestJSON
import PostgresStore
import Testing

/// `harvest curate` on PostgreSQL through the real binary, over a set harvested from the built-in mock: dry run,
/// filters, a re-run that judges nothing new, changed parameters replacing a stage's marks, `verify` and the pass-rate
/// stage, and exports (filtered, `--include-dropped`, `--samples best`) that follow the marks.
@Suite(.serialized, .enabled(if: PostgresScratch.available, PostgresScratch.skipNote))
struct PostgresCurateCLITests {
    @Test func curateMarksVerifiesAndReplacesOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-pgcurate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data("""
            {"id":"q0","prompt":"give me json about topic 0","verifier":"json"}
            {"id":"q1","prompt":"give me json about topic 1","verifier":"json"}
            {"id":"q2","prompt":"tell me about topic 2","answer":"42","verifier":"none"}
            {"id":"q3","prompt":"tell me about topic 3"}

            """.utf8).write(to: prompts)
        let db = pg.url
        #expect(try await CLIRunner.run(["import", prompts.path, "--set", "demo", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "demo", "--run", "--samples", "2", "--logprobs", "2", "--db", db])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        func curate(_ args: [String]) async throws -> JSONValue {
            let r = try await CLIRunner.run(["curate", "--set", "demo", "--no-exact", "--no-near", "--json", "--db", db] + args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try JSONValue.parse(r.stdout)
        }
        func exported(_ args: [String]) async throws -> String {
            let out = dir.appendingPathComponent("o-\(UUID().uuidString).jsonl").path
            let r = try await CLIRunner.run(["export", "--set", "demo", "--format", "raw", "-o", out, "--db", db] + args)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stderr
        }

        let dry = try await CLIRunner.run(["curate", "--set", "demo", "--max-chars", "5", "--dry-run", "--db", db])
        #expect(dry.status == 0 && dry.stdout.contains("dry run: nothing was written") && dry.stdout.contains("kept 0, dropped 8"), "\(dry.stdout)")
        #expect(try await exported([]).contains("exported 8 rows"), "a dry run marks nothing")

        let first = try await curate(["--max-chars", "5"])
        #expect(first["new_marks"]?["filter.length"]?.intValue == 8 && first["dropped"]?.intValue == 8, "\(first)")
        let again = try await curate(["--max-chars", "5"])
        #expect(again["examined"]?.intValue == 0 && again["new_marks"]?.objectValue?.isEmpty == true, "\(again)")
        #expect(try await exported([]).contains("exported 0 rows"))
        #expect(try await exported(["--include-dropped"]).contains("exported 8 rows"))
        let changed = try await curate(["--max-chars", "100000"])
        #expect(changed["removed_marks"]?["filter.length"]?.intValue == 8 && changed["dropped"]?.intValue == 0, "\(changed)")
        #expect(changed["examined"]?.intValue == 8)

        // verify: q0/q1's prose answers are not JSON (wrong), q2/q3's cannot be judged; the length stage is left out.
        let verified = try await curate(["--verify"])
        #expect(verified["curation"]?["marks_by_stage"]?["filter.length"] == nil, "\(verified)")
        #expect(verified["verify"]?["examined"]?.intValue == 8 && verified["verify"]?["new_verdicts"]?["wrong"]?.intValue == 4
                && verified["verify"]?["new_verdicts"]?["unverifiable"]?.intValue == 4, "\(verified)")
        #expect(try await exported([]).contains("exported 4 rows"), "the wrong answers are left out")
        #expect(try await exported(["--samples", "first"]).contains("exported 2 rows"), "one answer per prompt still kept")
        #expect(try await exported(["--samples", "best"]).contains("exported 0 rows"), "best takes correct samples: none here")
        let stats = try JSONValue.parse(try await CLIRunner.run(["stats", "--set", "demo", "--json", "--db", db]).stdout)
        #expect(stats["verification"]?["all"]?["wrong"]?.intValue == 4 && stats["dropped"]?.intValue == 4, "\(stats)")

        let band = try await curate(["--verify", "--min-pass-rate", "0.5"])
        #expect(band["verify"]?["examined"]?.intValue == 0, "nothing new to judge: \(band)")
        #expect(band["pass_rate"]?["marked"]?.intValue == 8 && band["pass_rate"]?["prompts_without_verdicts"]?.intValue == 2, "\(band)")
        let bandAgain = try await curate(["--verify", "--min-pass-rate", "0.5"])
        #expect(bandAgain["pass_rate"]?["new_marks"]?.intValue == 0 && bandAgain["pass_rate"]?["marked"]?.intValue == 8, "\(bandAgain)")
        #expect(try await exported([]).contains("exported 0 rows"))
        let unknown = try await CLIRunner.run(["curate", "--set", "nope", "--db", db])
        #expect(unknown.status == 6 && unknown.stderr.contains("nope"), "\(unknown.stderr)")
    }

    /// `kill -9` in the middle of `harvest curate` on PostgreSQL, then the same command: it goes on after the last
    /// page that committed (it does not start over) and ends exactly where an uninterrupted run ends (the dry run's
    /// counts: every duplicate marked once, one answer kept per prompt); a third run judges nothing.
    @Test func killNineMidCurateThenTheSameCommandFinishesOnPostgres() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-pgcurate-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 6,000 prompts × 4 samples: 12 pages of 2,000 answers, several seconds of curation in a debug build, so the
        // kill lands mid-run even when this test is starved between its polls. The mock answers a prompt the same way
        // every time: three of its four answers are exact duplicates, often on another page than the one kept.
        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data((0..<6_000).map { "{\"id\":\"q\($0)\",\"prompt\":\"tell me about topic \($0) please\"}\n" }.joined().utf8)
            .write(to: prompts)
        let db = pg.url
        #expect(try await CLIRunner.run(["import", prompts.path, "--set", "big", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "big", "--run", "--samples", "4", "--db", db])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let dry = try JSONValue.parse(try await CLIRunner.run(["curate", "--set", "big", "--dry-run", "--json", "--db", db]).stdout)
        let expectedDropped = try #require(dry["dropped"]?.intValue)
        #expect(expectedDropped == 18_000 && dry["kept"]?.intValue == 6_000, "\(dry)")

        let connection = try PostgresConnection(url: PostgresURL(db))
        func marks() throws -> Int { try connection.execute("SELECT count(*) FROM curation_marks").int(0, 0) }
        let first = try SweepProcess(["curate", "--set", "big", "--db", db], directory: dir, name: "curate")
        defer { first.stop() }
        let deadline = Date().addingTimeInterval(120)
        while first.process.isRunning, try marks() == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        kill(first.process.processIdentifier, SIGKILL)
        _ = await first.waitForExit(seconds: 30)
        #expect(first.process.terminationReason == .uncaughtSignal && first.process.terminationStatus == SIGKILL,
                "killed mid-run, not finished: \(first.log)")
        let atKill = try marks()
        #expect(atKill > 0 && atKill < expectedDropped, "some pages committed, not all: \(atKill) of \(expectedDropped)")

        let again = try await CLIRunner.run(["curate", "--set", "big", "--json", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let resumed = try JSONValue.parse(again.stdout)
        let examined = try #require(resumed["examined"]?.intValue)
        #expect(examined > 0 && examined < 24_000, "went on after the committed pages: examined \(examined)")
        print("curate kill -9 on PostgreSQL: \(atKill) of \(expectedDropped) marks committed at the kill; the re-run examined \(examined) of 24000")
        #expect(resumed["dropped"]?.intValue == expectedDropped && resumed["kept"]?.intValue == 6_000, "\(resumed)")
        #expect(resumed["marks_by_stage"] == dry["marks_by_stage"], "\(resumed) vs the dry run \(dry)")
        #expect(try marks() == expectedDropped)
        let keptPerPrompt = try connection.execute("""
            SELECT count(DISTINCT j.prompt_id) FROM responses r JOIN jobs j ON j.id = r.job_id
            WHERE NOT EXISTS (SELECT 1 FROM curation_marks m WHERE m.response_id = r.id)
            """).int(0, 0)
        #expect(keptPerPrompt == 6_000, "one answer kept per prompt")
        let third = try JSONValue.parse(try await CLIRunner.run(["curate", "--set", "big", "--json", "--db", db]).stdout)
        #expect(third["examined"]?.intValue == 0 && third["dropped"]?.intValue == expectedDropped, "\(third)")
    }
}
