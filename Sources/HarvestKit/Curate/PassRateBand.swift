import HarvestCurate

/// The pass-rate band of `curate --min-pass-rate/--max-pass-rate` and `export --min-pass-rate/--max-pass-rate`:
/// a prompt is in the band when correct / judged answers (`unverifiable` not counted) lies within [min, max].
/// A prompt without a judged answer has no pass rate and is never in the band.
public struct PassRateBand: Sendable, Equatable {
    /// Lowest pass rate kept (0 when only an upper bound is given).
    public let min: Double
    /// Highest pass rate kept (1 when only a lower bound is given).
    public let max: Double

    /// A band from optional bounds; nil when both are nil. Throws ``CurationError`` (kind `parameter`) for a bound
    /// outside [0, 1] or a minimum above the maximum.
    public init?(min: Double?, max: Double?) throws(CurationError) {
        guard min != nil || max != nil else { return nil }
        for (name, v) in [("min_pass_rate", min), ("max_pass_rate", max)] {
            if let v, !(v >= 0 && v <= 1) {
                throw CurationError(.parameter, location: name, "must be between 0 and 1, got \(v)",
                                    hint: "give a fraction of correct samples, e.g. 0.25; nothing was marked")
            }
        }
        let lo = min ?? 0, hi = max ?? 1
        guard lo <= hi else {
            throw CurationError(.parameter, location: "min_pass_rate", "\(lo) is above max_pass_rate \(hi)",
                                hint: "give min_pass_rate <= max_pass_rate; nothing was marked")
        }
        self.min = lo
        self.max = hi
    }

    /// Whether `correct` of `judged` answers is within the band (with a 1e-12 tolerance, so 1 of 3 is in [0, 1/3]
    /// written as 0.3333333333333); false when `judged` is 0.
    public func contains(correct: Int, judged: Int) -> Bool {
        guard judged > 0 else { return false }
        let rate = Double(correct) / Double(judged)
        return rate >= min - 1e-12 && rate <= max + 1e-12
    }
}
