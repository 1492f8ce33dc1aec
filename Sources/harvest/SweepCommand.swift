import ArgumentParser
import Foundation
import HarvestCore
import HarvestDaemon
import HarvestJSON
import HarvestKit
import SQLiteStore

/// `harvest sweep NAME`: queue a run of a configured sweep for `harvest serve` (returns at once).
/// `harvest sweep SET --run`: send every missing job of a prompt set to the teacher and store the answers.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Queue a configured sweep for harvest serve, or harvest a prompt set in the foreground (--run).",
        discussion: """
            harvest sweep NAME [--config FILE]: queues a run of the sweep NAME of the daemon config (--config, else
            $HARVEST_CONFIG, else /etc/harvest/harvest.json) and prints the run id on stdout. Idempotent: while the sweep
            has an active run, that run is reused; a new run links only the jobs still missing. Nothing is sent here:
            harvest serve sends the jobs. Exit codes: 0 queued, 4 bad config or prompt file, 5 database error
            (locked, unreadable), 6 unknown sweep or prompt set.

            harvest sweep SET --run: harvests the prompt set SET in the foreground. With --config FILE it uses the
            teacher of that config named by --teacher-name (or its only teacher): URLs, key variable, sampling
            defaults, limits, timeouts, breaker and fail-fast keys; flags override single fields. Without --config
            and --teacher the built-in mock teacher is started on loopback. The API key is read from the
            environment variable named by --api-key-env (or api_key_env); it is never stored or logged.
            Repeat --teacher to spread requests over replicas of one teacher (least-loaded healthy replica first;
            job keys use --teacher-name, else MODEL@KIND (never the URL), so replicas and new ports never change what counts as done).
            A first SIGINT/SIGTERM stops claiming and waits up to --drain-seconds (30) for in-flight answers, then
            abandons the rest (their jobs go back to pending); a second one stops at once. When the database refuses
            writes (disk full, read-only), no new jobs are claimed, answers in flight are committed or saved to
            harvest-rescue.jsonl beside the database, and the command exits 5; the next run imports that file first.
            Exit codes: 0 all jobs done, 2 some jobs failed, 3 interrupted, 4 bad input, 5 database error,
            6 unknown prompt set, 7 teacher unreachable or not an OpenAI-compatible endpoint,
            8 stopped by a fail-fast rule (wrong key or quota, first attempts all failing, error rate, missing logprobs,
            every replica failing).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var teacherOptions: TeacherOptions
    @OptionGroup(title: "Traffic") var traffic: TrafficFlags
    @OptionGroup(title: "Batch") var batch: BatchFlags

    @Argument(help: "A sweep of the daemon config (queued), or with --run the prompt set to harvest.")
    var set: String

    @Flag(help: "Run the sweep in the foreground until every job is done or failed.")
    var run = false

    @Option(help: "The config (teachers[] and sweeps[], docs/CONFIG.md): the sweep NAME to queue, or with --run the teacher to use.")
    var config: String?

    @Option(help: "Samples per prompt (each is a separate request, with seed + i when a seed is set).")
    var samples: Int?

    @Option(name: [.customLong("max-in-flight"), .customLong("concurrency")],
            help: "Requests in flight at most (limits.max_in_flight; --concurrency is the old name).")
    var concurrency: Int?

    @Option(help: "Attempts per job in this run.")
    var maxAttempts: Int?

    @Option(help: "Sweep name (default: SET:MODEL:<hash of teacher, parameters and samples>).")
    var name: String?

    @Flag(help: "Also store each raw response body (keep_raw).")
    var keepRaw = false

    @Option(help: "With --run: seconds a first SIGINT/SIGTERM waits for in-flight requests before abandoning them (default 30).")
    var drainSeconds: Double?

    @Option(help: "With --run: where paid answers the database refuses are saved (default: harvest-rescue.jsonl beside the database; best on another disk).")
    var rescueFile: String?

    func validate() throws {
        guard run else {
            let foregroundOnly = batch.via == .requests && teacherOptions.isEmpty && samples == nil && concurrency == nil && maxAttempts == nil
                && name == nil && !keepRaw && traffic.isEmpty && drainSeconds == nil && rescueFile == nil
            guard foregroundOnly else {
                throw ValidationError("teacher, sampling, traffic and --samples/--max-in-flight/--max-attempts/--name/--keep-raw/--via flags apply to --run only; a queued sweep takes its settings from the config")
            }
            return
        }
        if batch.via == .batch, teacherOptions.score != nil { throw ValidationError("--score runs through requests: batch APIs score no sequences (drop --via batch)") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if let concurrency, concurrency < 1 || concurrency > 10_000 { throw ValidationError("--max-in-flight must be 1…10000") }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if let drainSeconds, !(drainSeconds >= 0 && drainSeconds <= 86_400) { throw ValidationError("--drain-seconds must be 0…86400") }
        try teacherOptions.validate()
    }

    func run() async throws {
        global.bootstrapLogging()
        guard run else { return try await enqueue() }
        let spec: TeacherSpec
        do {
            spec = try SweepTeacher.resolve(configPath: config, options: teacherOptions, traffic: traffic, maxInFlight: concurrency,
                                            maxAttempts: maxAttempts, keepRaw: keepRaw)
        } catch {
            throw fail(error)
        }
        let location: StoreLocation
        do {
            location = try global.location()
        } catch {
            throw fail(error)
        }
        if batch.via == .batch {
            let code = await BatchSweepDriver(location: location, setName: set, spec: spec, samples: samples ?? 1,
                                              settings: batch.settings(over: spec.batch), sweepName: name).run()
            if code != 0 { throw ExitCode(code) }
            return
        }
        let code = await SweepDriver(location: location, setName: set, spec: spec, samples: samples ?? 1, sweepName: name,
                                     drainSeconds: drainSeconds ?? 30, rescueFile: rescueFile).run()
        if code != 0 { throw ExitCode(code) }
    }
}

extension SweepCommand {
    /// Queues a run of the configured sweep `set` and prints its id on stdout.
    func enqueue() async throws {
        let path = ConfigPaths.locate(explicit: config, useSystemDefault: true) ?? ConfigPaths.systemDefault
        do {
            let daemonConfig = try DaemonConfig.load(path: path)
            let database = daemonConfig.resolveDatabase(flag: global.db)
            let store = try StoreFactory.open(try StoreLocation(parsing: database))
            defer { store.close() }
            let who = ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
            let run = try await SweepQueue(store: store).enqueue(sweepNamed: set, config: daemonConfig, requestedBy: who)
            let sweep = run.sweep
            let what: String
            switch (run.reused, run.state) {
            case (true, _): what = "already queued as run \(run.runId); \(run.queued) jobs still to send"
            case (false, .done): what = "nothing missing (\(sweep.alreadyDone) of \(sweep.totalJobs) jobs done); run \(run.runId) is empty"
            case (false, _): what = "queued run \(run.runId): \(run.queued) jobs to send (\(sweep.newJobs) new, \(sweep.requeuedFailed) failed jobs retried, \(sweep.alreadyDone) already done)"
            }
            printStatus("sweep \"\(set)\" (id \(run.sweepId)) in \(database): \(what)")
            print(run.runId)
        } catch {
            throw fail(error)
        }
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

    @Option(help: "The teacher's server software, for its own request members (token ids, scoring): vllm (default), sglang or openai (config key server).")
    var server: String?

    @Option(help: "Name of the environment variable holding the API key (never the key itself).")
    var apiKeyEnv: String?

    @Option(help: "max_tokens per answer.")
    var maxTokens: Int?

    @Option(help: "Sampling temperature.")
    var temperature: Double?

    @Option(help: "Nucleus sampling top_p.")
    var topP: Double?

    @Option(parsing: .unconditional, help: "Base seed (sample i is sent with seed + i; may be negative).")
    var seed: Int?

    @Option(help: "Stop sequence (repeatable).")
    var stop: [String] = []

    @Option(help: "Token logprobs: the number of top alternatives per token (0 = the chosen token only).")
    var logprobs: Int?

    @Flag(help: "Ask for token ids with the logprobs (--server vllm: return_tokens_as_token_ids; sglang: return_token_ids, sampled tokens only; needs --logprobs).")
    var tokenIds = false

    @Option(help: "Scoring mode instead of sampling: echo (completions echo + logprobs) or prompt-logprobs (vLLM prompt_logprobs; not on --server sglang or openai); the prompts must end with the assistant turn to score; needs --logprobs K.")
    var score: String?

    @Option(help: "Extra JSON object merged into every request body, e.g. '{\"top_k\":20}'.")
    var extraBody: String?

    @Option(name: [.customLong("total-timeout"), .customLong("timeout")], help: "Total timeout per request, seconds (total_timeout; --timeout is the old name).")
    var timeout: Double?

    /// True when no flag was given.
    var isEmpty: Bool {
        teacher.isEmpty && model == nil && endpoint == nil && server == nil && apiKeyEnv == nil && maxTokens == nil && temperature == nil && topP == nil
            && seed == nil && stop.isEmpty && logprobs == nil && !tokenIds && extraBody == nil && timeout == nil && score == nil
    }

    func validate() throws {
        if let endpoint, EndpointKind(rawValue: endpoint) == nil { throw ValidationError("--endpoint must be chat or completions") }
        if let server, TeacherServer(rawValue: server) == nil {
            throw ValidationError("--server must be " + TeacherServer.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let logprobs, logprobs < 0 || logprobs > 20 { throw ValidationError("--logprobs must be 0…20") }
        if let score, ScoreForm(flag: score) == nil { throw ValidationError("--score must be echo or prompt-logprobs") }
        if let extraBody {
            guard case .object(let members)? = try? JSONValue.parse(extraBody) else { throw ValidationError("--extra-body must be a JSON object") }
            if let owned = SamplingParams(extraBody: members).ownedExtraKeys.first {
                throw ValidationError("--extra-body sets \"\(owned)\", which harvest sets itself; it may not set \(SamplingParams.ownedBodyKeys.joined(separator: ", "))")
            }
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
