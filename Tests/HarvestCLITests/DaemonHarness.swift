#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MockTeacher
import SQLiteStore

/// A unix datagram socket standing in for systemd's notify socket (NOTIFY_SOCKET).
final class NotifySocket: @unchecked Sendable {
    let fd: Int32
    let path: String

    init(directory: URL) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        path = directory.appendingPathComponent("notify-\(UInt32.random(in: 0...UInt32.max))").path
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < 100, "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        precondition(rc == 0, "cannot bind \(path)")
    }

    /// Waits up to `seconds` for a datagram containing `text`; returns every datagram read meanwhile.
    /// Polls without blocking, so the cooperative pool stays free.
    func wait(for text: String, seconds: Double) async -> (found: Bool, seen: [String]) {
        let deadline = Date().addingTimeInterval(seconds)
        var seen: [String] = []
        while Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard n > 0 else {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            seen.append(message)
            if message.split(separator: "\n").contains(Substring(text)) { return (true, seen) }
        }
        return (false, seen)
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

/// One `harvest serve` child process with its stderr in a file.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let notify: NotifySocket

    /// Starts `harvest serve --config config` and waits for READY=1.
    static func start(config: String, directory: URL, name: String = "serve", environment: [String: String] = [:]) async throws -> ServeProcess {
        let serve = try ServeProcess(config: config, directory: directory, name: name, environment: environment)
        let ready = await serve.notify.wait(for: "READY=1", seconds: 30)
        guard ready.found else {
            serve.stop()
            throw HarnessError("harvest serve sent no READY=1: \(ready.seen) — log: \(serve.log)")
        }
        return serve
    }

    private init(config: String, directory: URL, name: String, environment: [String: String]) throws {
        notify = try NotifySocket(directory: directory)
        logPath = directory.appendingPathComponent("\(name)-\(UInt32.random(in: 0...UInt32.max)).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = CLIRunner.binary
        process.arguments = ["serve", "--config", config, "--log-level", "info"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "HARVEST_DB")
        env.removeValue(forKey: "HARVEST_CONFIG")
        env["NOTIFY_SOCKET"] = notify.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits up to `seconds` for the process to exit; returns its status (nil on timeout).
    func waitForExit(seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    /// Kills the process if it still runs (test cleanup).
    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The `answers.stored=N` figure of the shutdown line.
    var answersStored: Int? {
        guard let range = log.range(of: "answers.stored=") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Temp directory, mock teacher and config for daemon tests.
final class DaemonFixture: @unchecked Sendable {
    let dir: URL
    let mock: MockTeacherServer
    let port: Int
    var database: String { dir.appendingPathComponent("harvest.sqlite").path }
    var configPath: String { dir.appendingPathComponent("harvest.json").path }

    init(latencyMs: Double = 0, batch: MockBatchFaults = MockBatchFaults()) throws {
        dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("hd-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = MockTeacherConfiguration()
        config.latencyMs = latencyMs
        config.batch = batch
        mock = MockTeacherServer(config)
        port = try mock.start()
    }

    deinit {
        mock.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Writes `prompts.txt` with `n` distinct prompts.
    func writePrompts(_ n: Int, name: String = "prompts.txt") throws {
        let text = (0..<n).map { "\(name) question \($0): what is \($0) times 3?" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    /// Writes the daemon config: one teacher `mock`, sweeps `main` (prompts.txt) and `second` (prompts2.txt).
    func writeConfig(maxInFlight: Int = 8, leaseSeconds: Double = 30, drainSeconds: Double = 20, metricsPort: Int? = nil,
                     budget: Double? = nil, outputPrice: Double = 0, samples: Int = 1) throws {
        let metrics = metricsPort.map { ", \"server\": {\"metrics_address\": \"127.0.0.1:\($0)\"}" } ?? ""
        let budgetJSON = budget.map { ", \"budget\": \($0)" } ?? ""
        let text = """
            {
              "database": {"path": "harvest.sqlite"}\(metrics),
              "drain_seconds": \(drainSeconds), "lease_seconds": \(leaseSeconds), "poll_seconds": 0.1,
              "teachers": [{"name": "mock", "base_url": "http://127.0.0.1:\(port)/v1", "model": "mock-teacher",
                            "limits": {"max_in_flight": \(maxInFlight)},
                            "prices": {"input_per_million": 0, "output_per_million": \(outputPrice)},
                            "sampling": {"max_tokens": 16, "temperature": 0.5, "logprobs": 2}}],
              "sweeps": [{"name": "main", "prompt_file": "prompts.txt", "set": "main", "teacher": "mock", "samples": \(samples)\(budgetJSON)},
                         {"name": "second", "prompt_file": "prompts2.txt", "set": "second", "teacher": "mock"}]
            }
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// `harvest sweep NAME --config …` in a child process.
    func enqueue(_ sweep: String) async throws -> CLIRunner.Result {
        try await CLIRunner.run(["sweep", sweep, "--config", configPath])
    }

    /// Opens the database read-mostly from the test process.
    func store() throws -> SQLiteStore { try SQLiteStore(path: database) }

    /// Polls until `condition` holds or `seconds` pass (sleeping off the cooperative pool's threads).
    func waitUntil(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    /// Answers served more than once, by request fingerprint (the teacher was paid twice for them).
    var duplicatedAnswers: Int { mock.servedFingerprints().values.reduce(0) { $0 + max(0, $1 - 1) } }

    /// A loopback TCP port free right now, for a server the test starts later. Taken below the kernel's ephemeral
    /// range (32768–60999 by default): a port the kernel handed out for `bind(0)` can be handed out again to any
    /// outgoing connection of the parallel suites before the daemon binds it ("Address already in use").
    static func freePort() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 10_000..<32_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return port }
        }
        fatalError("no free loopback port in 10000-31999")
    }
}

/// The value of a metric sample line `name{labels} value` in Prometheus text.
func metricValue(_ text: String, _ sample: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
        return Double(line.dropFirst(sample.count + 1))
    }
    return nil
}
