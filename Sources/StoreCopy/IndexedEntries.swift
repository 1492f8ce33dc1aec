/// Values looked up by a vocabulary index: an array when the indices are compact (SQLite's 0, 1, 2, …; most
/// PostgreSQL vocabularies), a dictionary when they are spread out (PostgreSQL's indices come from one sequence
/// shared by every teacher, with gaps).
struct IndexedEntries<Value> {
    private var dense: [Value?] = []
    private var sparse: [Int: Value] = [:]
    /// Number of entries.
    private(set) var count = 0

    /// Entries from `(index, value)` pairs (indices ≥ 0, unique).
    init(_ pairs: some Collection<(Int, Value)>) {
        let largest = pairs.lazy.map(\.0).max() ?? -1
        count = pairs.count
        if largest < max(1 << 20, 4 * pairs.count) {
            dense = Array(repeating: nil, count: largest + 1)
            for (i, v) in pairs { dense[i] = v }
        } else {
            sparse = Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The value at `index`, nil when there is none.
    @inline(__always)
    subscript(index: Int) -> Value? {
        if index >= 0, index < dense.count { return dense[index] }
        return dense.isEmpty ? sparse[index] : nil
    }
}
