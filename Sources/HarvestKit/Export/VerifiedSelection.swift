import HarvestCore
import HarvestCurate
import HarvestStore

/// The verification side of an export selection: which samples are correct (for `--samples best`) and which
/// prompts pass the pass-rate filter. Loaded once per export from the set's verdicts.
struct VerifiedSelection {
    /// Correct response ids of the set; nil when `best` does not use verdicts (no set, or the set has none).
    let correct: Set<Int64>?
    /// Prompts within the pass-rate bounds; nil without a pass-rate filter.
    let allowedPrompts: Set<Int64>?
    /// Ranking among correct samples.
    let bestBy: ExportSelection.BestBy

    static func load(store: any CorpusReader, selection: ExportSelection) throws -> VerifiedSelection {
        var correct: Set<Int64>?
        var allowed: Set<Int64>?
        if let set = selection.setName {
            if selection.samples == .best, try !store.verdictCounts(setName: set, by: "all").isEmpty {
                correct = try store.responseIds(setName: set, verdict: "correct")
            }
            if let band = try PassRateBand(min: selection.minPassRate, max: selection.maxPassRate) {
                allowed = Set(try store.passCounts(setName: set).compactMap { prompt, c in
                    band.contains(correct: c.correct, judged: c.judged) ? prompt : nil
                })
            }
        }
        return VerifiedSelection(correct: correct, allowedPrompts: allowed, bestBy: selection.bestBy)
    }

    /// Whether the row's prompt passes the pass-rate filter.
    func admits(_ row: StoredResponse) -> Bool { allowedPrompts?.contains(row.promptId) ?? true }

    /// The `best` score of a row (higher wins), nil when it may not be chosen (not correct while verdicts exist).
    func bestScore(_ row: StoredResponse) -> Double? {
        if let correct, !correct.contains(row.id) { return nil }
        switch bestBy {
        case .logprob:
            return row.logprobColumns?.meanSampledLogprob ?? ExportSelection.meanLogprob(row.choice.logprobs)
                ?? -Double.greatestFiniteMagnitude
        case .shortest:
            return -Double(row.usage?.completionTokens ?? row.choice.content.count)
        }
    }
}
