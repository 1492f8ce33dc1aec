import Foundation
import HarvestTestSupport
import Testing

/// `harvest mock-teacher` as a child process, for CLI tests that need a teacher with faults.
final class MockProcess {
    let process = Process()
    let port: Int

    init(_ args: [String]) throws {
        process.executableURL = CLIRunner.binary
        process.arguments = ["mock-teacher", "--port", "0"] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        while !buffer.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: "127.0.0.1:"), let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)/v1" }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite(.serialized) struct TrafficCLITests {
    func setUp(prompts: Int) throws -> (URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("h.sqlite").path
        let lines = (0..<prompts).map { "{\"id\":\"p\($0)\",\"prompt\":\"question \($0)\"}" }.joined(separator: "\n") + "\n"
        let file = dir.appendingPathComponent("p.jsonl")
        try Data(lines.utf8).write(to: file)
        #expect(try CLIRunner.runBlocking(["import", file.path, "--set", "s", "--db", db]).status == 0)
        return (dir, db)
    }

    @Test func brokenTeacherStopsWithExitCode8AndSaysWhy() async throws {
        let (dir, db) = try setUp(prompts: 300)
        defer { try? FileManager.default.removeItem(at: dir) }
        let mock = try MockProcess(["--rate500", "1"])
        defer { mock.stop() }
        let url = mock.url
        let r = try await offPool { try CLIRunner.runBlocking(["sweep", "s", "--run", "--teacher", url, "--model", "mock-teacher", "--max-tokens", "4",
                                   "--fail-fast-window", "20", "--breaker-failures", "1000", "--concurrency", "4", "--db", db]) }
        #expect(r.status == 8, "\(r.stderr)")
        #expect(r.stderr.contains("fail-fast rule \"initialFailures\""))
        #expect(r.stderr.contains("the first 10 attempts all failed"))
        #expect(r.stderr.contains("run the same command again"))
    }

    @Test func replicasShareOneIdentity() async throws {
        let (dir, db) = try setUp(prompts: 40)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try MockProcess([])
        let b = try MockProcess([])
        defer { a.stop(); b.stop() }
        let (urlA, urlB) = (a.url, b.url)
        let first = try await offPool { try CLIRunner.runBlocking(["sweep", "s", "--run", "--teacher", urlA, "--teacher", urlB, "--teacher-name", "team",
                                                           "--model", "mock-teacher", "--max-tokens", "4", "--db", db]) }
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("40 jobs (40 new"))
        // Other order, same name: nothing new to pay for.
        let second = try await offPool { try CLIRunner.runBlocking(["sweep", "s", "--run", "--teacher", urlB, "--teacher", urlA, "--teacher-name", "team",
                                                            "--model", "mock-teacher", "--max-tokens", "4", "--db", db]) }
        #expect(second.status == 0)
        #expect(second.stderr.contains("40 jobs (0 new, 40 already done"))
    }

    @Test func trafficFlagsAreValidated() throws {
        #expect(try CLIRunner.runBlocking(["sweep", "s", "--run", "--rpm", "0"]).status == 64)
        #expect(try CLIRunner.runBlocking(["sweep", "s", "--run", "--fail-fast-error-rate", "2"]).status == 64)
        #expect(try CLIRunner.runBlocking(["sweep", "s", "--run", "--teacher", "http://a/v1", "--teacher", "http://a/v1"]).status == 64)
        let help = try CLIRunner.runBlocking(["sweep", "--help"]).stdout
        for flag in ["--teacher-name", "--rpm", "--tpm", "--qps", "--adaptive", "--first-byte-timeout", "--idle-timeout",
                     "--breaker-failures", "--fail-fast-window", "--fail-fast-unavailable", "--no-fail-fast", "8 stopped by a fail-fast rule"] {
            #expect(help.contains(flag), "\(flag)")
        }
    }
}
