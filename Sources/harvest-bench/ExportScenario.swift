import CurlTransport
import Foundation
import HarvestCore
import HarvestExport
import HarvestKit
import MockTeacher
import SQLiteStore

/// Export throughput end to end (SQLite read, logprob decode, JSON writing, SHA-256, write): fills a store from the
/// in-process mock teacher (top-k logprobs, token ids; set `bench`: sampled answers), scores those answers once more
/// with vLLM-style `prompt_logprobs` (set `bench.scored`: scored sequences), then times a plain `openai` export,
/// `openai --with-logprobs`, `kd` and legacy `kd` of the sampled answers and `kd` of the scored sequences, printing
/// which rows each export read, MB/s of JSONL written, MB per CPU-second and the RSS seen during each export.
/// `harvest-bench --scenario export [--prompts 4000] [--max-tokens 256] [--logprobs 5] [--export-db PATH] [--runs N]
/// [--exports openai,openai-logprobs,kd,kd-legacy,kd-scored]`: with `--export-db`, the store is filled once and kept
/// there, and later runs export the same rows; `--runs` repeats each export (the machine is shared: compare several
/// runs); `--exports` picks the exports.
enum ExportScenario {
    /// The export names `--exports` takes, in the order they run.
    static let caseNames = ["openai", "openai-logprobs", "kd", "kd-legacy", "kd-scored"]

    static func run(prompts: Int, maxTokens: Int, logprobs: Int?, database: String? = nil, runs: Int = 1,
                    only: [String]? = nil) async throws {
        if let unknown = only?.first(where: { !caseNames.contains($0) }) {
            BenchArgs.fail("unknown export \"\(unknown)\" (known: \(caseNames.joined(separator: ", ")))")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-export-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dbPath = database ?? dir.appendingPathComponent("bench.sqlite").path
        let reuse = database.map { FileManager.default.fileExists(atPath: $0) } ?? false
        let store = try SQLiteStore(path: dbPath)
        if reuse {
            print("  reusing       \(dbPath)")
        } else {
            try await fill(store, dir: dir, prompts: prompts, maxTokens: maxTokens, logprobs: logprobs ?? 5)
        }
        if (only ?? caseNames).contains("kd-scored"), try !store.setNames().contains(where: { $0.name == scoredSet }) {
            try await fillScored(store, dir: dir, logprobs: logprobs ?? 5)
        }
        let plain = "sampled answers of set bench"
        let cases: [(String, String, any ExportFormat, ExportOptions, String)] = [
            ("openai", "openai (no logprobs)", OpenAIChatFormat(), ExportOptions(), plain),
            ("openai-logprobs", "openai --with-logprobs", OpenAIChatFormat(), ExportOptions(withLogprobs: true), plain),
            ("kd", "kd (current shape)", KDFormat(closingTokenIds: [2, 198]), ExportOptions(), plain),
            ("kd-legacy", "kd-legacy", KDFormat(shape: .legacy), ExportOptions(), plain),
            ("kd-scored", "kd-scored (current)", KDFormat(closingTokenIds: [2, 198]), ExportOptions(),
             "scored sequences of set \(scoredSet)"),
        ]
        for (name, label, format, options, rows) in cases where only?.contains(name) ?? true {
            print("  \(label): \(rows)")
            let set = name == "kd-scored" ? scoredSet : "bench"
            for _ in 0..<runs { try exportOnce(store, set: set, dir: dir, label: label, format: format, options: options) }
        }
    }

    /// The set of scored sequences (the sampled answers, scored with `prompt_logprobs`).
    static let scoredSet = "bench.scored"

    private static func exportOnce(_ store: SQLiteStore, set: String, dir: URL, label: String, format: any ExportFormat,
                                   options: ExportOptions) throws {
        let out = dir.appendingPathComponent("out.jsonl").path
        let sampler = RSSSampler()
        let cpu0 = ProcessProbe.cpuSeconds()
        let t0 = ContinuousClock.now
        let summary = try Exporter(store: store).export(ExportSelection(setName: set),
                                                        plan: ExportPlan(format: format, options: options, output: .file(out)))
        let wall = seconds(ContinuousClock.now - t0)
        let cpu = ProcessProbe.cpuSeconds() - cpu0
        let rss = sampler.stop()
        let mb = Double(summary.uncompressedBytes) / 1e6
        let f = ProgressLine.fixed
        let skipped = summary.skipped.isEmpty ? "" : " (skipped: " + summary.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        print("  \(label.padding(toLength: 24, withPad: " ", startingAt: 0)) \(summary.rows) rows\(skipped), \(f(mb, 1)) MB in \(f(wall, 2)) s = "
            + "\(f(mb / wall, 0)) MB/s wall, \(f(mb / max(cpu, 1e-9), 0)) MB per CPU-second; RSS \(f(rss.min, 1))–\(f(rss.max, 1)) MiB")
        print("RESULT export=\(label.split(separator: " ")[0]) rows=\(summary.rows) mbps=\(mb / wall) mbcpu=\(mb / max(cpu, 1e-9))")
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: out + ExportManifest.suffix)
    }

