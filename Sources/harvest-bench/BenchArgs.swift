import Foundation

/// Command-line arguments of `harvest-bench`.
///
/// ```
/// harvest-bench [--scenario all|ceiling|harvest|latency|faults|scale|decode|export|verify|curate] [--prompts 10000] [--max-tokens 128]
///               [--logprobs 5] [--concurrency 64] [--latency-ms 0] [--latency-concurrency 2000]
///               [--samples 1] [--teacher URL] [--keep-db] [--export-db PATH] [--runs 1] [--exports LIST]
/// ```
struct BenchArgs {
    /// Which measurements to run.
    enum Scenario: String {
        /// Everything below, in order.
        case all
        /// The mock alone under a loopback load generator (no store), at 0 ms and at the latency setting.
        case ceiling
        /// harvest against the mock at 0 ms.
        case harvest
        /// harvest and the mock ceiling at 500 ms latency, many in flight, no logprobs.
        case latency
        /// harvest under the standard fault mix, next to a fault-free run.
        case faults
        /// harvest at 10× the jobs (RSS must stay flat).
        case scale
        /// CPU per answer of decoding, transcoding and validation (not part of `all`).
        case decode
        /// Export throughput: plain, `--with-logprobs` and `kd` exports from a filled store (not part of `all`).
        case export
        /// Verify-stage throughput: reading, judging on 1 and all threads, the whole stage (not part of `all`;
        /// `--prompts` counts answers, default 1,000,000).
        case verify
        /// `harvest curate` throughput (dedup, verify, re-run) on SQLite and, with `--db postgres://…`, PostgreSQL
        /// (not part of `all`; `--prompts` counts answers, default 100,000).
        case curate
    }

    var scenario = Scenario.all
    var prompts = 10_000
    /// Whether `--prompts` was given (the verify scenario's default is 1,000,000 answers).
    var promptsGiven = false
    var maxTokens = 128
    var logprobs: Int? = 5
    var concurrency = 64
    var latencyMs = 500.0
    var latencyConcurrency = 2000
    var samples = 1
    var teacher: String?
    var keepDB = false
    /// Export scenario: the store to export from; filled (and kept) when the file does not exist yet, reused as is
    /// otherwise, so runs compare on the same rows.
    var exportDB: String?
    /// Export scenario: how many times each export runs.
    var runs = 1
    /// Export scenario: which exports run (``ExportScenario/caseNames``), all when nil.
    var exports: [String]?
    /// Curate scenario: a PostgreSQL URL whose cluster gets a scratch database (SQLite only when nil).
    var db: String?
    /// Internal: run this one measurement in this process (the parent runs each in a child).
    var measure: String?

    /// The usage text (`--help`).
    static let usage = """
        usage: harvest-bench [--scenario all|ceiling|harvest|latency|faults|scale|decode|export|verify|curate] [--prompts 10000]
                             [--max-tokens 128] [--logprobs 5] [--concurrency 64] [--latency-ms 500]
                             [--latency-concurrency 2000] [--samples 1] [--teacher URL] [--keep-db]
                             [--export-db PATH] [--runs 1] [--exports openai,openai-logprobs,kd,kd-legacy,kd-scored]
                             [--db postgres://…  (scenario curate)]
        Prints throughput, CPU and memory figures; build with `swift build -c release` first.
        """

    /// Prints `message` and the usage to stderr and exits with status 2 (or prints the usage and exits 0 for help).
    static func fail(_ message: String?) -> Never {
        if let message {
            FileHandle.standardError.write(Data("harvest-bench: \(message)\n\(usage)\n".utf8))
            exit(2)
        }
        print(usage)
        exit(0)
    }

    init(_ argv: [String]) {
        var i = 1
        func next() -> String {
            i += 1
            guard i < argv.count else { Self.fail("missing value for \(argv[i - 1])") }
            return argv[i]
        }
        func number(_ text: String) -> Int {
            guard let value = Int(text) else { Self.fail("\(argv[i - 1]) needs a whole number, found \"\(text)\"") }
            return value
        }
        while i < argv.count {
            switch argv[i] {
            case "--scenario":
                guard let s = Scenario(rawValue: next()) else { Self.fail("unknown scenario \"\(argv[i])\"") }
                scenario = s
            case "--prompts": prompts = number(next()); promptsGiven = true
            case "--max-tokens": maxTokens = number(next())
            case "--logprobs": let v = number(next()); logprobs = v < 0 ? nil : v
            case "--concurrency": concurrency = number(next())
            case "--latency-ms":
                let text = next()
                guard let value = Double(text) else { Self.fail("--latency-ms needs a number, found \"\(text)\"") }
                latencyMs = value
            case "--latency-concurrency": latencyConcurrency = number(next())
            case "--samples": samples = number(next())
            case "--teacher": teacher = next()
            case "--keep-db": keepDB = true
            case "--export-db": exportDB = next()
            case "--runs": runs = max(1, number(next()))
            case "--exports": exports = next().split(separator: ",").map(String.init)
            case "--db": db = next()
            case "--measure": measure = next()
            case "--help", "-h": Self.fail(nil)
            default: Self.fail("unknown argument \(argv[i])")
            }
            i += 1
        }
    }

    /// Whether `s` is selected.
    func runs(_ s: Scenario) -> Bool { (scenario == .all && s != .decode && s != .export && s != .verify && s != .curate) || scenario == s }
}
