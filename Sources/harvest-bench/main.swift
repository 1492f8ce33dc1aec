import Foundation
import HarvestKit

// harvest-bench: measures harvest against the built-in mock teacher, which runs as a separate process
// (`harvest mock-teacher`, so its CPU is not counted as harvest's), next to the mock's own ceiling under a
// loopback load generator. Every measurement runs in a fresh child process, so peak RSS and CPU belong to it
// alone. Run the release build: `swift build -c release && .build/release/harvest-bench`.
// See docs/BENCHMARKS.md ("Teacher traffic") for the method and the figures.

let args = BenchArgs(CommandLine.arguments)
let f = ProgressLine.fixed

func printHeader(_ title: String) {
    print("\n== \(title) (load average \(ProcessProbe.loadAverage()))")
}

func printCeiling(_ r: LoadGenerator.Result) {
    print("  mock ceiling  \(f(r.requestsPerSecond, 0)) req/s overall, \(f(r.steadyRate, 0)) req/s steady (20–80 %) "
        + "(\(r.ok)/\(r.requests) ok in \(f(r.seconds, 2)) s; "
        + "mock CPU \(f(r.mockCPU * 1000 / Double(max(r.ok, 1)), 3)) ms/req, generator CPU "
        + "\(f(r.generatorCPU * 1000 / Double(max(r.ok, 1)), 3)) ms/req, generator peak RSS \(f(r.peakRSS, 0)) MiB)")
    print("RESULT rps=\(r.requestsPerSecond) steady=\(r.steadyRate)")
}

func printHarvest(_ r: HarvestScenario.Result) {
    let c = r.outcome.counters
    print("  jobs          \(r.jobs): done \(c.done), failed \(c.failed), retries \(c.retries), wall \(f(r.outcome.seconds, 2)) s")
    print("  throughput    \(f(r.requestsPerSecond, 0)) req/s overall, \(f(r.steadyRate, 0)) req/s steady (20–80 % of the jobs)")
    print("  harvest CPU   \(f(r.cpu, 2)) s = \(f(r.cpuMsPerRequest * 1000, 0)) ms per 1,000 requests (\(f(r.cpuMsPerRequest, 3)) ms/req); "
        + "mock CPU \(f(r.mockCPU * 1000 / Double(max(c.done, 1)), 3)) ms/req")
    print("  overhead      p50 \(f(r.overhead.percentile(0.5) * 1e6, 0)) µs, p99 \(f(r.overhead.percentile(0.99) * 1e6, 0)) µs, "
        + "mean \(f(r.overhead.mean * 1e6, 0)) µs (admission→send + body→commit, teacher latency excluded)")
    print("    of which    admission→send p50 \(f(r.toSend.percentile(0.5) * 1e6, 0)) µs, p99 \(f(r.toSend.percentile(0.99) * 1e6, 0)) µs; "
        + "body→durable commit p50 \(f(r.toCommit.percentile(0.5) * 1e6, 0)) µs, p99 \(f(r.toCommit.percentile(0.99) * 1e6, 0)) µs")
    print("  teacher       latency p50 \(f(r.latency.percentile(0.5) * 1e3, 1)) ms, p99 \(f(r.latency.percentile(0.99) * 1e3, 1)) ms (send→body, as harvest sees it); mean in flight \(f(r.meanInFlight, 1))")
    print("  peak RSS      \(f(r.peakRSS, 1)) MiB during the sweep")
    print("  DB size       \(f(Double(r.dbBytes) / 1_048_576, 1)) MiB (\(f(Double(r.dbBytes) / Double(max(c.done, 1)) / 1024, 1)) KiB per response); "
        + "import \(f(r.importSeconds, 2)) s, enqueue \(f(r.enqueueSeconds, 2)) s")
    if r.logprobs.positions > 0 {
        let l = r.logprobs
        print("  logprobs      \(f(l.bytesPerPosition, 1)) bytes per position (HLP2 blobs \(f(Double(l.blobBytes) / Double(l.positions), 1)) "
            + "+ vocabulary \(l.vocabularyEntries) entries, \(l.vocabularyBytes) bytes; \(l.positions) positions in \(l.responses) responses)")
    }
    if ProcessInfo.processInfo.environment["HARVEST_BENCH_THREADS"] != nil {
        print("  threads       " + r.threads.prefix(6).map { "\($0.0) \(f($0.1, 2)) s" }.joined(separator: ", "))
    }
    print("RESULT rps=\(r.requestsPerSecond) steady=\(r.steadyRate) seconds=\(r.outcome.seconds) done=\(c.done) jobs=\(r.jobs)")
}

