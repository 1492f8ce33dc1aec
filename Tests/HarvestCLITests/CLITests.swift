import Foundation
import HarvestTestSupport
import Testing

@Suite(.serialized) struct CLITests {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ dir: URL, _ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func statusJSON(_ db: String) async throws -> String {
        try await CLIRunner.run(["status", "--json", "--db", db]).stdout
    }

    @Test func helpExplainsDatabaseOption() async throws {
        for command in ["import", "sweep", "serve", "status", "export", "init"] {
            let r = try await CLIRunner.run([command, "--help"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("--db"), "\(command) --help mentions --db")
        }
    }

    @Test func malformedImportNamesLineAndFieldAndChangesNothing() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let good = try write(dir, "good.jsonl", "{\"id\":\"a\",\"prompt\":\"hello\"}\n")
        #expect(try await CLIRunner.run(["import", good, "--set", "s", "--db", db]).status == 0)
        let before = try await statusJSON(db)
        let bad = try write(dir, "bad.jsonl", "{\"id\":\"b\",\"prompt\":\"fine\"}\n{\"id\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":7}]}\n")
        let r = try await CLIRunner.run(["import", bad, "--set", "s", "--db", db])
        #expect(r.status == 4)
        #expect(r.stderr.contains("bad.jsonl:2"))
        #expect(r.stderr.contains("messages[0].content"))
        #expect(r.stderr.split(separator: "\n").count == 1, "one clear error line")
        #expect(try await statusJSON(db) == before)
    }

    @Test func csvWithoutColumnFails() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try write(dir, "q.csv", "id,question\n1,why\n")
        let r = try await CLIRunner.run(["import", csv, "--set", "s", "--db", dir.appendingPathComponent("h.sqlite").path])
        #expect(r.status == 4)
        #expect(r.stderr.contains("q.csv:1"))
        #expect(r.stderr.contains("--column"))
    }

    @Test func unreachableTeacherExits7AndCreatesNoSweep() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = try write(dir, "p.jsonl", "{\"prompt\":\"hi\"}\n")
        #expect(try await CLIRunner.run(["import", prompts, "--set", "s", "--db", db]).status == 0)
        let before = try await statusJSON(db)
        let r = try await CLIRunner.run(["sweep", "s", "--run", "--teacher", "http://127.0.0.1:9/v1", "--model", "m", "--db", db])
        #expect(r.status == 7)
        #expect(r.stderr.contains("cannot reach the teacher at http://127.0.0.1:9/v1"))
        #expect(try await statusJSON(db) == before)
    }

    @Test func htmlTeacherExits7AndCreatesNoSweep() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try HTMLServer()
        defer { server.stop() }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = try write(dir, "p.jsonl", "{\"prompt\":\"hi\"}\n")
        #expect(try await CLIRunner.run(["import", prompts, "--set", "s", "--db", db]).status == 0)
        let before = try await statusJSON(db)
        let r = try await CLIRunner.run(["sweep", "s", "--run", "--teacher", "http://127.0.0.1:\(server.port)", "--model", "m", "--db", db])
        #expect(r.status == 7)
        #expect(r.stderr.contains("text/html"))
        #expect(try await statusJSON(db) == before)
    }

    @Test func unknownSetExits6() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CLIRunner.run(["sweep", "nope", "--run", "--db", dir.appendingPathComponent("h.sqlite").path])
        #expect(r.status == 6)
        #expect(r.stderr.contains("nope"))
    }

    @Test func queuedSweepNeedsADaemonConfigAndNoForegroundFlags() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none.json").path
        let r = try await CLIRunner.run(["sweep", "s", "--config", missing], cwd: dir)
        #expect(r.status == 4)
        #expect(r.stderr.contains("none.json") && r.stderr.contains("no such config file"))
        let flags = try await CLIRunner.run(["sweep", "s", "--teacher", "http://127.0.0.1:9/v1"], cwd: dir)
        #expect(flags.status == 64)
        #expect(flags.stderr.contains("--run"))
    }

    @Test func demoRunsTheWholePathOnTheBuiltInMock() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let out = dir.appendingPathComponent("demo.jsonl").path
        let prompts = CLIRunner.repoRoot.appendingPathComponent("config/prompts/demo.jsonl").path
        let r = try await CLIRunner.run(["demo", "--db", db, "--prompts", prompts, "-o", out])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 80, "40 demo prompts × 2 samples")
        // A second run pays for nothing: every job is already done.
        let again = try await CLIRunner.run(["demo", "--db", db, "--prompts", prompts, "-o", out])
        #expect(again.status == 0)
        #expect(again.stderr.contains("0 new, 80 already done"))
    }

    @Test func exportToStdout() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = try write(dir, "p.txt", "one\ntwo\nthree\n")
        #expect(try await CLIRunner.run(["import", prompts, "--set", "t", "--db", db]).status == 0)
        let sweep = try await CLIRunner.run(["sweep", "t", "--run", "--max-tokens", "5", "--db", db])
        #expect(sweep.status == 0, "stderr: \(sweep.stderr)")
        let r = try await CLIRunner.run(["export", "--set", "t", "--format", "openai", "-o", "-", "--db", db])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"messages\":[{\"role\":\"user\"") })
    }
}
