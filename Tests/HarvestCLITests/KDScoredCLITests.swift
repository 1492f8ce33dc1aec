import Foundation
import Testing

/// `harvest export --format kd` of a scored set through the binary: answers sampled from the built-in mock, scored with
/// vLLM-style chat `prompt_logprobs`, exported from their answer's positions; `--server sglang` refuses
/// `prompt-logprobs` before anything is sent.
@Suite(.serialized) struct KDScoredCLITests {
    @Test func aScoredSetIsExportedFromItsAnswersPositions() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-kd-scored-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = dir.appendingPathComponent("p.jsonl").path
        try Data((0..<10).map { "{\"id\":\"q\($0)\",\"prompt\":\"Tell me about \($0).\"}\n" }.joined().utf8).write(to: URL(fileURLWithPath: prompts))
        #expect(try await CLIRunner.run(["import", prompts, "--set", "qa", "--db", db]).status == 0)
        let sampled = try await CLIRunner.run(["sweep", "qa", "--run", "--max-tokens", "12", "--logprobs", "2", "--db", db])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let refused = try await CLIRunner.run(["score", "qa", "--into", "qa.scored", "--run", "--score", "prompt-logprobs", "--logprobs", "3",
                                               "--server", "sglang", "--db", db])
        #expect(refused.status == 4 && refused.stderr.contains("--score") && refused.stderr.contains("SGLang"), "\(refused.stderr)")
        let scored = try await CLIRunner.run(["score", "qa", "--into", "qa.scored", "--run", "--score", "prompt-logprobs", "--logprobs", "3", "--db", db])
        #expect(scored.status == 0, "\(scored.stderr)")
        let out = dir.appendingPathComponent("kd.jsonl").path
        let export = try await CLIRunner.run(["export", "--set", "qa.scored", "--format", "kd", "--kd-closing-ids", "none",
                                              "--kd-temperature", "1.0", "-o", out, "--db", db])
        #expect(export.status == 0, "\(export.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".manifest.json"))) as? [String: Any]
        let rows = manifest?["rows"] as? Int ?? -1
        let skipped = manifest?["skipped"] as? [String: Int] ?? [:]
        // The mock's greedy tokenizer may merge an answer's first piece with the template's newline: such rows are
        // refused as scored_unaligned, never written shifted.
        #expect(rows > 0 && rows + (skipped["scored_unaligned"] ?? 0) == 10 && skipped.keys.allSatisfy { $0 == "scored_unaligned" },
                "rows \(rows), skipped \(skipped)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == rows)
        for line in lines {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let messages = try #require(row["messages"] as? [[String: Any]])
            let ids = try #require(row["target_token_ids"] as? [[Int]])
            let lps = try #require(row["logprobs"] as? [[Double]])
            #expect(messages.last?["role"] as? String == "assistant" && messages.count == 2)
            #expect(!ids.isEmpty && ids.count == lps.count && zip(ids, lps).allSatisfy { $0.count == $1.count })
            #expect(row["temperature"] as? Double == 1.0)
        }
    }
}
