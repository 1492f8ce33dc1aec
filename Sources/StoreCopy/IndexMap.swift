/// Vocabulary index → a non-negative number: an array when the indices are compact (SQLite's 0, 1, 2, …; most
/// PostgreSQL vocabularies), a dictionary when they are spread out (PostgreSQL's indices come from one sequence
/// shared by every teacher, with gaps). Lookups go through ``withLookup(_:)``, which retains nothing per call —
/// they run for every value of every blob.
struct IndexMap {
    private var dense: [Int] = []  // -1: no entry
    private var sparse: [Int: Int] = [:]
    private var isDense = true

    /// A map from `(index, value)` pairs (indices ≥ 0 and unique, values ≥ 0).
    init(_ pairs: some Collection<(Int, Int)>) {
        let largest = pairs.lazy.map(\.0).max() ?? -1
        if largest < max(1 << 20, 4 * pairs.count) {
            dense = Array(repeating: -1, count: largest + 1)
            for (i, v) in pairs { dense[i] = v }
        } else {
            isDense = false
            sparse = Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The value at `index`, nil when there is none (for occasional lookups).
    subscript(index: Int) -> Int? { withLookup { $0(index) } }

    /// Runs `body` with the lookup function.
    func withLookup<R>(_ body: ((Int) -> Int?) throws -> R) rethrows -> R {
        guard isDense else { return try body { sparse[$0] } }
        return try dense.withUnsafeBufferPointer { d in
            try body { i in
                guard i >= 0, i < d.count else { return nil }
                let v = d[i]
                return v >= 0 ? v : nil
            }
        }
    }
}
