import ArgumentParser
import HarvestCurate
import HarvestKit
import HarvestVerify
import SQLiteStore

/// `harvest curate`: mark duplicates, contaminated prompts and bad answers of a set (never deletes; export skips them).
struct CurateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curate",
        abstract: "Mark exact/near duplicates, eval-set contamination and filtered answers of a set (export skips marked rows).",
        discussion: """
            Default pipeline: exact dedup and near dedup (threshold 0.8) of prompts and responses; filters and
            decontamination only when asked. --config FILE gives the pipeline as JSON (docs/CONFIG.md, Curation); flags
            override it. Incremental: unchanged stages only judge new rows; a stage with changed parameters is re-run
            and its old marks replaced; stages left out lose their marks. Bad eval files or patterns: exit 4, nothing marked.
            --verify judges answers against their prompts' reference answers; with --min-pass-rate/--max-pass-rate the
            stage filter.pass_rate then marks every answer of a prompt whose pass rate is outside the band.
            Works on SQLite and PostgreSQL (--db); on PostgreSQL a second run on the same set waits for the first.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The prompt set to curate.")
    var set: String

    @Flag(help: "Show what would change; write nothing.")
    var dryRun = false

    @Option(help: "JSON curation config (stages and parameters).")
    var config: String?

    @Flag(inversion: .prefixedNo, help: "Exact dedup of prompts and responses (default on).")
    var exact: Bool?

    @Option(help: "Near-dedup Jaccard threshold (default 0.8).")
    var nearThreshold: Double?

    @Flag(help: "No near dedup.")
    var noNear = false

    @Option(help: "What near dedup compares: prompts, responses or both.")
    var nearTarget: String?

    @Option(help: "Eval set file to decontaminate against (JSONL or one item per line; repeatable).")
    var decontaminate: [String] = []

    @Option(help: "Decontamination n-gram size in words (default 8).")
    var decontamN: Int?

    @Option(help: "JSONL field holding an eval item's text (repeatable; default question, prompt, problem).")
    var decontamField: [String] = []

    @Option(help: "Drop these finish reasons, e.g. length,content_filter.")
    var dropFinishReasons: String?

    @Option(help: "Drop answers with fewer completion tokens.") var minTokens: Int?
    @Option(help: "Drop answers with more completion tokens.") var maxTokens: Int?
    @Option(help: "Drop answers with fewer characters.") var minChars: Int?
    @Option(help: "Drop answers with more characters.") var maxChars: Int?

    @Flag(help: "Drop refusals (shipped phrase list).")
    var refusals = false

    @Option(help: "Drop answers matching this refusal pattern (ICU regex; (?i) for any case; repeatable).")
    var refusalRegex: [String] = []

    @Option(help: "Drop answers whose share of repeated word 3-grams exceeds this (e.g. 0.3).")
    var maxRepetition: Double?

    @Option(parsing: .unconditional, help: "Drop answers whose mean token logprob is below this (e.g. -2.5).")
    var minMeanLogprob: Double?

    @Flag(help: "Drop answers without reasoning.")
    var requireReasoning = false

    @Option(help: "Drop answers not matching this pattern (repeatable).")
    var mustMatch: [String] = []

    @Option(help: "Drop answers matching this pattern (repeatable).")
    var mustNotMatch: [String] = []

    @Flag(help: "Drop answers that are not valid JSON when the prompt asks for JSON.")
    var jsonValid = false

    @Flag(help: "Run the verify stage: judge answers against their prompts' reference answers (marks wrong and no_answer).")
    var verify = false

    @Option(help: "Verifier for prompts that name none: math, choice, exact, regex, json or none (default math; with --verify).")
    var verifier: String?

    @Option(help: "With --verify: mark every answer of a prompt whose pass rate (correct / judged samples) is below this (0…1).")
    var minPassRate: Double?

    @Option(help: "With --verify: mark every answer of a prompt whose pass rate is above this (0…1; e.g. 0.75 with --min-pass-rate 0.25).")
    var maxPassRate: Double?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let nearTarget, CurationSpec.target(nearTarget) == nil { throw ValidationError("--near-target must be prompts, responses or both") }
        if noNear && nearThreshold != nil { throw ValidationError("--no-near and --near-threshold contradict each other") }
        if let verifier, VerifierKind(name: verifier) == nil { throw ValidationError("--verifier must be one of \(VerifierKind.names)") }
        if verifier != nil && !verify && config == nil { throw ValidationError("--verifier needs --verify") }
        for (flag, v) in [("--min-pass-rate", minPassRate), ("--max-pass-rate", maxPassRate)] {
            if let v, !(0...1).contains(v) { throw ValidationError("\(flag) must be between 0 and 1") }
            if v != nil && !verify && config == nil { throw ValidationError("\(flag) needs --verify (pass rates come from its verdicts)") }
        }
        if let lo = minPassRate, let hi = maxPassRate, lo > hi { throw ValidationError("--min-pass-rate must not be above --max-pass-rate") }
    }

    /// The config file (if any) with the flags applied on top.
    func spec() throws(CurationError) -> CurationSpec {
        var s = try config.map { (path) throws(CurationError) in try CurationSpec.load(path: path) } ?? CurationSpec()
        if let exact { s.exact = exact }
        if let nearThreshold { s.nearThreshold = nearThreshold }
        if noNear { s.nearThreshold = nil }
        if let t = nearTarget.flatMap(CurationSpec.target) { s.nearTarget = t }
        s.evalFiles += decontaminate
        if let decontamN { s.decontamN = decontamN }
        if !decontamField.isEmpty { s.decontamFields = decontamField }
        if let d = dropFinishReasons { s.dropFinishReasons = d.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        s.minTokens = minTokens ?? s.minTokens
        s.maxTokens = maxTokens ?? s.maxTokens
        s.minChars = minChars ?? s.minChars
        s.maxChars = maxChars ?? s.maxChars
        s.refusals = s.refusals || refusals
        s.refusalPatterns += refusalRegex
        s.maxRepetition = maxRepetition ?? s.maxRepetition
        s.minMeanLogprob = minMeanLogprob ?? s.minMeanLogprob
        s.requireReasoning = s.requireReasoning || requireReasoning
        s.mustMatch += mustMatch
        s.mustNotMatch += mustNotMatch
        s.jsonValid = s.jsonValid || jsonValid
        s.verify = s.verify || verify
        if let kind = verifier.flatMap(VerifierKind.init(name:)) { s.verifier = kind }
        s.minPassRate = minPassRate ?? s.minPassRate
        s.maxPassRate = maxPassRate ?? s.maxPassRate
        return s
    }

    func run() async throws {
        global.bootstrapLogging()
        do {
            let spec = try spec()
            let curationConfig = try spec.makeConfig()
            let band = try spec.passRateBand()
            if spec.verifier != nil && !spec.verify {
                throw CurationError(.parameter, location: "verifier", "needs the verify stage", hint: "add --verify; nothing was marked")
            }
            let store = try StoreFactory.open(try global.location())
            defer { store.close() }
            var keep: Set<String> = spec.verify ? [VerificationRecord.stage] : []
            if band != nil { keep.insert(PassRateStage.stage) }
            let set = self.set, dryRun = self.dryRun
            let waiting = { printError("harvest curate: another curate run holds set '\(set)' (\(store.location)); waiting for it to finish") }
            let (report, verified, passRate) = try store.withCurationLock(setName: set, waiting: waiting) {
                let report = try Curator(store: store).run(setName: set, config: curationConfig, dryRun: dryRun, keepingStages: keep)
                guard spec.verify else { return (report, VerificationReport?.none, PassRateReport?.none) }
                let stage = AnswerVerifierStage(store: store, defaultVerifier: spec.verifier ?? .math)
                let verified = try stage.run(setName: set, dryRun: dryRun)
                let passRate = try band.map { try PassRateStage(store: store, band: $0).run(setName: set, dryRun: dryRun) }
                return (report, verified, passRate)
            }
            guard let verified else {
                print(json ? report.json() : report.table(), terminator: json ? "\n" : "")
                return
            }
            if json {
                let pass = passRate.map { ",\"pass_rate\":\($0.json(pretty: false))" } ?? ""
                print("{\"curation\":\(report.json(pretty: false)),\"verify\":\(verified.json(pretty: false))\(pass)}")
            } else {
                print(report.table(), terminator: "")
                print(verified.line())
                if let passRate { print(passRate.line()) }
            }
        } catch {
            throw fail(error)
        }
    }
}
