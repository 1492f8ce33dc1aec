/// How one teacher's logprob vocabulary lands in the target: the target index of every source entry, and the
/// entries the target must add first. An entry the target already holds (same key) keeps the target's index; a new
/// one takes its source index when the target can (PostgreSQL: that index is free for the teacher; SQLite: it is the
/// next dense index), so a copy into an empty target keeps the numbering and its blobs travel unchanged.
struct VocabularyPlan {
    /// Source index → target index, for every source entry.
    let map: IndexMap
    /// Whether every source entry keeps its index (then `HLP2` blobs are copied as they are).
    let isIdentity: Bool
    /// Entries to add to the target, with their target index, in index order.
    let added: [(index: Int, key: [UInt8])]

    /// Plans the move of `source` (index → key) into a target vocabulary `target` (index → key) whose indices must
    /// be `dense` (0, 1, 2, … per teacher: SQLite) or merely unique per teacher (PostgreSQL).
    init(source: [Int: [UInt8]], target: [Int: [UInt8]], dense: Bool) {
        var byKey = [[UInt8]: Int](minimumCapacity: target.count + source.count)
        for (i, key) in target where byKey[key].map({ i < $0 }) ?? true { byKey[key] = i }
        var used = Set(target.keys)
        let targetEnd = (target.keys.max() ?? -1) + 1
        var next = dense ? targetEnd : max(targetEnd, (source.keys.max() ?? -1) + 1)
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(source.count)
        var added: [(index: Int, key: [UInt8])] = []
        var identity = true
        for (i, key) in source.sorted(by: { $0.key < $1.key }) {
            let t: Int
            if let known = byKey[key] {
                t = known
            } else {
                if !dense, !used.contains(i) {
                    t = i
                } else {
                    t = next
                    next += 1
                }
                used.insert(t)
                byKey[key] = t
                added.append((t, key))
            }
            if t != i { identity = false }
            pairs.append((i, t))
        }
        map = IndexMap(pairs)
        isIdentity = identity
        self.added = added
    }
}
