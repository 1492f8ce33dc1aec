import Foundation

/// A histogram of durations with about 2 % resolution from 1 µs to 1,000 s, for percentiles of harvest's own
/// per-request overhead. Fixed size (≈ 1,050 counters), so recording never allocates.
public struct LatencyHistogram: Sendable, Equatable {
    private static let growth = 1.02
    private static let minimum = 1e-6
    private static let bucketCount = Int((log(1e9) / log(growth)).rounded(.up)) + 2
    private var counts: [Int]
    /// Samples recorded.
    public private(set) var count = 0
    /// Sum of all samples, seconds.
    public private(set) var sum = 0.0

    /// Creates an empty histogram.
    public init() { counts = Array(repeating: 0, count: Self.bucketCount) }

    /// Records one duration in seconds.
    public mutating func record(_ seconds: Double) {
        guard seconds.isFinite else { return }
        let s = max(0, seconds)
        let index = s <= Self.minimum ? 0 : min(Self.bucketCount - 1, 1 + Int(log(s / Self.minimum) / log(Self.growth)))
        counts[index] += 1
        count += 1
        sum += s
    }

    /// Adds another histogram's samples.
    public mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        count += other.count
        sum += other.sum
    }

    /// The duration below which a fraction `p` (0...1) of the samples fall, seconds (upper bucket edge); 0 if empty.
    public func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((p * Double(count)).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return i == 0 ? Self.minimum : Self.minimum * pow(Self.growth, Double(i)) }
        }
        return Self.minimum * pow(Self.growth, Double(Self.bucketCount))
    }

    /// Mean, seconds (0 if empty).
    public var mean: Double { count > 0 ? sum / Double(count) : 0 }
}
