import Foundation
import HarvestCore
import PostgresStore

/// `harvest-pg-bench --url postgres://… [--answers 20000] [--positions 128] [--top 5] [--writers 64] [--connections 3]
/// [--setup-only | --prepared]`
///
/// Stores synthetic answers (every position with `--top` alternatives, tokens drawn from a 32,000-token vocabulary)
/// into a PostgreSQL database through `PostgresStore.commitSuccess`, from `--writers` concurrent tasks (as a
/// runner's in-flight answers arrive), and prints answers/s. The answers are built before the clock starts, so
/// the figure is the store's: statements, `HLP2` encoding against the teacher's vocabulary, commits.
/// Use an empty database: it imports a prompt set and creates a sweep named `bench`. For repeated runs,
/// `--setup-only` prepares a database and exits; copies of it (`CREATE DATABASE … TEMPLATE …`) are then run with
/// `--prepared`, which skips the import (the sweep is looked up, its jobs already exist).
struct Args {
    var url = ""
    var answers = 20_000
    var positions = 128
    var top = 5
    var writers = 64
    var connections = 3
    var setupOnly = false
    var prepared = false

    static func parse() -> Args {
        var a = Args()
        var it = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            if flag == "--setup-only" { a.setupOnly = true; continue }
            if flag == "--prepared" { a.prepared = true; continue }
            guard let value = it.next() else { fail("\(flag) needs a value") }
            switch flag {
            case "--url": a.url = value
            case "--answers": a.answers = Int(value) ?? 0
            case "--positions": a.positions = Int(value) ?? 0
            case "--top": a.top = Int(value) ?? 0
            case "--writers": a.writers = Int(value) ?? 0
            case "--connections": a.connections = Int(value) ?? 0
            default: fail("unknown flag \(flag)")
            }
        }
        guard !a.url.isEmpty, a.answers > 0, a.positions > 0, a.top >= 0, a.writers > 0, a.connections > 0 else {
            fail("usage: harvest-pg-bench --url postgres://… [--answers N] [--positions N] [--top K] [--writers N] [--connections N] [--setup-only | --prepared]")
        }
        return a
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}

/// Writes a line to standard output at once (unbuffered, also into a file: a profiler waits for "setup:").
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A deterministic answer for job `i`: `positions` tokens with `top` alternatives each.
func answer(_ job: Job, positions: Int, top: Int) -> (AttemptRecord, ResponseRecord) {
    var rng = UInt64(job.id) &* 0x9E37_79B9_7F4A_7C15 | 1
    func next() -> Int {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
        return Int(rng % 32_000)
    }
    var tokens: [TokenLogprob] = []
    tokens.reserveCapacity(positions)
    for p in 0..<positions {
        let id = next()
        var alternatives = [TopLogprob(token: "tok\(id)", logprob: -0.05, tokenId: id)]
        for k in 1..<max(1, top) {
            let alt = next()
            alternatives.append(TopLogprob(token: "tok\(alt)", logprob: -Double(k) - Double(p % 7) / 10, tokenId: alt))
        }
        tokens.append(TokenLogprob(token: "tok\(id)", logprob: -0.05, tokenId: id, top: Array(alternatives.prefix(top))))
    }
    var choice = CompletionChoice(index: 0, content: tokens.map(\.token).joined(separator: " "), finishReason: "length")
    choice.encodedLogprobs = LogprobCodec.encode(tokens)
    choice.encodedLogprobCount = tokens.count
    let now = Date().timeIntervalSince1970
    return (AttemptRecord(jobId: job.id, startedAt: now, latencyMs: 100, httpStatus: 200, outcome: .success),
            ResponseRecord(jobId: job.id, choice: choice, usage: Usage(promptTokens: 20, completionTokens: positions, totalTokens: 20 + positions),
                           model: "bench", receivedAt: now))
}

let args = Args.parse()
let store = try PostgresStore(url: args.url, connections: args.connections)
let prompts = (0..<args.answers).map { i in
    PromptInput(externalId: "b\(i)", messages: [ChatMessage(role: "user", content: "benchmark prompt \(i)")], source: InputLocation(file: "bench", line: i + 1))
}
var clock = ContinuousClock.now
if !args.prepared { _ = try await store.importPrompts(setName: "bench", prompts: prompts, sourceName: "bench") }
let sweep = try await store.createSweep(name: "bench", setName: "bench", teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "bench"),
                                        params: SamplingParams(maxTokens: args.positions, topLogprobs: args.top), samples: 1)
let setup = ContinuousClock.now - clock
if args.setupOnly {
    say("setup: \(args.answers) prompts imported and jobs created in \(setup); use this database as a template with --prepared")
    store.close()
    exit(0)
}
var jobs: [Job] = []
clock = ContinuousClock.now
while true {
    let batch = try await store.claimJobs(sweepId: sweep.sweepId, owner: "bench", limit: 1024, leaseSeconds: 3600)
    if batch.isEmpty { break }
    jobs += batch
}
let claiming = ContinuousClock.now - clock
let work = jobs.map { answer($0, positions: args.positions, top: args.top) }
say("setup: \(args.answers) prompts imported and jobs created in \(setup); \(jobs.count) jobs claimed in \(claiming)")

let watcher = try PostgresConnection(url: PostgresURL(args.url))
let backends = try ServerCPU(watcher)
let cpuBefore = (own: ServerCPU.ownSeconds(), server: backends.seconds())
let next = Counter()
clock = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<args.writers {
        group.addTask {
            while let i = next.take(below: work.count) {
                try await store.commitSuccess(work[i].0, response: work[i].1)
            }
        }
    }
    try await group.waitForAll()
}
let elapsed = ContinuousClock.now - clock
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let cpuAfter = (own: ServerCPU.ownSeconds(), server: backends.seconds())
let states = try await store.jobStates(sweepId: sweep.sweepId)
say(String(format: "stored %d answers (%d positions × top-%d) in %.2f s: %.0f answers/s (%d writers, %d connections); done jobs: %d",
             work.count, args.positions, args.top, seconds, Double(work.count) / seconds, args.writers, args.connections, states[.done] ?? 0))
let perAnswer = { (a: Double?, b: Double?) in a.flatMap { a in b.map { String(format: "%.3f ms", ($0 - a) * 1000 / Double(work.count)) } } ?? "n/a" }
say("CPU per answer: this process \(perAnswer(cpuBefore.own, cpuAfter.own)), its PostgreSQL backends \(perAnswer(cpuBefore.server, cpuAfter.server))"
      + " (\(backends.pids.count) backends; n/a when the server is not local)")
store.close()

/// Hands out indices to the writers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// CPU time of this process and of the store's PostgreSQL backends (read from /proc when the server runs on this
/// machine), to tell the client's cost per answer from the server's.
struct ServerCPU {
    let pids: [Int]

    /// The backends of the store's connections (application `harvest`, this database, not `c` itself).
    init(_ c: PostgresConnection) throws {
        let r = try c.execute("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'harvest' AND pid <> pg_backend_pid()
            """)
        pids = try (0..<r.count).map { try r.int($0, 0) }
    }

    /// The backends' user + system seconds, nil when /proc does not show them.
    func seconds() -> Double? {
        var total = 0.0
        for pid in pids {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields after the command: state is 3rd overall, utime 14th, stime 15th.
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            total += (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        return total
    }

    /// This process's user + system seconds.
    static func ownSeconds() -> Double? {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}
