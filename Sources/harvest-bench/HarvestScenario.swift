import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import SQLiteStore

/// One harvest run against a mock teacher: import, enqueue, sweep, and the figures.
struct HarvestScenario {
    /// What one run measured.
    struct Result {
        var jobs: Int
        var outcome: SweepOutcome
        var cpu: Double
        var mockCPU: Double
        var peakRSS: Double
        var overhead: LatencyHistogram
        var toSend: LatencyHistogram
        var toCommit: LatencyHistogram
        var latency: LatencyHistogram
        /// Mean requests in flight, sampled every 10 ms.
        var meanInFlight = 0.0
        /// Completions per second between 20 % and 80 % of the jobs (no ramp-up, no tail).
        var steadyRate = 0.0
        var dbBytes: Int
        /// Stored logprobs: blobs and vocabulary.
        var logprobs = LogprobStorageStats()
        var importSeconds: Double
        var enqueueSeconds: Double
        /// CPU seconds per thread at the end of the sweep (writer and curl threads included).
        var threads: [(String, Double)] = []
        var requestsPerSecond: Double { Double(outcome.counters.done) / outcome.seconds }
        var cpuMsPerRequest: Double { cpu * 1000 / Double(max(outcome.counters.done, 1)) }
    }

    var baseURL: String
    var prompts: Int
    var samples: Int
    var maxTokens: Int
    var logprobs: Int?
    var concurrency: Int
    var idleTimeout = 0.0
    var firstByteTimeout = 0.0
    var keepDB = false

    func run(mockPID: Int32) async throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if !keepDB { try? FileManager.default.removeItem(at: dir) } }
        let dbPath = dir.appendingPathComponent("bench.sqlite").path
        let store = try SQLiteStore(path: dbPath)
        let t0 = ContinuousClock.now
        // Imported in slices so the benchmark's own prompt list never dominates the memory figures.
        for start in stride(from: 0, to: prompts, by: 10_000) {
            let slice = (start..<min(prompts, start + 10_000)).map { i in
                PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: BenchPrompts.text(i))],
                            source: InputLocation(file: "bench", line: i + 1))
            }
            _ = try store.importPrompts(setName: "bench", prompts: slice, sourceName: "bench")
        }
        let t1 = ContinuousClock.now
        let params = SamplingParams(maxTokens: maxTokens, temperature: 0.7, seed: 7, topLogprobs: logprobs)
        let teacher = TeacherEndpoint(baseURL: baseURL, model: "mock-teacher")
        let sweep = try store.createSweep(name: "bench", setName: "bench", teacher: teacher, params: params, samples: samples)
        let t2 = ContinuousClock.now

        let transport = try CurlTransport(configuration: .init(maxConnections: concurrency * 2))
        defer { transport.shutdown() }
        let timeouts = HTTPTimeouts(connect: 10, total: 600, firstByte: firstByteTimeout, idle: idleTimeout)
        let client = TeacherClient(transport: transport, apiKey: nil, timeouts: timeouts)
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: concurrency)))
        let options = SweepOptions(retry: RetryPolicy(maxAttempts: 12, baseDelay: 0.05, maxDelay: 1),
                                   rescuePath: dir.appendingPathComponent("rescue.jsonl").path)
        let runner = SweepRunner(store: store, client: client, options: options, traffic: traffic)
        ProcessProbe.resetPeakRSS()
        let cpu0 = ProcessProbe.cpuSeconds()
        let mock0 = ProcessProbe.cpuSeconds(pid: mockPID)
        let total = sweep.totalJobs
        let sampler = Task {
            var n = 0.0, inFlight = 0.0
            var t20: ContinuousClock.Instant?, t80: ContinuousClock.Instant?
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
                n += 1
                inFlight += Double(runner.trafficSnapshot().inFlight)
                let done = runner.snapshot().done
                if t20 == nil, done * 5 >= total { t20 = .now }
                if t80 == nil, done * 5 >= total * 4 { t80 = .now }
            }
            let steady = t20.flatMap { a in t80.map { b in Double(total) * 0.6 / seconds(b - a) } } ?? 0
            return (inFlight / max(n, 1), steady)
        }
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        sampler.cancel()
        let (meanInFlight, steadyRate) = await sampler.value
        let cpu = ProcessProbe.cpuSeconds() - cpu0
        let mockCPU = ProcessProbe.cpuSeconds(pid: mockPID) - mock0
        let peak = ProcessProbe.peakRSSMiB()
        let threads = ProcessProbe.threadCPU()
        let size = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        if keepDB { print("  database kept at \(dbPath)") }
        let logprobStats = try store.logprobStorageStats()
        return Result(jobs: sweep.totalJobs, outcome: outcome, cpu: cpu, mockCPU: mockCPU, peakRSS: peak,
                      overhead: runner.overheadHistogram(), toSend: runner.overheadParts().toSend,
                      toCommit: runner.overheadParts().toCommit, latency: runner.latencyHistogram(), meanInFlight: meanInFlight, steadyRate: steadyRate, dbBytes: size(dbPath) + size(dbPath + "-wal"),
                      logprobs: logprobStats, importSeconds: seconds(t1 - t0), enqueueSeconds: seconds(t2 - t1), threads: threads)
    }
}

/// Seconds of a duration.
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
