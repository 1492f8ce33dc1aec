/// A cumulative latency histogram with fixed buckets (Prometheus `le` semantics).
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds; an implicit `+Inf` bucket follows.
    public static let bounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    /// Observations per bucket (not cumulative), the last one for `+Inf`.
    public private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    /// Sum of observed seconds.
    public private(set) var sum = 0.0
    /// Number of observations.
    public private(set) var count = 0

    /// Creates an empty histogram.
    public init() {}

    /// Records one observation.
    public mutating func observe(_ seconds: Double) {
        let i = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[i] += 1
        sum += seconds
        count += 1
    }

    /// Cumulative counts per bound, `+Inf` last.
    public var cumulative: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }
}
