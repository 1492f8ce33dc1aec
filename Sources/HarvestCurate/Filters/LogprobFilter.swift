import HarvestCore
import HarvestJSON

/// Drops answers the teacher was unsure of: the mean log-probability of the content's sampled tokens is below
/// ``minMeanLogprob``. Responses without stored logprobs pass. Values are used as stored (vLLM's −9999 for
/// minus infinity pulls the mean down accordingly).
public struct LogprobFilter: ResponseFilter {
    /// Smallest allowed mean token log-probability (e.g. −1.0).
    public var minMeanLogprob: Double

    /// Creates the filter.
    public init(minMeanLogprob: Double) throws(CurationError) {
        guard minMeanLogprob.isFinite, minMeanLogprob <= 0 else {
            throw .parameter("filter.logprob.min_mean_logprob", "must be a finite number ≤ 0, got \(minMeanLogprob)")
        }
        self.minMeanLogprob = minMeanLogprob
    }

    /// `filter.logprob`.
    public var stage: String { CurationStage.logprob }

    /// The limit.
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [("min_mean_logprob", .number(minMeanLogprob))])
    }

    /// Mean token logprob of the stored content logprobs, or nil without any.
    public static func meanLogprob(_ response: StoredResponse) -> (mean: Double, tokens: Int)? {
        guard let lp = response.choice.logprobs, !lp.isEmpty else { return nil }
        return (lp.reduce(0) { $0 + $1.logprob } / Double(lp.count), lp.count)
    }

    /// Marks a mean below the limit.
    public func check(_ response: StoredResponse) -> CurationMark? {
        guard let m = Self.meanLogprob(response), m.mean < minMeanLogprob else { return nil }
        return mark(response, "mean token logprob \(Num.text(m.mean)) over \(m.tokens) tokens, below \(Num.text(minMeanLogprob))",
                    [("mean_logprob", .number(m.mean)), ("tokens", .number(Double(m.tokens))),
                     ("min_mean_logprob", .number(minMeanLogprob))])
    }
}
