import Foundation
import HarvestCore
import PostgresStore
import Testing

/// `harvest score` and `harvest rescue import` on PostgreSQL through the real binary, and the commands that stay
/// SQLite's (`backup`, `demo`) refusing a PostgreSQL URL with what to do instead.
@Suite(.serialized) struct PostgresScoreCLITests {
    static func tempDir(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-pgscore-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The same prompts harvested and scored against the built-in mock teacher on SQLite and on PostgreSQL: with
    /// `echo` the scoring set is built and scored once (a second run adds and sends nothing), with `prompt-logprobs`
    /// into a second set; both scored sets export the same rows from both backends (`kd` for the one with token
    /// ids), compared as sets: a retried request under load can change the answer order of one harvest.
    @Test(.enabled(if: PostgresScratch.available, PostgresScratch.skipNote))
    func scoreIntoAndRunOnPostgresExportsWhatSQLiteExports() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let dir = try Self.tempDir("score")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompts = dir.appendingPathComponent("p.jsonl").path
        try Data((0..<8).map { "{\"id\":\"q\($0)\",\"prompt\":\"What is \($0) + \($0)?\"}\n" }.joined().utf8).write(to: URL(fileURLWithPath: prompts))
        let sqlite = dir.appendingPathComponent("h.sqlite").path
        var echoed: [[Substring]] = [], kd: [[Substring]] = []
        for db in [sqlite, pg.url] {
            let imported = try await CLIRunner.run(["import", prompts, "--set", "qa", "--db", db])
            #expect(imported.status == 0, "\(db): \(imported.stderr)")
            let sampled = try await CLIRunner.run(["sweep", "qa", "--run", "--endpoint", "completions", "--max-tokens", "8", "--logprobs", "2",
                                                   "--max-in-flight", "1", "--db", db])
            #expect(sampled.status == 0, "\(db): \(sampled.stderr)")
            // Echo (completions): the set is built and scored once; a second run adds and sends nothing.
            let args = ["score", "qa", "--into", "qa.scored", "--run", "--score", "echo", "--logprobs", "5", "--endpoint", "completions",
                        "--max-in-flight", "2", "--db", db]
            let first = try await CLIRunner.run(args)
            #expect(first.status == 0 && first.stderr.contains("8 sequences added") && first.stderr.contains("8 jobs (8 new"), "\(db): \(first.stderr)")
            let again = try await CLIRunner.run(args)
            #expect(again.status == 0 && again.stderr.contains("0 sequences added, 8 already there")
                    && again.stderr.contains("8 jobs (0 new, 8 already done"), "\(db): \(again.stderr)")
            // The mock's echo positions carry no token ids (kd refuses such rows): compare them in the openai format.
            let echo = try await CLIRunner.run(["export", "--set", "qa.scored", "--format", "openai", "--with-logprobs", "-o", "-", "--db", db])
            #expect(echo.status == 0, "\(db): \(echo.stderr)")
            echoed.append(echo.stdout.split(separator: "\n").sorted())
            // prompt-logprobs (chat) into a second set: positions with token ids, which is what kd exports.
            let scored = try await CLIRunner.run(["score", "qa", "--into", "qa.pl", "--run", "--score", "prompt-logprobs", "--logprobs", "3",
                                                  "--max-in-flight", "2", "--db", db])
            #expect(scored.status == 0 && scored.stderr.contains("8 sequences added"), "\(db): \(scored.stderr)")
            let export = try await CLIRunner.run(["export", "--set", "qa.pl", "--format", "kd", "--kd-closing-ids", "none", "-o", "-", "--db", db])
            #expect(export.status == 0, "\(db): \(export.stderr)")
            kd.append(export.stdout.split(separator: "\n").sorted())
        }
        #expect(echoed[0].count == 8 && echoed[0].allSatisfy { $0.contains("\"logprobs\"") }, "\(echoed[0].prefix(1))")
        #expect(echoed[0] == echoed[1], "the echo-scored set exports the same rows on both backends")
        #expect(!kd[0].isEmpty && kd[0].allSatisfy { $0.contains("\"target_token_ids\"") }, "\(kd[0].prefix(1))")
        #expect(kd[0] == kd[1], "the scored set's kd rows are the same on both backends")
        let unknown = try await CLIRunner.run(["score", "nope", "--into", "nope.scored", "--db", pg.url])
        #expect(unknown.status == 6 && unknown.stderr.contains("nope"), "\(unknown.stderr)")
    }

    /// `harvest rescue import` on PostgreSQL: the default file (working directory) is stored once and moved aside;
    /// the same lines again store nothing twice.
    @Test(.enabled(if: PostgresScratch.available, PostgresScratch.skipNote))
    func rescueImportOnPostgresStoresEachAnswerOnce() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        let dir = try Self.tempDir("rescue")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Jobs in flight (claimed) whose answers were paid for but not stored: the rescue file's situation.
        let keys: [[UInt8]]
        do {
            let store = try PostgresStore(url: pg.url)
            defer { store.close() }
            let prompts = (0..<5).map { i in
                PromptInput(externalId: "r\(i)", messages: [ChatMessage(role: "user", content: "rescue me \(i)")], source: InputLocation(file: "gen", line: i + 1))
            }
            _ = try await store.importPrompts(setName: "r", prompts: prompts, sourceName: "gen")
            let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m")
            let sweep = try await store.createSweep(name: "r", setName: "r", teacher: teacher, params: SamplingParams(maxTokens: 8), samples: 1)
            keys = try await store.claimJobs(sweepId: sweep.sweepId, owner: "gone", limit: 5, leaseSeconds: 600).prefix(3).map(\.key)
        }
        #expect(keys.count == 3)
        let lines = keys.enumerated().map { i, key in
            #"{"format":"harvest-rescue/1","job_key":"\#(key.map { String(format: "%02x", $0) }.joined())","content":"rescued answer \#(i)","#
                + #""finish_reason":"stop","received_at":1796000000.5,"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}"#
        }.joined(separator: "\n") + "\n"
        let file = dir.appendingPathComponent("harvest-rescue.jsonl")
        try Data(lines.utf8).write(to: file)

        let first = try await CLIRunner.run(["rescue", "import", "--db", pg.url], cwd: dir)
        #expect(first.status == 0 && first.stderr.contains("3 answers read, 3 stored, 0 already stored"), "\(first.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file.path), "the imported file is moved aside")
        try Data(lines.utf8).write(to: file)
        let second = try await CLIRunner.run(["rescue", "import", file.path, "--db", pg.url])
        #expect(second.status == 0 && second.stderr.contains("3 answers read, 0 stored, 3 already stored"), "\(second.stderr)")
        let nothing = try await CLIRunner.run(["rescue", "import", "--db", pg.url], cwd: dir)
        #expect(nothing.status == 0 && nothing.stderr.contains("nothing to import"), "\(nothing.stderr)")
        let raw = try await CLIRunner.run(["export", "--set", "r", "--format", "raw", "-o", "-", "--db", pg.url])
        let rows = raw.stdout.split(separator: "\n")
        #expect(raw.status == 0 && rows.count == 3 && rows.allSatisfy { $0.contains("rescued answer ") }, "\(raw.stderr) \(raw.stdout)")
        // A line that is not a rescued answer: exit 4, nothing stored, the file kept.
        let bad = dir.appendingPathComponent("bad.jsonl")
        try Data("{\"format\":\"harvest-rescue/1\",\"content\":\"x\"}\n{}\n".utf8).write(to: bad)
        let refused = try await CLIRunner.run(["rescue", "import", bad.path, "--db", pg.url])
        #expect(refused.status == 4 && refused.stderr.contains("bad.jsonl") && refused.stderr.contains("job_key"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: bad.path))
    }

    /// `backup` and `demo` are the embedded database's: a PostgreSQL URL is refused before anything is opened or
    /// written (exit 4), saying what to do instead. No server is needed.
    @Test func backupAndDemoRefusePostgresAndSayWhatToDoInstead() async throws {
        let dir = try Self.tempDir("refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = "postgres://harvest@db.invalid:5432/harvest"
        let backup = try await CLIRunner.run(["backup", "copy.sqlite", "--db", url], cwd: dir)
        #expect(backup.status == 4, "\(backup.stderr)")
        #expect(backup.stderr.contains("harvest backup") && backup.stderr.contains(url) && backup.stderr.contains("pg_dump")
                && backup.stderr.contains("pg_basebackup") && backup.stderr.contains("harvest db copy --from URL --to FILE.sqlite"), "\(backup.stderr)")
        let demo = try await CLIRunner.run(["demo", "--db", url], cwd: dir)
        #expect(demo.status == 4, "\(demo.stderr)")
        #expect(demo.stderr.contains("harvest demo") && demo.stderr.contains("embedded quick start") && demo.stderr.contains("harvest sweep SET --run"),
                "\(demo.stderr)")
        let viaEnvironment = try await CLIRunner.run(["backup", "copy.sqlite"], cwd: dir, environment: ["HARVEST_DB": url])
        #expect(viaEnvironment.status == 4 && viaEnvironment.stderr.contains("pg_dump"), "\(viaEnvironment.stderr)")
        // Nothing was written: no copy, no export, no SQLite file named after the URL.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
