import Foundation

/// LSH banding: `bands` bands of `rows` signature values each. Two signatures become candidates when all
/// values of at least one band are equal, which happens with probability `1 − (1 − s^rows)^bands` at Jaccard s.
public struct LSHParameters: Sendable, Hashable, CustomStringConvertible {
    /// Number of bands.
    public var bands: Int
    /// Values per band.
    public var rows: Int

    /// Creates banding parameters.
    public init(bands: Int, rows: Int) {
        self.bands = bands
        self.rows = rows
    }

    /// `9×13`.
    public var description: String { "\(bands)×\(rows)" }

    /// Probability that a pair with Jaccard `s` becomes a candidate.
    public func candidateProbability(_ s: Double) -> Double {
        1 - pow(1 - pow(s, Double(rows)), Double(bands))
    }

    /// The banding that minimizes `fpWeight · ∫₀ᵗ P(s) ds + fnWeight · ∫ₜ¹ (1 − P(s)) ds` over all
    /// `bands × rows ≤ numPermutations`, like datasketch's `_optimal_param` (first minimum in b-then-r order).
    public static func optimal(threshold: Double, numPermutations: Int,
                               falsePositiveWeight: Double, falseNegativeWeight: Double) throws(CurationError) -> LSHParameters {
        guard threshold > 0, threshold < 1 else {
            throw .parameter("threshold", "must be strictly between 0 and 1, got \(threshold)")
        }
        guard falsePositiveWeight >= 0, falseNegativeWeight >= 0, falsePositiveWeight + falseNegativeWeight > 0 else {
            throw .parameter("lsh_weights", "false positive and false negative weights must be ≥ 0 and not both 0")
        }
        guard numPermutations >= 1 else { throw .parameter("num_permutations", "must be at least 1") }
        var best = LSHParameters(bands: 1, rows: 1)
        var bestError = Double.infinity
        for b in 1...numPermutations {
            for r in 1...(numPermutations / b) {
                let p = LSHParameters(bands: b, rows: r)
                let fp = integrate(0, threshold) { p.candidateProbability($0) }
                let fn = integrate(threshold, 1) { 1 - p.candidateProbability($0) }
                let error = fp * falsePositiveWeight + fn * falseNegativeWeight
                if error < bestError {
                    bestError = error
                    best = p
                }
            }
        }
        return best
    }

    /// Composite Simpson's rule with 256 intervals (the integrands are smooth polynomials in s).
    static func integrate(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> Double {
        let n = 256
        let h = (hi - lo) / Double(n)
        var sum = f(lo) + f(hi)
        for i in 1..<n { sum += f(lo + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return sum * h / 3
    }
}
