import Foundation
import HarvestCore
import HarvestDaemon
import Logging
import MockTeacher
import SQLiteStore

/// An in-process `harvest serve` (``ServeService``) over a temp database, with mock teachers on loopback:
/// the daemon path with real sockets, libcurl and SQLite.
final class ParityFixture: @unchecked Sendable {
    let dir: URL
    private var mocks: [MockTeacherServer] = []
    private var serve: ServeService?
    private var task: Task<Void, any Error>?
    var database: String { dir.appendingPathComponent("harvest.sqlite").path }
    var configPath: String { dir.appendingPathComponent("harvest.json").path }

    init() throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hdp-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit {
        for m in mocks { m.stop() }
        try? FileManager.default.removeItem(at: dir)
    }

    /// Starts a mock teacher and returns its base URL.
    func mock(_ faults: MockFaults = .none, latencyMs: Double = 0) throws -> (server: MockTeacherServer, url: String) {
        var config = MockTeacherConfiguration(latencyMs: latencyMs, faults: faults)
        config.raiseFileDescriptorLimit = false
        let server = MockTeacherServer(config)
        let port = try server.start()
        mocks.append(server)
        return (server, "http://127.0.0.1:\(port)/v1")
    }

    /// Imports `n` prompts into `set`.
    func importPrompts(_ n: Int, set: String = "main") throws {
        let store = try SQLiteStore(path: database)
        defer { store.close() }
        let prompts = (0..<n).map { i in
            PromptInput(externalId: "\(set)-\(i)", messages: [ChatMessage(role: "user", content: "\(set) question \(i): what is \(i) times 3?")],
                        source: InputLocation(file: "test", line: i + 1))
        }
        _ = try store.importPrompts(setName: set, prompts: prompts, sourceName: "test")
    }

    /// Writes the config: `teachers` and `sweeps` are JSON array texts.
    func writeConfig(teachers: String, sweeps: String, metrics: Bool = false) throws {
        let server = metrics ? "\"server\": {\"metrics_address\": \"127.0.0.1:0\"}," : ""
        let text = """
            {"database": {"path": "harvest.sqlite"}, \(server) "drain_seconds": 5, "lease_seconds": 30, "poll_seconds": 0.05,
             "teachers": \(teachers), "sweeps": \(sweeps)}
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Queues a run of `sweep` (what `harvest sweep NAME` does).
    @discardableResult
    func enqueue(_ sweep: String) async throws -> RunSummary {
        let store = try SQLiteStore(path: database)
        defer { store.close() }
        return try await SweepQueue(store: store).enqueue(sweepNamed: sweep, config: try DaemonConfig.load(path: configPath))
    }

    /// Starts the daemon in this process.
    @discardableResult
    func start(environment: [String: String] = [:]) async throws -> ServeService {
        var logger = Logger(label: "test.serve")
        logger.logLevel = .critical
        let service = try await ServeService.start(configPath: configPath, databaseFlag: nil, logger: logger, environment: environment)
        serve = service
        task = Task { try await service.run() }
        return service
    }

    /// True while the daemon's run has not returned.
    var isRunning: Bool { serve != nil }

    /// Re-reads the config, as SIGHUP does.
    func serveReload() async throws {
        await serve?.reload()
    }

    /// Graceful shutdown; waits for the daemon to return.
    func stop() async throws {
        guard let serve, let task else { return }
        await serve.shutdown()
        try await task.value
        self.serve = nil
    }

    /// The `/metrics` text rendered from the daemon's live state.
    func metricsText() -> String {
        guard let serve else { return "" }
        return PrometheusText.render(serve.metricsSnapshot(), queueDepth: nil, now: Date().timeIntervalSince1970)
    }

    /// A sample's value on the `/metrics` page, e.g. `harvest_window{teacher="a"}`.
    func metric(_ sample: String) -> Double? {
        for line in metricsText().split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    /// Job states of `sweep`'s jobs.
    func states(sweepId: Int64) throws -> [JobState: Int] {
        let store = try SQLiteStore(path: database)
        defer { store.close() }
        return try store.jobStates(sweepId: sweepId)
    }

    /// True when every job of the sweep is done or failed.
    func settled(_ run: RunSummary) throws -> Bool {
        let s = try states(sweepId: run.sweepId)
        return (s[.pending] ?? 0) + (s[.leased] ?? 0) == 0
    }

    /// Polls until `condition` holds or `seconds` pass.
    func waitUntil(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return try condition()
    }

    /// A teacher entry of the config.
    static func teacher(_ name: String, url: String, model: String = "mock-teacher", limits: String = "{\"max_in_flight\": 8}",
                        extra: String = "") -> String {
        "{\"name\": \"\(name)\", \"base_url\": \"\(url)\", \"model\": \"\(model)\", \"limits\": \(limits),"
            + " \"sampling\": {\"max_tokens\": 8, \"logprobs\": 2}\(extra.isEmpty ? "" : ", " + extra)}"
    }
}
