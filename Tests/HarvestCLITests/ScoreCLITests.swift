import Foundation
import Testing

/// `harvest score` and `harvest sweep --score` through the binary, against the built-in mock teacher.
@Suite(.serialized) struct ScoreCLITests {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-score-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func storedAnswersAreScoredOnceAndARerunSendsNothing() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = dir.appendingPathComponent("p.jsonl").path
        try Data((0..<8).map { "{\"id\":\"q\($0)\",\"prompt\":\"What is \($0) + \($0)?\"}\n" }.joined().utf8).write(to: URL(fileURLWithPath: prompts))
        #expect(try await CLIRunner.run(["import", prompts, "--set", "qa", "--db", db]).status == 0)
        let sampled = try await CLIRunner.run(["sweep", "qa", "--run", "--endpoint", "completions", "--max-tokens", "8", "--logprobs", "2", "--db", db])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let scoreArgs = ["score", "qa", "--into", "qa.scored", "--run", "--score", "echo", "--logprobs", "5", "--endpoint", "completions", "--db", db]
        let first = try await CLIRunner.run(scoreArgs)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("8 sequences added") && first.stderr.contains("8 jobs (8 new"))
        let again = try await CLIRunner.run(scoreArgs)
        #expect(again.status == 0 && again.stderr.contains("0 sequences added, 8 already there"))
        #expect(again.stderr.contains("8 jobs (0 new, 8 already done"), "\(again.stderr)")
        let chatEcho = try await CLIRunner.run(["score", "qa", "--into", "qa.scored", "--run", "--score", "echo", "--logprobs", "5", "--db", db])
        #expect(chatEcho.status == 4 && chatEcho.stderr.contains("completions endpoint"), "\(chatEcho.stderr)")
        let notScorable = try await CLIRunner.run(["sweep", "qa", "--run", "--score", "prompt-logprobs", "--logprobs", "2", "--db", db])
        #expect(notScorable.status == 4 && notScorable.stderr.contains("8 prompts do not end with the assistant turn"), "\(notScorable.stderr)")
        let noK = try await CLIRunner.run(["score", "qa", "--into", "qa.scored", "--run", "--score", "prompt-logprobs", "--db", db])
        #expect(noK.status == 4 && noK.stderr.contains("--logprobs K"), "\(noK.stderr)")
    }

    @Test func anSFTFileIsImportedWithSftAndScoredByASweep() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let sft = dir.appendingPathComponent("sft.jsonl").path
        let line = #"{"id":"a","messages":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello there."}]}"#
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: sft))
        let plain = try await CLIRunner.run(["import", sft, "--set", "sft", "--db", db])
        #expect(plain.status == 4 && plain.stderr.contains("sft.jsonl:1") && plain.stderr.contains("messages[1].role"))
        #expect(try await CLIRunner.run(["import", sft, "--set", "sft", "--sft", "--db", db]).status == 0)
        let scored = try await CLIRunner.run(["sweep", "sft", "--run", "--score", "prompt-logprobs", "--logprobs", "3", "--db", db])
        #expect(scored.status == 0, "\(scored.stderr)")
        let inspect = try await CLIRunner.run(["inspect", "1", "--db", db])
        // ChatML rendering of user + assistant: every character of the sequence is a position; the first one unscored.
        #expect(inspect.status == 0 && inspect.stdout.contains("== logprobs (71 tokens)") && inspect.stdout.contains("  0  \"\"  "),
                "the scored positions are stored: \(inspect.stdout.prefix(400))")
    }
}
