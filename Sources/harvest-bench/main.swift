import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore

// harvest-bench: harvests N generated prompts from the built-in mock teacher running as a separate process
// (`harvest mock-teacher`, so its CPU is not counted), then prints req/s, harvest's CPU seconds, peak RSS and DB size.
//
// Usage: harvest-bench [--prompts 10000] [--max-tokens 128] [--logprobs 5] [--concurrency 64] [--latency-ms 0]
//                      [--samples 1] [--teacher URL] [--keep-db]

struct BenchArgs {
    var prompts = 10_000
    var maxTokens = 128
    var logprobs: Int? = 5
    var concurrency = 64
    var latencyMs = 0.0
    var samples = 1
    var teacher: String?
    var keepDB = false

    init(_ argv: [String]) {
        var i = 1
        func next() -> String {
            i += 1
            guard i < argv.count else { fatalError("missing value for \(argv[i - 1])") }
            return argv[i]
        }
        while i < argv.count {
            switch argv[i] {
            case "--prompts": prompts = Int(next())!
            case "--max-tokens": maxTokens = Int(next())!
            case "--logprobs": let v = Int(next())!; logprobs = v < 0 ? nil : v
            case "--concurrency": concurrency = Int(next())!
            case "--latency-ms": latencyMs = Double(next())!
            case "--samples": samples = Int(next())!
            case "--teacher": teacher = next()
            case "--keep-db": keepDB = true
            default: fatalError("unknown argument \(argv[i])")
            }
            i += 1
        }
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}

func startMock(latencyMs: Double) throws -> (Process, Int) {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("harvest")
    let process = Process()
    process.executableURL = exe
    process.arguments = ["mock-teacher", "--port", "0", "--latency-ms", "\(latencyMs)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    var buffer = Data()
    while !buffer.contains(0x0A) {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { fatalError("mock teacher exited before printing its port") }
        buffer.append(chunk)
    }
    let line = String(decoding: buffer, as: UTF8.self)
    guard let range = line.range(of: "127.0.0.1:"),
          let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else { fatalError("cannot read the port from: \(line)") }
    return (process, port)
}

let args = BenchArgs(CommandLine.arguments)
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let dbPath = dir.appendingPathComponent("bench.sqlite").path

var mockProcess: Process?
var baseURL = args.teacher
if baseURL == nil {
    let (process, port) = try startMock(latencyMs: args.latencyMs)
    mockProcess = process
    baseURL = "http://127.0.0.1:\(port)/v1"
}

let store = try SQLiteStore(path: dbPath)
let prompts = (0..<args.prompts).map { i in
    PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: "Benchmark prompt number \(i): explain topic \(i % 97) briefly.")],
                source: InputLocation(file: "bench", line: i + 1))
}
let t0 = Date()
_ = try store.importPrompts(setName: "bench", prompts: prompts, sourceName: "bench")
let importSeconds = Date().timeIntervalSince(t0)
let params = SamplingParams(maxTokens: args.maxTokens, temperature: 0.7, seed: 7, topLogprobs: args.logprobs)
let teacher = TeacherEndpoint(baseURL: baseURL!, model: "mock-teacher")
let t1 = Date()
let sweep = try store.createSweep(name: "bench", setName: "bench", teacher: teacher, params: params, samples: args.samples)
let enqueueSeconds = Date().timeIntervalSince(t1)

let transport = try CurlTransport(configuration: .init(maxConnections: args.concurrency * 2))
let client = TeacherClient(transport: transport, apiKey: nil)
let runner = SweepRunner(store: store, client: client, options: SweepOptions(concurrency: args.concurrency))
let cpuBefore = cpuSeconds()
let outcome = try await runner.run(sweepId: sweep.sweepId)
let cpu = cpuSeconds() - cpuBefore
transport.shutdown()
mockProcess?.terminate()

let dbBytes = ((try? FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? Int) ?? 0)
    + ((try? FileManager.default.attributesOfItem(atPath: dbPath + "-wal")[.size] as? Int) ?? 0)
let n = outcome.counters.done
print("harvest-bench: \(sweep.totalJobs) jobs, max_tokens \(args.maxTokens), top_logprobs \(args.logprobs.map(String.init) ?? "off"), concurrency \(args.concurrency), mock latency \(args.latencyMs) ms")
print("  done          \(n) (failed \(outcome.counters.failed), retries \(outcome.counters.retries))")
print("  wall          \(ProgressLine.fixed(outcome.seconds, 2)) s")
print("  throughput    \(ProgressLine.fixed(Double(n) / outcome.seconds, 0)) req/s")
print("  harvest CPU   \(ProgressLine.fixed(cpu, 2)) s (\(ProgressLine.fixed(cpu * 1000 / Double(max(n, 1)), 3)) ms per request)")
print("  peak RSS      \(ProgressLine.fixed(peakRSSMiB(), 1)) MiB")
print("  DB size       \(ProgressLine.fixed(Double(dbBytes) / 1_048_576, 1)) MiB (\(ProgressLine.fixed(Double(dbBytes) / Double(max(n, 1)) / 1024, 1)) KiB per response)")
print("  import        \(ProgressLine.fixed(importSeconds, 2)) s, enqueue \(ProgressLine.fixed(enqueueSeconds, 2)) s")
if !args.keepDB { try? FileManager.default.removeItem(at: dir) } else { print("  database kept at \(dbPath)") }
