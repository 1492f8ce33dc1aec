import Foundation
import MockTeacher
import SQLiteStore
import Testing

/// The one config format on the command line: queued sweeps and `sweep --run --config` read the same file,
/// errors name the file and field path and exit 4 with nothing queued.
@Suite(.serialized) struct ConfigCLITests {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ dir: URL, _ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let teacher = "{\"name\": \"local\", \"base_url\": \"http://127.0.0.1:9/v1\", \"model\": \"m\", \"limits\": {\"max_in_flight\": 4}}"

    @Test(arguments: [
        ("[\(teacher.dropLast()), \"limts\": {}}]", "[{\"name\": \"s\", \"prompt_set\": \"p\", \"teacher\": \"local\"}]", "teachers[0].limts"),
        ("[{\"name\": \"local\", \"base_url\": \"http://127.0.0.1:9/v1\", \"model\": \"m\", \"limits\": {\"rpm\": \"600\"}}]",
         "[{\"name\": \"s\", \"prompt_set\": \"p\", \"teacher\": \"local\"}]", "teachers[0].limits.rpm"),
        ("[\(teacher)]", "[{\"name\": \"s\", \"prompt_set\": \"p\", \"teacher\": \"nobody\"}]", "sweeps[0].teacher"),
    ])
    func badConfigIsOneLineNamingFileAndFieldAndQueuesNothing(_ teachers: String, _ sweeps: String, _ field: String) async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = try write(dir, "p.txt", "one\ntwo\n")
        #expect(try await CLIRunner.run(["import", prompts, "--set", "p", "--db", db]).status == 0)
        let config = try write(dir, "harvest.json", "{\"teachers\": \(teachers), \"sweeps\": \(sweeps)}")
        let r = try await CLIRunner.run(["sweep", "s", "--config", config, "--db", db])
        #expect(r.status == 4)
        let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("harvest.json: field \"\(field)\""), "\(r.stderr)")
        let store = try SQLiteStore(path: db)
        defer { store.close() }
        #expect(try store.latestRuns().isEmpty)
        #expect(try store.sweepStatuses().isEmpty)
    }

    @Test func runUsesAConfiguredTeacherByNameAndFlagsOverrideFields() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let mock = MockTeacherServer(MockTeacherConfiguration())
        let port = try mock.start()
        defer { mock.stop() }
        let db = dir.appendingPathComponent("h.sqlite").path
        let prompts = try write(dir, "p.txt", (0..<12).map { "question \($0)" }.joined(separator: "\n") + "\n")
        #expect(try await CLIRunner.run(["import", prompts, "--set", "p", "--db", db]).status == 0)
        let config = try write(dir, "harvest.json", """
            {"teachers": [\(Self.teacher),
              {"name": "mock", "base_url": "http://127.0.0.1:\(port)/v1", "model": "mock-teacher", "limits": {"max_in_flight": 4, "rps": 1000},
               "sampling": {"max_tokens": 5, "logprobs": 2}, "idle_timeout": 5}]}
            """)
        let r = try await CLIRunner.run(["sweep", "p", "--run", "--config", config, "--teacher-name", "mock", "--max-tokens", "3", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("12 jobs (12 new") && r.stderr.contains("127.0.0.1:\(port)"))
        #expect(mock.stats().completionsServed == 12)
        // The configured name is the identity: the same run again finds every job done.
        let again = try await CLIRunner.run(["sweep", "p", "--run", "--config", config, "--teacher-name", "mock", "--max-tokens", "3", "--db", db])
        #expect(again.status == 0 && again.stderr.contains("12 jobs (0 new, 12 already done"))
        let unknown = try await CLIRunner.run(["sweep", "p", "--run", "--config", config, "--teacher-name", "ghost", "--db", db])
        #expect(unknown.status == 4)
        #expect(unknown.stderr.contains("harvest.json: field \"teachers\"") && unknown.stderr.contains("ghost"))
        let ambiguous = try await CLIRunner.run(["sweep", "p", "--run", "--config", config, "--db", db])
        #expect(ambiguous.status == 4 && ambiguous.stderr.contains("--teacher-name"))
    }

    @Test func aFlatConfigIsRefusedWithTheNewFormat() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try write(dir, "old.json", "{\"teacher\": {\"base_url\": \"http://127.0.0.1:9/v1\", \"model\": \"m\"}, \"concurrency\": 8}")
        let r = try await CLIRunner.run(["sweep", "p", "--run", "--config", config, "--db", dir.appendingPathComponent("h.sqlite").path])
        #expect(r.status == 4)
        #expect(r.stderr.contains("old.json: field \"teacher\"") && r.stderr.contains("\"teachers\": [") && r.stderr.contains("\"max_in_flight\": 8"))
    }

    @Test func initWritesTheOneConfigFormat() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CLIRunner.run(["init", "--db", dir.appendingPathComponent("h.sqlite").path, "--config",
                                         dir.appendingPathComponent("harvest.json").path])
        #expect(r.status == 0)
        let text = try String(contentsOf: dir.appendingPathComponent("harvest.json"), encoding: .utf8)
        #expect(text.contains("\"teachers\"") && text.contains("\"sweeps\""))
        // It is a valid config: queueing its sweep gets as far as the missing prompt set (exit 6), not a config error.
        let q = try await CLIRunner.run(["sweep", "demo", "--config", dir.appendingPathComponent("harvest.json").path,
                                         "--db", dir.appendingPathComponent("h.sqlite").path])
        #expect(q.status == 6, "\(q.stderr)")
    }
}
