import HarvestCore

/// How a row's logprobs were obtained, as the manifest's `provenance.logprob_mode` names it.
enum LogprobSource {
    /// `sampled`: the logprobs of an answer the teacher generated; `scored`: per-position logprobs of a fixed
    /// sequence (a scoring sweep, `sampling.score`).
    static func mode(of row: StoredResponse) -> String { row.params.score == nil ? "sampled" : "scored" }
}
