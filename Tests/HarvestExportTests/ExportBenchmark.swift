import Foundation
import HarvestCore
import HarvestExport
import Testing

/// Streaming throughput and memory; runs only with `HARVEST_BENCH=1` (use `-c release` for real figures).
@Suite("Export benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct ExportBenchmark {
    /// `VmRSS` and `VmHWM` of this process, in MiB.
    static func memory() -> (rss: Double, peak: Double) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
            }
            return 0
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// User + system CPU seconds of this process.
    static func cpuSeconds() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// A pool of distinct ~1 KB rows (no logprobs) cycled with fresh ids, so generating rows costs next to nothing.
    static func pool() -> [StoredResponse] {
        (0..<1_000).map { i in
            var row = synthetic(Int64(i + 1), answerBytes: 560)
            row.messages = [
                ChatMessage(role: "system", content: "You are a careful assistant. Answer precisely and show the key steps. #\(i)"),
                ChatMessage(role: "user", content: String(repeating: "Explain the difference between a list and a tuple. ", count: 5) + "\(i)"),
            ]
            row.choice.content = String(repeating: "A tuple is immutable \"and\" hashable;\n", count: 15) + "\(i)"
            return row
        }
    }

    static func run(rows total: Int, gzip: Bool, label: String) throws {
        let dir = TempDir("bench")
        defer { dir.remove() }
        let pool = Self.pool()
        let plan = ExportPlan(format: OpenAIChatFormat(), output: .file(dir.file("bench.jsonl" + (gzip ? ".gz" : ""))),
                              gzip: gzip, gzipLevel: 1)
        let before = memory()
        let started = ContinuousClock.now
        let cpuStart = cpuSeconds()
        let pipeline = try ExportPipeline(plan: plan, harvestVersion: "bench")
        var samples: [Double] = []
        for i in 0..<total {
            var row = pool[i % pool.count]
            row.id = Int64(i + 1)
            try pipeline.consume(row)
            if i % (total / 4) == total / 4 - 1 { samples.append(memory().rss) }
        }
        let manifest = try pipeline.finish()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpu = cpuSeconds() - cpuStart
        let after = memory()
        let mb = Double(manifest.files[0].uncompressedBytes) / 1e6
        print(String(format: "bench %@: %d rows, %.1f MB JSONL (%.1f MB on disk) in %.2f s = %.0f MB/s, %.0f rows/s (%.0f MB per CPU-second); "
                + "RSS before %.1f MiB, during %@ MiB, peak (VmHWM) %.1f MiB",
            label, total, mb, Double(manifest.bytes) / 1e6, seconds, mb / seconds, Double(total) / seconds, mb / cpu,
            before.rss, samples.map { String(format: "%.1f", $0) }.joined(separator: "/"), after.peak))
        #expect(manifest.rows == total)
    }

    @Test func millionRowsPlain() throws { try Self.run(rows: 1_000_000, gzip: false, label: "plain") }
    @Test func twoHundredThousandRowsGzipLevel1() throws { try Self.run(rows: 200_000, gzip: true, label: "gzip-1") }
}
