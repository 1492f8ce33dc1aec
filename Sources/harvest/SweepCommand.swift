import ArgumentParser
import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit

/// `harvest sweep SET --run`: send every missing job of a prompt set to the teacher and store the answers.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Harvest a prompt set from a teacher (foreground with --run). Re-running sends only what is missing.",
        discussion: """
            Without --teacher (and without a base_url in --config) the built-in mock teacher is started on loopback.
            The API key is read from the environment variable named by --api-key-env; it is never stored or logged.
            Repeat --teacher to spread requests over replicas of one teacher (least-loaded healthy replica first;
            job keys use --teacher-name, else the first URL, so replicas never change what counts as done).
            Exit codes: 0 all jobs done, 2 some jobs failed, 3 interrupted, 4 bad input, 5 database error,
            6 unknown prompt set, 7 teacher unreachable or not an OpenAI-compatible endpoint,
            8 stopped by a fail-fast rule (wrong key or quota, first attempts all failing, error rate, missing logprobs,
            every replica failing).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var teacherOptions: TeacherOptions
    @OptionGroup(title: "Traffic") var traffic: TrafficFlags

    @Argument(help: "Prompt set to harvest.")
    var set: String

    @Flag(help: "Run the sweep in the foreground until every job is done or failed.")
    var run = false

    @Option(help: "JSON config with teacher and sampling defaults (see harvest init).")
    var config: String?

    @Option(help: "Samples per prompt (each is a separate request, with seed + i when a seed is set).")
    var samples: Int?

    @Option(help: "Requests in flight at most.")
    var concurrency: Int?

    @Option(help: "Attempts per job in this run.")
    var maxAttempts: Int?

    @Option(help: "Sweep name (default: SET:MODEL:<hash of teacher, parameters and samples>).")
    var name: String?

    @Flag(help: "Also store each raw response body.")
    var keepRaw = false

    func validate() throws {
        guard run else {
            throw ValidationError("add --run to harvest in the foreground (queue-only sweeps for harvest serve are not available yet)")
        }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if let concurrency, concurrency < 1 || concurrency > 10_000 { throw ValidationError("--concurrency must be 1…10000") }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        try teacherOptions.validate()
    }

    func run() async throws {
        global.bootstrapLogging()
        var cfg = HarvestConfig()
        do {
            if let config { cfg = try HarvestConfig.load(path: config) }
        } catch {
            printError(error.description)
            throw ExitCode(HarvestExit.badInput)
        }
        var plan = SweepPlanBuilder(config: cfg, options: teacherOptions, samples: samples, concurrency: concurrency, maxAttempts: maxAttempts)
        plan.apply(traffic)
        let code = await SweepDriver(databasePath: global.databasePath, setName: set, plan: plan, keepRaw: keepRaw, sweepName: name).run()
        if code != 0 { throw ExitCode(code) }
    }
}

/// Teacher and sampling flags shared by `sweep` and `demo`.
struct TeacherOptions: ParsableArguments {
    @Option(help: "Teacher base URL, e.g. http://127.0.0.1:8000/v1 (default: the built-in mock teacher). Repeat it for replicas of one teacher.")
    var teacher: [String] = []

    @Option(help: "Model name sent to the teacher.")
    var model: String?

    @Option(help: "Endpoint: chat or completions.")
    var endpoint: String?

    @Option(help: "Name of the environment variable holding the API key (never the key itself).")
    var apiKeyEnv: String?

    @Option(help: "max_tokens per answer.")
    var maxTokens: Int?

    @Option(help: "Sampling temperature.")
    var temperature: Double?

    @Option(help: "Nucleus sampling top_p.")
    var topP: Double?

    @Option(help: "Base seed (sample i is sent with seed + i).")
    var seed: Int?

    @Option(help: "Stop sequence (repeatable).")
    var stop: [String] = []

    @Option(help: "Token logprobs: the number of top alternatives per token (0 = the chosen token only).")
    var logprobs: Int?

    @Option(help: "Extra JSON object merged into every request body, e.g. '{\"top_k\":20}'.")
    var extraBody: String?

    @Option(help: "Total timeout per request, seconds.")
    var timeout: Double?

    func validate() throws {
        if let endpoint, EndpointKind(rawValue: endpoint) == nil { throw ValidationError("--endpoint must be chat or completions") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let logprobs, logprobs < 0 || logprobs > 20 { throw ValidationError("--logprobs must be 0…20") }
        if let extraBody {
            guard case .object? = try? JSONValue.parse(extraBody) else { throw ValidationError("--extra-body must be a JSON object") }
        }
        for teacher in self.teacher where !(teacher.hasPrefix("http://") || teacher.hasPrefix("https://")) {
            throw ValidationError("--teacher must be an http:// or https:// URL")
        }
        if Set(self.teacher).count != self.teacher.count { throw ValidationError("--teacher lists the same URL twice") }
        if let apiKeyEnv, ProcessInfo.processInfo.environment[apiKeyEnv] == nil {
            throw ValidationError("--api-key-env names \(apiKeyEnv), but that environment variable is not set")
        }
    }
}