/// One measurement, in this process.
func measure(_ name: String) async throws {
    switch name {
    case "ceiling0":
        printHeader("mock alone, 0 ms, \(args.concurrency) in flight")
        printCeiling(try await ceiling(latencyMs: 0, concurrency: args.concurrency, logprobs: args.logprobs, total: args.prompts))
    case "harvest0":
        printHeader("harvest, 0 ms, \(args.concurrency) in flight")
        printHarvest(try await harvest(latencyMs: 0, concurrency: args.concurrency, logprobs: args.logprobs, prompts: args.prompts))
    case "daemon0":
        printHeader("harvest serve (daemon path), 0 ms, \(args.concurrency) in flight")
        let (mock, url) = try ProcessProbe.startMock(latencyMs: 0)
        defer { ProcessProbe.stop(mock) }
        let r = try await DaemonScenario(baseURL: args.teacher ?? url, prompts: args.prompts, samples: args.samples, maxTokens: args.maxTokens,
                                         logprobs: args.logprobs, concurrency: args.concurrency).run()
        print("  jobs          \(r.jobs): done \(r.done), wall \(f(r.seconds, 2)) s")
        print("  throughput    \(f(r.requestsPerSecond, 0)) req/s overall; harvest CPU \(f(r.cpu * 1000 / Double(max(r.done, 1)), 3)) ms/req")
        print("RESULT rps=\(r.requestsPerSecond) seconds=\(r.seconds) done=\(Double(r.done)) jobs=\(Double(r.jobs))")
    case "ceiling500":
        printHeader("mock alone, \(f(args.latencyMs, 0)) ms, \(args.latencyConcurrency) in flight, no logprobs")
        printCeiling(try await ceiling(latencyMs: args.latencyMs, concurrency: args.latencyConcurrency, logprobs: nil, total: args.prompts))
    case "harvest500":
        printHeader("harvest, \(f(args.latencyMs, 0)) ms, \(args.latencyConcurrency) in flight, no logprobs")
        printHarvest(try await harvest(latencyMs: args.latencyMs, concurrency: args.latencyConcurrency, logprobs: nil, prompts: args.prompts))
    case "clean":
        printHeader("harvest, 0 ms, fault-free reference with the 1 s stall limit")
        printHarvest(try await harvest(latencyMs: 0, concurrency: args.concurrency, logprobs: args.logprobs, prompts: args.prompts, idle: 1))
    case "faults":
        printHeader("harvest, 0 ms, faults: 5 % 429 (Retry-After 1 s), 2 % 500, 1 % truncated, 1 % reset, 0.5 % 30 s stalls; 1 s stall limit")
        printHarvest(try await harvest(latencyMs: 0, concurrency: args.concurrency, logprobs: args.logprobs, prompts: args.prompts,
                                       faults: ["--rate429", "0.05", "--retry-after", "1", "--rate500", "0.02", "--rate-truncated", "0.01",
                                                "--rate-reset", "0.01", "--rate-stall", "0.005", "--stall-seconds", "30"], idle: 1))
    case "scale":
        printHeader("harvest, 0 ms, \(args.concurrency) in flight, \(args.prompts * 10) jobs (10×)")
        printHarvest(try await harvest(latencyMs: 0, concurrency: args.concurrency, logprobs: args.logprobs, prompts: args.prompts * 10))
    case "export":
        printHeader("export throughput (SQLite → JSONL), \(args.prompts) answers")
        try await ExportScenario.run(prompts: args.prompts, maxTokens: args.maxTokens, logprobs: args.logprobs,
                                     database: args.exportDB, runs: args.runs, only: args.exports)
    case "verify":
        let answers = args.promptsGiven ? args.prompts : 1_000_000
        printHeader("verify stage, \(answers) answers")
        try VerifyScenario.run(answers: answers)
    case "curate":
        let answers = args.promptsGiven ? args.prompts : 100_000
        printHeader("curate (dedup + verify), \(answers) answers, SQLite\(args.db == nil ? "" : " and PostgreSQL")")
        try await CurateScenario.run(answers: answers, postgresURL: args.db)
    case "decode":
        printHeader("hot steps per answer")
        try await DecodeScenario.run(maxTokens: args.maxTokens, logprobs: args.logprobs)
    default:
        fatalError("unknown measurement \(name)")
    }
}

