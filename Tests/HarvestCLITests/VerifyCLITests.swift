import Foundation
import HarvestJSON
import Testing

/// `import` with references, `curate --verify`, `stats`, `inspect` and `export` selections on the built binary,
/// over a store harvested from the built-in mock (whose prose answers are not JSON).
@Suite(.serialized) struct VerifyCLITests {
    @Test func verifyMarksWrongAnswersAndExportsFollowTheVerdicts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let bad = dir.appendingPathComponent("bad.jsonl")
        try Data("{\"id\":\"a\",\"prompt\":\"x\"}\n{\"id\":\"b\",\"prompt\":\"y\",\"verifier\":\"maths\"}\n".utf8).write(to: bad)
        let refused = try await CLIRunner.run(["import", bad.path, "--set", "demo", "--db", db])
        #expect(refused.status == 4 && refused.stderr.contains(":2") && refused.stderr.contains("verifier"), "\(refused.stderr)")

        let prompts = dir.appendingPathComponent("p.jsonl")
        try Data("""
            {"id":"q0","prompt":"give me json about topic 0","verifier":"json"}
            {"id":"q1","prompt":"give me json about topic 1","verifier":"json"}
            {"id":"q2","prompt":"tell me about topic 2","answer":"42","verifier":"none"}
            {"id":"q3","prompt":"tell me about topic 3"}

            """.utf8).write(to: prompts)
        #expect(try await CLIRunner.run(["import", prompts.path, "--set", "demo", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "demo", "--run", "--samples", "2", "--db", db])
        #expect(sweep.status == 0, "\(sweep.stderr)")

        let r = try await CLIRunner.run(["curate", "--set", "demo", "--no-exact", "--no-near", "--verify", "--json", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONValue.parse(r.stdout)
        #expect(j["verify"]?["examined"]?.intValue == 8)
        #expect(j["verify"]?["new_verdicts"]?["wrong"]?.intValue == 4)
        #expect(j["verify"]?["new_verdicts"]?["unverifiable"]?.intValue == 4)
        let needsVerify = try await CLIRunner.run(["curate", "--set", "demo", "--min-pass-rate", "0.5", "--db", db])
        #expect(needsVerify.status == 64 && needsVerify.stderr.contains("needs --verify"), "\(needsVerify.stderr)")
        // q0, q1: 0 of 2 judged correct (below 0.5); q2, q3: no judged answer (pass rate unknown): all 8 marked.
        let band = try await CLIRunner.run(["curate", "--set", "demo", "--no-exact", "--no-near", "--verify", "--min-pass-rate", "0.5",
                                            "--json", "--db", db])
        #expect(band.status == 0, "\(band.stderr)")
        let p = try JSONValue.parse(band.stdout)["pass_rate"]
        #expect(p?["marked"]?.intValue == 8 && p?["prompts_outside"]?.intValue == 4 && p?["prompts_without_verdicts"]?.intValue == 2)
        let zero = try await CLIRunner.run(["curate", "--set", "demo", "--no-exact", "--no-near", "--verify", "--max-pass-rate", "0", "--db", db])
        #expect(zero.stdout.contains("filter.pass_rate [0, 0]: 2 prompts outside") && zero.stdout.contains("4 removed"), "\(zero.stdout)")
        var unknown = 0
        for id in 1...8 where try await CLIRunner.run(["inspect", "\(id)", "--json", "--db", db]).stdout.contains("pass rate unknown") { unknown += 1 }
        #expect(unknown == 4, "q2/q3's answers carry the reason")
        let plain = try await CLIRunner.run(["curate", "--set", "demo", "--no-exact", "--no-near", "--verify", "--json", "--db", db])
        #expect(try JSONValue.parse(plain.stdout)["curation"]?["removed_marks"]?["filter.pass_rate"]?.intValue == 4)

        let stats = try JSONValue.parse(try await CLIRunner.run(["stats", "--set", "demo", "--json", "--db", db]).stdout)
        #expect(stats["verification"]?["all"]?["wrong"]?.intValue == 4)
        #expect(stats["verification"]?["by_sample"]?["1"]?["unverifiable"]?.intValue == 2)
        let text = try await CLIRunner.run(["stats", "--set", "demo", "--db", db])
        #expect(text.stdout.contains("verification (accuracy"))

        let out = dir.appendingPathComponent("o.jsonl").path
        let kept = try await CLIRunner.run(["export", "--set", "demo", "--format", "raw", "-o", out, "--db", db])
        #expect(kept.stderr.contains("exported 4 rows"), "wrong answers are marked: \(kept.stderr)")
        let best = try await CLIRunner.run(["export", "--set", "demo", "--samples", "best", "--best-by", "shortest", "-o", out, "--db", db])
        #expect(best.stderr.contains("exported 0 rows"), "no prompt has a correct sample: \(best.stderr)")
        let noSet = try await CLIRunner.run(["export", "--min-pass-rate", "0.5", "-o", out, "--db", db])
        #expect(noSet.status == 64 && noSet.stderr.contains("needs --set"))
        let inspect = try await CLIRunner.run(["inspect", "1", "--json", "--db", db])
        #expect(try JSONValue.parse(inspect.stdout)["verification"]?.arrayValue?.count == 1)
    }
}
