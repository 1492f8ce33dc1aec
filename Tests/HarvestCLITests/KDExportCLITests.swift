import Foundation
import Testing

/// `harvest export --format kd` as an operator runs it: the closing ids are required for axolotl's current shape,
/// rows without token ids are refused with a printed count, and `--kd-*` options are checked.
@Suite(.serialized) struct KDExportCLITests {
    func harvested(prompts: Int, tokenIds: Bool) async throws -> (dir: URL, db: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-kd-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("h.sqlite").path
        let input = dir.appendingPathComponent("p.jsonl").path
        let lines = (0..<prompts).map { #"{"id":"q\#($0)","messages":[{"role":"user","content":"kd prompt \#($0)"}]}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: input))
        #expect(try await CLIRunner.run(["import", input, "--set", "t", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "t", "--run", "--max-tokens", "8", "--logprobs", "3", "--db", db]
            + (tokenIds ? ["--token-ids"] : []))
        #expect(sweep.status == 0, "stderr: \(sweep.stderr)")
        return (dir, db)
    }

    @Test func closingIdsRequiredAndRowsWithoutIdsRefusedWithACount() async throws {
        let (dir, db) = try await harvested(prompts: 3, tokenIds: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("kd.jsonl").path
        let missing = try await CLIRunner.run(["export", "--set", "t", "--format", "kd", "-o", out, "--db", db])
        #expect(missing.status != 0 && missing.stderr.contains("--kd-closing-ids"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        for bad in [["--kd-closing-ids", "2,x"], ["--kd-shape", "newest", "--kd-closing-ids", "2"], ["--kd-temperature", "0", "--kd-closing-ids", "2"],
                    ["--kd-shape", "legacy", "--kd-closing-ids", "2"]] {
            let r = try await CLIRunner.run(["export", "--set", "t", "--format", "kd", "-o", out, "--db", db] + bad)
            #expect(r.status != 0, "\(bad): \(r.stderr)")
        }
        let notKD = try await CLIRunner.run(["export", "--set", "t", "--kd-closing-ids", "2", "-o", out, "--db", db])
        #expect(notKD.status != 0 && notKD.stderr.contains("applies to --format kd only"), "\(notKD.stderr)")

        let r = try await CLIRunner.run(["export", "--set", "t", "--format", "kd", "--kd-closing-ids", "none", "-o", out, "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("exported 0 rows") && r.stderr.contains("skipped 3 no_token_ids"), "\(r.stderr)")
        #expect(r.stderr.contains("refused 3 rows without token ids (teachers: "), "\(r.stderr)")
        let manifest = try String(contentsOfFile: out + ".manifest.json", encoding: .utf8)
        #expect(manifest.contains(#""no_token_ids": 3"#), "\(manifest)")
    }

    @Test func tokenIdSweepExportsBothShapes() async throws {
        let (dir, db) = try await harvested(prompts: 4, tokenIds: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let current = dir.appendingPathComponent("kd.jsonl").path
        let r = try await CLIRunner.run(["export", "--set", "t", "--format", "kd", "--kd-closing-ids", "2,198", "--kd-temperature", "1",
                                         "-o", current, "--db", db])
        #expect(r.status == 0 && r.stderr.contains("exported 4 rows") && !r.stderr.contains("refused"), "\(r.stderr)")
        let lines = try String(contentsOfFile: current, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.contains(#""target_token_ids":[["#) && $0.hasSuffix(#","temperature":1.0}"#) })
        let manifest = try String(contentsOfFile: current + ".manifest.json", encoding: .utf8)
        #expect(manifest.contains(#""type": "axolotl.integrations.kd.chat_template""#), "\(manifest)")
        let legacy = dir.appendingPathComponent("legacy.jsonl").path
        let l = try await CLIRunner.run(["export", "--set", "t", "--format", "kd", "--kd-shape", "legacy", "-o", legacy, "--db", db])
        #expect(l.status == 0, "\(l.stderr)")
        #expect(try String(contentsOfFile: legacy, encoding: .utf8).contains(#"{"token":"token_id:"#))
    }
}