func ceiling(latencyMs: Double, concurrency: Int, logprobs: Int?, total: Int) async throws -> LoadGenerator.Result {
    let (mock, url) = try ProcessProbe.startMock(latencyMs: latencyMs)
    defer { ProcessProbe.stop(mock) }
    let generator = LoadGenerator(baseURL: url, concurrency: concurrency, maxTokens: args.maxTokens, logprobs: logprobs)
    return try await generator.run(total: total, mockPID: mock.processIdentifier)
}

func harvest(latencyMs: Double, concurrency: Int, logprobs: Int?, prompts: Int, faults: [String] = [],
             idle: Double = 0) async throws -> HarvestScenario.Result {
    let (mock, url) = try ProcessProbe.startMock(latencyMs: latencyMs, extra: faults)
    defer { ProcessProbe.stop(mock) }
    var scenario = HarvestScenario(baseURL: args.teacher ?? url, prompts: prompts, samples: args.samples, maxTokens: args.maxTokens,
                                   logprobs: logprobs, concurrency: concurrency, keepDB: args.keepDB)
    scenario.idleTimeout = idle
    scenario.firstByteTimeout = idle
    return try await scenario.run(mockPID: mock.processIdentifier)
}

/// Runs one measurement in a fresh child process, echoes its lines, and returns its `RESULT` values.
func child(_ name: String) throws -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = Array(CommandLine.arguments.dropFirst()) + ["--measure", name]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    var values: [String: Double] = [:]
    for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("RESULT ") {
            for pair in line.dropFirst(7).split(separator: " ") {
                let kv = pair.split(separator: "=")
                if kv.count == 2 { values[String(kv[0])] = Double(kv[1]) }
            }
        } else {
            print(line)
        }
    }
    fflush(nil)
    return values
}

if let name = args.measure {
    try await measure(name)
    exit(0)
}

print("harvest-bench: \(args.prompts) jobs × \(args.samples) samples, max_tokens \(args.maxTokens), "
    + "top_logprobs \(args.logprobs.map(String.init) ?? "off"), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
    + "Swift release build, \(Date())")
/// `harvest / mock ceiling` overall and steady.
func ratio(_ h: [String: Double], _ c: [String: Double]?) {
    guard let c, let hr = h["rps"], let cr = c["rps"], let hs = h["steady"], let cs = c["steady"], cr > 0, cs > 0 else { return }
    print("  ratio         harvest / mock ceiling = \(f(hr / cr * 100, 0)) % overall, \(f(hs / cs * 100, 0)) % steady")
}
var ceilingRun: [String: Double]?
if args.teacher == nil, args.runs(.ceiling) || args.runs(.harvest) || args.runs(.scale) {
    ceilingRun = try child("ceiling0")
}
if args.runs(.harvest) {
    let foreground = try child("harvest0")
    ratio(foreground, ceilingRun)
    let daemon = try child("daemon0")
    if let fg = foreground["rps"], let dm = daemon["rps"] {
        print("  daemon path   \(f(dm, 0)) req/s next to the foreground's \(f(fg, 0)) req/s (\(f(dm / max(fg, 1e-9) * 100, 0)) %)")
    }
}
if args.runs(.latency) {
    let c = try child("ceiling500")
    ratio(try child("harvest500"), c)
}
if args.runs(.faults) {
    let clean = try child("clean")
    let faulty = try child("faults")
    if let a = clean["seconds"], let b = faulty["seconds"], let done = faulty["done"], let jobs = faulty["jobs"] {
        print("  under faults  \(Int(jobs - done)) jobs not done; completion time \(f(b / a, 2))× the fault-free run")
    }
}
if args.runs(.scale) { ratio(try child("scale"), ceilingRun) }
if args.runs(.export) {
    _ = try child("export")
}
if args.runs(.decode) {
    _ = try child("decode")
}
if args.runs(.verify) {
    _ = try child("verify")
}
if args.runs(.curate) {
    _ = try child("curate")
}
