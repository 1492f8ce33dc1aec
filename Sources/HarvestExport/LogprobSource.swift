import HarvestCore

/// How a row's logprobs were obtained, as the manifest's `provenance.logprob_mode` names it.
enum LogprobSource {
    /// `sampled`: the logprobs of an answer the teacher generated (the only kind stored so far; teacher-forced
    /// rows will report `scored` here).
    static func mode(of row: StoredResponse) -> String { "sampled" }
}
