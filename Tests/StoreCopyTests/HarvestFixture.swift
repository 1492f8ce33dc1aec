import Foundation
import SQLiteStore

/// A temporary directory with harvested SQLite databases made by the built `harvest` binary and its built-in mock
/// teacher: answers with top-5 logprobs, curation marks, verdicts, a queued run, a leased job, a provider batch
/// and a job key alias (the last three written with SQL: no command makes them without a provider).
struct HarvestFixture {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    /// Builds a harvested database at `name` from `prompts` prompts (`topic` varies their text).
    @discardableResult
    func harvest(_ name: String, prompts: Int = 6, samples: Int = 2, topic: String = "topic") throws -> String {
        let db = path(name)
        let file = dir.appendingPathComponent("\(name).jsonl")
        var lines = ""
        for i in 0..<prompts {
            let verifier = i % 2 == 0 ? ",\"answer\":\"42\",\"verifier\":\"exact\"" : ""
            lines += "{\"id\":\"q\(i)\",\"prompt\":\"tell me about \(topic) \(i)\"\(verifier)}\n"
        }
        try Data(lines.utf8).write(to: file)
        try Self.check(["import", file.path, "--set", "demo", "--db", db])
        try Self.check(["sweep", "demo", "--run", "--samples", "\(samples)", "--logprobs", "5", "--db", db])
        try Self.check(["curate", "--set", "demo", "--no-exact", "--no-near", "--verify", "--max-chars", "60", "--db", db])
        // A second set whose run stays queued: pending jobs, one of them leased.
        let more = dir.appendingPathComponent("\(name)-more.jsonl")
        try Data("{\"id\":\"m0\",\"prompt\":\"more \(topic) 0\"}\n{\"id\":\"m1\",\"prompt\":\"more \(topic) 1\"}\n".utf8).write(to: more)
        let config = dir.appendingPathComponent("\(name).json")
        try Data("""
            {"database": {"path": "\(name)"},
             "teachers": [{"name": "mock", "base_url": "http://127.0.0.1:9/v1", "model": "mock-teacher",
                           "prices": {"input_per_million": 0.5, "output_per_million": 1.5}, "sampling": {"max_tokens": 16, "logprobs": 2}}],
             "sweeps": [{"name": "more", "prompt_file": "\(more.lastPathComponent)", "set": "more", "teacher": "mock", "budget": 2.5}]}
            """.utf8).write(to: config)
        try Self.check(["sweep", "more", "--config", config.path, "--db", db])
        let sql = try SQLiteDatabase(path: db, mode: .readWrite)
        try sql.execute("""
            UPDATE jobs SET state = 'leased', lease_owner = 'host:1', lease_expires = 1e10 WHERE id = (SELECT max(id) FROM jobs);
            INSERT INTO batches(sweep_id, ref, stage, requests, bytes, price_factor, answered, created_at, updated_at, finished_at, worst_cost)
              VALUES(1, 'ref-1', 'collected', 2, 512, 0.5, 2, 1.5, 2.25, 3.125, 0.000123);
            INSERT INTO batch_jobs(batch_id, job_id, custom_id, outcome) VALUES(1, 1, 'c1', 'answered'), (1, 2, 'c2', 'answered');
            INSERT INTO job_key_aliases(key, job_id) VALUES(randomblob(32), 1);
            """)
        return db
    }

    /// The built `harvest` next to the test bundle (or `$HARVEST_TEST_BINARY`).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["HARVEST_TEST_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = dir.appendingPathComponent("harvest")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("harvest")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the binary; returns status, stdout and stderr.
    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "HARVEST_DB")
        process.environment = env
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-copy-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-copy-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self),
                String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// Runs the binary and throws unless it exits 0.
    @discardableResult
    static func check(_ args: [String]) throws -> String {
        let r = try run(args)
        guard r.status == 0 else { throw Failure(description: "harvest \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)") }
        return r.stdout
    }
}

/// Runs blocking work (child processes, database copies) on its own thread, so it never holds one of the cooperative
/// pool's few threads (on 2 cores a blocked pool thread stalls other suites' tests).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
