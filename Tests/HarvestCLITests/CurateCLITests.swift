import Foundation
import HarvestJSON
import Testing

/// `harvest curate`, `stats` and `inspect` on the built binary, over a store harvested from the built-in mock.
@Suite(.serialized) struct CurateCLITests {
    /// A database with set "demo" (4 prompts × 2 samples, top-2 logprobs) harvested from the built-in mock.
    func harvested() async throws -> (dir: URL, db: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-curate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data((0..<4).map { "{\"id\":\"q\($0)\",\"prompt\":\"tell me about topic \($0)\"}\n" }.joined().utf8).write(to: prompts)
        #expect(try await CLIRunner.run(["import", prompts.path, "--set", "demo", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "demo", "--run", "--samples", "2", "--logprobs", "2", "--db", db])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        return (dir, db)
    }

    func stats(_ db: String) async throws -> JSONValue {
        let r = try await CLIRunner.run(["stats", "--set", "demo", "--json", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONValue.parse(r.stdout)
    }

    @Test func curatePrintsATableAndStatsCountsTheDrops() async throws {
        let (dir, db) = try await harvested()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dry = try await CLIRunner.run(["curate", "--set", "demo", "--max-chars", "5", "--dry-run", "--db", db])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("dry run: nothing was written"))
        #expect(try await stats(db)["dropped"]?.intValue == 0)
        let r = try await CLIRunner.run(["curate", "--set", "demo", "--max-chars", "5", "--db", db])
        #expect(r.status == 0)
        #expect(r.stdout.contains("filter.length"))
        #expect(r.stdout.contains("kept 0, dropped 8"))
        let s = try await stats(db)
        for key in ["set", "prompts", "responses", "kept", "dropped", "completion_tokens", "mean_logprob", "with_logprobs", "finish_reasons", "drop_reasons"] {
            #expect(s[key] != nil, "stats --json has \(key)")
        }
        #expect(s["prompts"]?.intValue == 4 && s["responses"]?.intValue == 8)
        #expect(s["drop_reasons"]?["filter.length"]?.intValue == 8)
        #expect(s["mean_logprob"]?.doubleValue != nil)
        #expect(s["completion_tokens"]?["p95"]?.intValue != nil)
        let again = try await CLIRunner.run(["curate", "--set", "demo", "--max-chars", "5", "--json", "--db", db])
        let j = try JSONValue.parse(again.stdout)
        #expect(j["examined"]?.intValue == 0 && j["new_marks"]?.objectValue?.isEmpty == true)
        let unknown = try await CLIRunner.run(["curate", "--set", "nope", "--db", db])
        #expect(unknown.status == 6)
        let export = try await CLIRunner.run(["export", "--set", "demo", "-o", dir.appendingPathComponent("o.jsonl").path, "--db", db])
        #expect(export.stderr.contains("exported 0 rows"))
        let all = try await CLIRunner.run(["export", "--set", "demo", "--include-dropped", "-o", dir.appendingPathComponent("a.jsonl").path, "--db", db])
        #expect(all.stderr.contains("exported 8 rows"))
    }

    @Test func malformedEvalFileExits4NamingTheLineAndMarksNothing() async throws {
        let (dir, db) = try await harvested()
        defer { try? FileManager.default.removeItem(at: dir) }
        let evals = dir.appendingPathComponent("evals.jsonl")
        try Data("{\"question\":\"fine question here\"}\n{\"question\": 7}\n".utf8).write(to: evals)
        let before = try await stats(db)
        let r = try await CLIRunner.run(["curate", "--set", "demo", "--decontaminate", evals.path, "--db", db])
        #expect(r.status == 4)
        #expect(r.stderr.contains("evals.jsonl:2"), "\(r.stderr)")
        #expect(try await stats(db) == before)
        let regex = try await CLIRunner.run(["curate", "--set", "demo", "--must-match", "([a-z", "--db", db])
        #expect(regex.status == 4)
        #expect(regex.stderr.contains("([a-z"))
        #expect(try await stats(db) == before)
    }

    @Test func inspectShowsPromptLogprobsAndMarks() async throws {
        let (dir, db) = try await harvested()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await CLIRunner.run(["curate", "--set", "demo", "--max-chars", "5", "--db", db]).status == 0)
        let r = try await CLIRunner.run(["inspect", "1", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        for part in ["== prompt", "tell me about topic", "== answer", "== usage", "== logprobs", "top alternatives", "dropped by filter.length"] {
            #expect(r.stdout.contains(part), "inspect shows \(part)")
        }
        let j = try JSONValue.parse(try await CLIRunner.run(["inspect", "1", "--json", "--db", db]).stdout)
        #expect(j["kept"]?.boolValue == false)
        #expect(j["marks"]?.arrayValue?.first?["stage"]?.stringValue == "filter.length")
        #expect(j["logprobs"]?.arrayValue?.first?["top"]?.arrayValue?.count == 2)
        #expect(try await CLIRunner.run(["inspect", "999", "--db", db]).status == 6)
    }
}
