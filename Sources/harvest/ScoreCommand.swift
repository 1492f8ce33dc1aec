import ArgumentParser
import HarvestCore
import HarvestKit
import SQLiteStore

/// `harvest score SET --into NAME [--run …]`: builds the set of sequences to score from the stored answers of SET
/// and, with `--run`, scores it (a foreground sweep in scoring mode over NAME).
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score stored answers: per-position top-k of the teacher over prompt + answer, without generating.",
        discussion: """
            Adds every stored answer of SET (only those of --sweep ID when given; curated-out answers only with
            --include-dropped) to the prompt set NAME as its prompt's conversation followed by the answer as the assistant
            turn (member id PROMPT_ID#RESPONSE_ID; adding again adds only new answers). With --run it then runs the sweep
            `harvest sweep NAME --run --score FORM` would run: one job per sequence, keyed by the exact sequence, the mode
            and k, sent through the same traffic limits, retries, budgets and resume as sampling. FORM is echo
            (completions `echo` + `logprobs: K`, e.g. llama.cpp's server; needs --endpoint completions) or prompt-logprobs
            (vLLM `prompt_logprobs: K`, chat or completions). Without --run only the set is built (queue a configured
            sweep with sampling.score for harvest serve). Works on a SQLite file and on PostgreSQL (--db postgres://…) alike.
            Exit codes as for harvest sweep.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var teacherOptions: TeacherOptions
    @OptionGroup(title: "Traffic") var traffic: TrafficFlags

    @Argument(help: "The prompt set whose stored answers are scored.")
    var set: String

    @Option(help: "The prompt set that receives the sequences to score (created when missing).")
    var into: String

    @Option(help: "Only the answers of this sweep id.")
    var sweep: Int64?

    @Flag(help: "Also the answers curation marked as dropped.")
    var includeDropped = false

    @Flag(help: "Score the set in the foreground (needs --score FORM and --logprobs K).")
    var run = false

    @Option(help: "The config (teachers[]) whose teacher to use with --run.")
    var config: String?

    @Option(name: [.customLong("max-in-flight")], help: "Requests in flight at most.")
    var concurrency: Int?

    @Option(help: "Attempts per job in this run.")
    var maxAttempts: Int?

    @Option(help: "Sweep name (default: NAME:MODEL:<hash of teacher and parameters>).")
    var name: String?

    @Option(help: "With --run: seconds a first SIGINT/SIGTERM waits for in-flight requests.")
    var drainSeconds: Double?

    func validate() throws {
        guard into != set else { throw ValidationError("--into must name another set than \(set)") }
        guard run else {
            guard teacherOptions.isEmpty, traffic.isEmpty, config == nil, concurrency == nil, maxAttempts == nil, name == nil, drainSeconds == nil else {
                throw ValidationError("teacher, scoring, traffic and run flags apply to --run only")
            }
            return
        }
        guard teacherOptions.score != nil else { throw ValidationError("--run needs --score echo|prompt-logprobs") }
        if let concurrency, concurrency < 1 || concurrency > 10_000 { throw ValidationError("--max-in-flight must be 1…10000") }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        try teacherOptions.validate()
    }

    func run() async throws {
        global.bootstrapLogging()
        var spec: TeacherSpec?
        let location: StoreLocation
        do {
            if run {
                spec = try SweepTeacher.resolve(configPath: config, options: teacherOptions, traffic: traffic, maxInFlight: concurrency,
                                                maxAttempts: maxAttempts, keepRaw: false)
            }
            location = try global.location()
            let store = try StoreFactory.open(location)
            let outcome: ScoringSetBuilder.Outcome
            do {
                defer { store.close() }
                outcome = try await ScoringSetBuilder(store: store).build(from: set, sweepId: sweep, into: into, includeDropped: includeDropped)
            }
            printStatus("scoring set \"\(into)\": \(outcome.summary.added) sequences added, \(outcome.summary.unchanged) already there"
                        + " (\(outcome.answers) answers of \"\(set)\", \(outcome.skipped) left out: empty or scoring answers)")
        } catch {
            throw fail(error)
        }
        guard let spec else { return }
        let code = await SweepDriver(location: location, setName: into, spec: spec, samples: 1, sweepName: name,
                                     drainSeconds: drainSeconds ?? 30).run()
        if code != 0 { throw ExitCode(code) }
    }
}
