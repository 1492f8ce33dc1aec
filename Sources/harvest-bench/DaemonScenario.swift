import Foundation
import HarvestCore
import HarvestDaemon
import HarvestKit
import Logging
import SQLiteStore

/// The same harvest as ``HarvestScenario`` through the daemon path: a config file with one teacher and one
/// sweep, `harvest sweep NAME` (``SweepQueue``), and ``ServeService`` working the queue off (teacher worker,
/// shared traffic controller, metrics) until every job is done.
struct DaemonScenario {
    /// What one run measured.
    struct Result {
        var jobs: Int
        var done: Int
        var seconds: Double
        var cpu: Double
        var requestsPerSecond: Double { Double(done) / max(seconds, 1e-9) }
    }

    var baseURL: String
    var prompts: Int
    var samples: Int
    var maxTokens: Int
    var logprobs: Int?
    var concurrency: Int

    func run() async throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-daemon-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("bench.sqlite").path
        let store = try SQLiteStore(path: db)
        for start in stride(from: 0, to: prompts, by: 10_000) {
            let slice = (start..<min(prompts, start + 10_000)).map { i in
                PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: BenchPrompts.text(i))],
                            source: InputLocation(file: "bench", line: i + 1))
            }
            _ = try store.importPrompts(setName: "bench", prompts: slice, sourceName: "bench")
        }
        let sampling = "{\"max_tokens\": \(maxTokens), \"temperature\": 0.7, \"seed\": 7" + (logprobs.map { ", \"logprobs\": \($0)" } ?? "") + "}"
        let config = """
            {"database": {"path": "bench.sqlite"}, "lease_seconds": 120, "poll_seconds": 0.05, "drain_seconds": 5,
             "teachers": [{"name": "mock", "base_url": "\(baseURL)", "model": "mock-teacher", "limits": {"max_in_flight": \(concurrency)},
                           "max_attempts": 12, "idle_timeout": 0, "fail_fast": false, "sampling": \(sampling)}],
             "sweeps": [{"name": "bench", "prompt_set": "bench", "teacher": "mock", "samples": \(samples)}]}
            """
        let configPath = dir.appendingPathComponent("harvest.json").path
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        let run = try await SweepQueue(store: store).enqueue(sweepNamed: "bench", config: try DaemonConfig.load(path: configPath))
        var logger = Logger(label: "harvest-bench.daemon")
        logger.logLevel = .error
        let serve = try await ServeService.start(configPath: configPath, databaseFlag: nil, logger: logger)
        let cpu0 = ProcessProbe.cpuSeconds()
        let started = ContinuousClock.now
        let task = Task { try await serve.run() }
        var states: [JobState: Int] = [:]
        // Watch the daemon's own counters (a copy of a few integers), not the database: a count over the sweep's
        // jobs every 10 ms would charge the poller's CPU to the daemon. The database is checked once at the end.
        while true {
            try await Task.sleep(for: .milliseconds(10))
            let settled = serve.metricsSnapshot().teachers.values.reduce(0) { $0 + $1.jobsDone + $1.jobsFailed }
            guard settled >= run.queued else { continue }
            states = try store.jobStates(sweepId: run.sweepId)
            if (states[.pending] ?? 0) + (states[.leased] ?? 0) == 0 { break }
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let cpu = ProcessProbe.cpuSeconds() - cpu0
        await serve.shutdown()
        try await task.value
        store.close()
        return Result(jobs: run.queued, done: states[.done] ?? 0, seconds: elapsed, cpu: cpu)
    }
}
