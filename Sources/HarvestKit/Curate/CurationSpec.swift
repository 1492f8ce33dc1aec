import HarvestCurate
import HarvestVerify

/// What `harvest curate` runs, as the user describes it (a JSON config file and/or flags); ``makeConfig()`` turns
/// it into a validated ``CurationConfig``, loading eval sets and compiling patterns before anything is marked.
/// Defaults: exact and near dedup (threshold 0.8) of prompts and responses; no filters; no decontamination.
public struct CurationSpec: Sendable, Equatable {
    /// Which messages are the prompt (`user` or `all`).
    public var promptText: PromptTextSource = .userMessages
    /// Exact dedup on or off.
    public var exact = true
    /// What exact dedup compares.
    public var exactTarget: DedupTarget = .both
    /// Near-dedup Jaccard threshold, or nil for no near dedup.
    public var nearThreshold: Double? = 0.8
    /// What near dedup compares.
    public var nearTarget: DedupTarget = .both
    /// Eval set files for decontamination (none: no decontamination).
    public var evalFiles: [String] = []
    /// Decontamination n-gram size in words.
    public var decontamN = 8
    /// JSONL fields holding an eval item's text (first present wins).
    public var decontamFields: [String] = EvalSetFormat.defaultFields
    /// Finish reasons to drop, or nil for no finish-reason filter.
    public var dropFinishReasons: [String]?
    /// Length bounds (nil: unbounded).
    public var minTokens: Int?, maxTokens: Int?, minChars: Int?, maxChars: Int?
    /// Use the shipped refusal phrases.
    public var refusals = false
    /// Extra refusal patterns (ICU regular expressions, case-sensitive unless `(?i)`).
    public var refusalPatterns: [String] = []
    /// Largest allowed share of repeated word 3-grams, or nil.
    public var maxRepetition: Double?
    /// Smallest allowed mean token logprob, or nil.
    public var minMeanLogprob: Double?
    /// Drop answers without reasoning.
    public var requireReasoning = false
    /// Patterns the answer must contain.
    public var mustMatch: [String] = []
    /// Patterns the answer must not contain.
    public var mustNotMatch: [String] = []
    /// Drop answers that are not valid JSON when the prompt asks for JSON.
    public var jsonValid = false
    /// Run the `verify` stage (answers judged against their prompts' reference answers).
    public var verify = false
    /// Verifier for prompts that name none (with ``verify``); nil: `math`.
    public var verifier: VerifierKind?
    /// Lowest pass rate kept by the `filter.pass_rate` stage (needs ``verify``), or nil.
    public var minPassRate: Double?
    /// Highest pass rate kept by the `filter.pass_rate` stage (needs ``verify``), or nil.
    public var maxPassRate: Double?

    /// The defaults.
    public init() {}

    /// Builds the configuration: loads eval sets, compiles patterns, checks ranges. Throws ``CurationError``
    /// naming the file:line, pattern or parameter at fault.
    public func makeConfig() throws(CurationError) -> CurationConfig {
        var filters: [any ResponseFilter] = []
        if let drop = dropFinishReasons { filters.append(FinishReasonFilter(drop: drop)) }
        if minTokens != nil || maxTokens != nil || minChars != nil || maxChars != nil {
            filters.append(try LengthFilter(minTokens: minTokens, maxTokens: maxTokens, minCharacters: minChars, maxCharacters: maxChars))
        }
        if refusals || !refusalPatterns.isEmpty {
            filters.append(try RefusalFilter(phrases: refusals ? RefusalFilter.defaultPhrases : [], patterns: refusalPatterns))
        }
        if let maxRepetition { filters.append(try RepetitionFilter(maxFraction: maxRepetition)) }
        if let minMeanLogprob { filters.append(try LogprobFilter(minMeanLogprob: minMeanLogprob)) }
        if !mustMatch.isEmpty || !mustNotMatch.isEmpty { filters.append(try RegexFilter(mustContain: mustMatch, mustNotContain: mustNotMatch)) }
        if requireReasoning { filters.append(ReasoningRequiredFilter()) }
        if jsonValid { filters.append(try JSONValidityFilter(promptText: promptText)) }
        let decontaminator = evalFiles.isEmpty ? nil : try Decontaminator.load(
            evalFiles.map { EvalSetSource(path: $0, format: EvalSetFormat.infer(path: $0, fields: decontamFields)) }, n: decontamN)
        if let t = nearThreshold, !(t > 0 && t <= 1) {
            throw CurationError(.parameter, location: "near threshold", "must be in (0, 1], got \(t)", hint: "use e.g. --near-threshold 0.8")
        }
        return CurationConfig(promptText: promptText, filters: filters, decontaminator: decontaminator,
                              exactDedup: exact ? ExactDedupConfig(target: exactTarget) : nil,
                              nearDedup: nearThreshold.map { NearDedupConfig(threshold: $0, target: nearTarget) })
    }

    /// The band of the `filter.pass_rate` stage, nil when no pass-rate bound is set. Throws ``CurationError`` for a
    /// bound outside [0, 1], a minimum above the maximum, or a bound without ``verify`` (pass rates come from verdicts).
    public func passRateBand() throws(CurationError) -> PassRateBand? {
        guard let band = try PassRateBand(min: minPassRate, max: maxPassRate) else { return nil }
        guard verify else {
            throw CurationError(.parameter, location: "min_pass_rate/max_pass_rate", "needs the verify stage (pass rates come from its verdicts)",
                                hint: "add --verify (or \"verify\": true in the curation config); nothing was marked")
        }
        return band
    }

    /// Parses `prompts`/`responses`/`both` (also `prompt`/`response`).
    public static func target(_ text: String) -> DedupTarget? {
        switch text {
        case "prompt", "prompts": .prompt
        case "response", "responses": .response
        case "both": .both
        default: nil
        }
    }
}
