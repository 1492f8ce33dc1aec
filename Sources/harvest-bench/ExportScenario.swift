import CurlTransport
import Foundation
import HarvestCore
import HarvestExport
import HarvestKit
import MockTeacher
import SQLiteStore

/// Export throughput end to end (SQLite read, HLP1 logprob decode, JSON writing, SHA-256, write): fills a store
/// from the in-process mock teacher (top-k logprobs), then times a plain `openai` export, `openai --with-logprobs`
/// and `kd`, printing MB/s of JSONL written, MB per CPU-second and the peak RSS seen during each export.
/// `harvest-bench --scenario export [--prompts 4000] [--max-tokens 256] [--logprobs 5] [--export-db PATH] [--runs N]`:
/// with `--export-db`, the store is filled once and kept there, and later runs export the same rows; `--runs` repeats
/// each export (the machine is shared: compare several runs).
enum ExportScenario {
    static func run(prompts: Int, maxTokens: Int, logprobs: Int?, database: String? = nil, runs: Int = 1) async throws {
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
        let cases: [(String, any ExportFormat, ExportOptions)] = [
            ("openai (no logprobs)", OpenAIChatFormat(), ExportOptions()),
            ("openai --with-logprobs", OpenAIChatFormat(), ExportOptions(withLogprobs: true)),
            ("kd (current shape)", KDFormat(closingTokenIds: [2, 198]), ExportOptions()),
            ("kd-legacy", KDFormat(shape: .legacy), ExportOptions()),
        ]
        for (label, format, options) in cases {
            for _ in 0..<runs { try exportOnce(store, dir: dir, label: label, format: format, options: options) }
        }
    }

    private static func exportOnce(_ store: SQLiteStore, dir: URL, label: String, format: any ExportFormat,
                                   options: ExportOptions) throws {
        let out = dir.appendingPathComponent("out.jsonl").path
        let sampler = RSSSampler()
        let cpu0 = ProcessProbe.cpuSeconds()
        let t0 = ContinuousClock.now
        let summary = try Exporter(store: store).export(ExportSelection(setName: "bench"),
                                                        plan: ExportPlan(format: format, options: options, output: .file(out)))
        let wall = seconds(ContinuousClock.now - t0)
        let cpu = ProcessProbe.cpuSeconds() - cpu0
        let rss = sampler.stop()
        let mb = Double(summary.uncompressedBytes) / 1e6
        let f = ProgressLine.fixed
        print("  \(label.padding(toLength: 24, withPad: " ", startingAt: 0)) \(summary.rows) rows, \(f(mb, 1)) MB in \(f(wall, 2)) s = "
            + "\(f(mb / wall, 0)) MB/s wall, \(f(mb / max(cpu, 1e-9), 0)) MB per CPU-second; RSS \(f(rss.min, 1))–\(f(rss.max, 1)) MiB")
        print("RESULT export=\(label.split(separator: " ")[0]) mbps=\(mb / wall) mbcpu=\(mb / max(cpu, 1e-9))")
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
