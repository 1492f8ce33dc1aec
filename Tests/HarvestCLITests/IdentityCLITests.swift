import Foundation
import HarvestTestSupport
import Testing

/// Teacher identity, URL credentials and the smaller flag fixes, through the real binary and mock teachers.
@Suite(.serialized) struct IdentityCLITests {
    func setUp(prompts: Int) throws -> (URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-cli-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("h.sqlite").path
        let lines = (0..<prompts).map { "{\"id\":\"p\($0)\",\"prompt\":\"question \($0)\"}" }.joined(separator: "\n") + "\n"
        let file = dir.appendingPathComponent("p.jsonl")
        try Data(lines.utf8).write(to: file)
        #expect(try CLIRunner.runBlocking(["import", file.path, "--set", "s", "--db", db]).status == 0)
        return (dir, db)
    }

    static func sweep(_ url: String, _ db: String, _ extra: [String] = []) -> [String] {
        ["sweep", "s", "--run", "--teacher", url, "--model", "mock-teacher", "--max-tokens", "4", "--logprobs", "2", "--db", db] + extra
    }

    @Test func teacherRestartedOnAnotherPortPaysNothingAgain() async throws {
        let (dir, db) = try setUp(prompts: 30)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try MockProcess([])
        let urlA = a.url
        let first = try await offPool { try CLIRunner.runBlocking(Self.sweep(urlA, db)) }
        a.stop()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("30 jobs (30 new"))
        #expect(first.stderr.contains("mock-teacher:"), "the default sweep name is SET:MODEL:hash")
        // The same command against the teacher restarted on another port: the same sweep, nothing sent.
        let b = try MockProcess([])
        defer { b.stop() }
        let urlB = b.url
        #expect(urlA != urlB)
        let second = try await offPool { try CLIRunner.runBlocking(Self.sweep(urlB, db)) }
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("30 jobs (0 new, 30 already done"), "\(second.stderr)")
        #expect(!second.stderr.contains("warning: set"))
        // Another identity for the same model is named before anything is sent.
        let other = try await offPool { try CLIRunner.runBlocking(Self.sweep(urlB, db, ["--teacher-name", "other"])) }
        #expect(other.status == 0)
        let warning = try #require(other.stderr.range(of: "warning: set \"s\" already has answers from model mock-teacher under another teacher identity"))
        let created = try #require(other.stderr.range(of: "30 jobs (30 new"))
        #expect(warning.lowerBound < created.lowerBound)
        #expect(other.stderr.contains("\"mock-teacher@chat\" (30 answers)"))
        #expect(other.stderr.contains("--teacher-name mock-teacher@chat"))
    }

    @Test func urlCredentialsAreSentButNeverStoredPrintedOrExported() async throws {
        let (dir, db) = try setUp(prompts: 5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let mock = try MockProcess([])
        defer { mock.stop() }
        // The query must follow the path (…/v1/chat/completions?api_key=…) or the mock answers 404 and the sweep fails.
        let secretURL = "http://alice:Pw0rdXyz@127.0.0.1:\(mock.port)/v1?api_key=QK5ecret"
        let run = try await offPool { try CLIRunner.runBlocking(Self.sweep(secretURL, db)) }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("→ http://127.0.0.1:\(mock.port)/v1 model"))
        let status = try await offPool { try CLIRunner.runBlocking(["status", "--json", "--db", db]) }
        #expect(status.status == 0)
        let out = dir.appendingPathComponent("out")
        let export = try await offPool { try CLIRunner.runBlocking(["export", "--set", "s", "--format", "raw", "-o", out.path + "/", "--db", db]) }
        #expect(export.status == 0, "\(export.stderr)")
        // A probe failure names the public URL only.
        let unreachable = try await offPool {
            try CLIRunner.runBlocking(Self.sweep("http://bob:Pw0rdXyz@127.0.0.1:1/v1?api_key=QK5ecret", db))
        }
        #expect(unreachable.status == 7)
        var texts = [run.stderr, status.stdout, status.stderr, export.stderr, unreachable.stderr]
        for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
            texts.append(String(decoding: try Data(contentsOf: out.appendingPathComponent(name)), as: UTF8.self))
        }
        // The manifest of a folder export sits beside the folder (`out.manifest.json`).
        texts.append(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out.path + ".manifest.json")), as: UTF8.self))
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: db + suffix) { texts.append(String(decoding: data, as: UTF8.self)) }
        }
        #expect(texts.count >= 8)
        for (i, text) in texts.enumerated() {
            #expect(!text.contains("Pw0rdXyz"), "secret user-info in output \(i)")
            #expect(!text.contains("QK5ecret"), "secret query in output \(i)")
        }
        #expect(status.stdout.contains("http://127.0.0.1:\(mock.port)/v1"))
    }

    @Test func negativeNumbersOwnedBodyKeysAndDanglingConfigLinks() async throws {
        let (dir, db) = try setUp(prompts: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        // --min-mean-logprob -2.5 (space-separated, as documented) is accepted by export and curate.
        let out = dir.appendingPathComponent("o.jsonl").path
        let export = try await offPool { try CLIRunner.runBlocking(["export", "--set", "s", "--min-mean-logprob", "-2.5", "-o", out, "--db", db]) }
        #expect(export.status == 0, "\(export.stderr)")
        let curate = try await offPool { try CLIRunner.runBlocking(["curate", "--set", "s", "--dry-run", "--min-mean-logprob", "-2.5", "--db", db]) }
        #expect(curate.status == 0, "\(curate.stderr)")
        // Keys harvest owns cannot come from --extra-body (refused before anything is sent or written).
        for body in [#"{"messages":[]}"#, #"{"model":"x"}"#, #"{"prompt":"p"}"#, #"{"n":3}"#, #"{"logprobs":false}"#] {
            let r = try await offPool { try CLIRunner.runBlocking(["sweep", "s", "--run", "--extra-body", body, "--db", db]) }
            #expect(r.status == 64, "\(body): \(r.stderr)")
            #expect(r.stderr.contains("which harvest sets itself"), "\(body)")
        }
        // init --config through a dangling symlink is refused and writes nothing.
        let target = dir.appendingPathComponent("elsewhere.json").path
        let link = dir.appendingPathComponent("harvest.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let initRun = try await offPool { try CLIRunner.runBlocking(["init", "--config", link, "--db", dir.appendingPathComponent("new.sqlite").path]) }
        #expect(initRun.status == 4, "\(initRun.stderr)")
        #expect(initRun.stderr.contains("symbolic link"))
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("new.sqlite").path))
    }
}
