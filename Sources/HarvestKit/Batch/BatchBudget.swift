import HarvestCore

/// What a budgeted run may still commit to new batch input files, and the list prices the worst case of a line
/// is reckoned at: a file is only recorded (and so submitted) when its worst-case cost fits.
public struct BatchBudget: Sendable, Equatable {
    /// Budget left after what was spent and what open batches reserve.
    public var remaining: Double
    /// The teacher's list price per million input tokens.
    public var inputPerMillion: Double
    /// The teacher's list price per million output tokens.
    public var outputPerMillion: Double

    /// Creates a budget.
    public init(remaining: Double, inputPerMillion: Double, outputPerMillion: Double) {
        self.remaining = remaining
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    /// The most one line for `job` can cost at `priceFactor` × the list prices: the prompt estimate (UTF-8 bytes / 4
    /// plus 4 per message, as for `tpm`) and the job's full `max_tokens` (1024 when it sets none).
    public func worstCost(_ job: Job, priceFactor: Double) -> Double {
        let output = job.params.maxTokens ?? TokenEstimate.defaultMaxTokens
        let prompt = TokenEstimate.tokens(for: job) - output
        return (Double(prompt) * inputPerMillion + Double(output) * outputPerMillion) * priceFactor / 1_000_000
    }
}