    private static func fill(_ store: SQLiteStore, dir: URL, prompts: Int, maxTokens: Int, logprobs: Int) async throws {
        let mock = MockTeacherServer(MockTeacherConfiguration())
        let port = try mock.start()
        defer { mock.stop() }
        let inputs = (0..<prompts).map { i in
            PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: "Explain topic \(i) in detail.")],
                        source: InputLocation(file: "bench", line: i + 1))
        }
        _ = try store.importPrompts(setName: "bench", prompts: inputs, sourceName: "bench")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher", name: "mock")
        // Token ids on (vLLM's return_tokens_as_token_ids): `kd` refuses rows without them.
        var params = SamplingParams(maxTokens: maxTokens, temperature: 0.7, seed: 1, topLogprobs: logprobs)
        params.tokenIds = true
        let sweep = try store.createSweep(name: "bench", setName: "bench", teacher: teacher, params: params, samples: 1)
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let t0 = ContinuousClock.now
        _ = try await SweepRunner(store: store, client: TeacherClient(transport: transport, apiKey: nil),
                                  options: SweepOptions(concurrency: 16, rescuePath: dir.appendingPathComponent("r.jsonl").path))
            .run(sweepId: sweep.sweepId)
        print("  filled        \(prompts) answers, max_tokens \(maxTokens), top-\(logprobs) logprobs in "
            + "\(ProgressLine.fixed(seconds(ContinuousClock.now - t0), 1)) s")
    }

    /// Scores the sampled answers of set `bench` (vLLM-style chat `prompt_logprobs`, top-`logprobs`) into ``scoredSet``.
    private static func fillScored(_ store: SQLiteStore, dir: URL, logprobs: Int) async throws {
        let mock = MockTeacherServer(MockTeacherConfiguration())
        let port = try mock.start()
        defer { mock.stop() }
        _ = try await ScoringSetBuilder(store: store).build(from: "bench", into: scoredSet)
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher", name: "mock")
        var params = SamplingParams(temperature: 0.7, seed: 1, topLogprobs: logprobs)
        params.score = .promptLogprobs
        try params.prepareScoring(endpoint: teacher.kind)
        let sweep = try store.createSweep(name: scoredSet, setName: scoredSet, teacher: teacher, params: params, samples: 1)
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let t0 = ContinuousClock.now
        let outcome = try await SweepRunner(store: store, client: TeacherClient(transport: transport, apiKey: nil),
                                            options: SweepOptions(concurrency: 16, rescuePath: dir.appendingPathComponent("s.jsonl").path))
            .run(sweepId: sweep.sweepId)
        print("  scored        the answers into set \(scoredSet) (prompt_logprobs, top-\(logprobs)) in "
            + "\(ProgressLine.fixed(seconds(ContinuousClock.now - t0), 1)) s: \(outcome.counters.done) done, \(outcome.counters.failed) failed")
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Samples the resident set size every 20 ms on its own thread until stopped (a raw read of /proc/self/statm: the
/// sampler's CPU counts in the export's MB per CPU-second).
final class RSSSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var low = Double.infinity
    private var high = 0.0
    private var running = true
    private var thread: Thread?

    init() {
        let t = Thread { [self] in
            while true {
                let rss = ProcessProbe.residentMiB()
                lock.lock()
                low = min(low, rss)
                high = max(high, rss)
                let go = running
                lock.unlock()
                if !go { return }
                usleep(20_000)
            }
        }
        thread = t
        t.start()
    }

    func stop() -> (min: Double, max: Double) {
        lock.lock()
        running = false
        let r = (low, high)
        lock.unlock()
        return (r.0.isFinite ? r.0 : 0, r.1)
    }
}
