import HarvestCrypto

/// A teacher's vocabulary as digests see it: index → a label of the entry itself (the first 8 bytes of the SHA-256
/// of its key), so a blob's digest depends on which entries it holds, not on the database's numbering
/// (``LogprobCodec/appendRelabeledVersion2(_:to:label:)``). Lookups go through ``withLookup(_:)``, which retains
/// nothing per call — they run for every value of every blob.
struct LabelTable {
    private var dense: [UInt64] = []
    private var present: [Bool] = []
    private var sparse: [Int: UInt64] = [:]
    private var isDense = true

    /// The table of `entries` (index → key).
    init(_ entries: [Int: [UInt8]]) {
        let largest = entries.keys.max() ?? -1
        isDense = largest < max(1 << 20, 4 * entries.count)
        if isDense {
            dense = Array(repeating: 0, count: largest + 1)
            present = Array(repeating: false, count: largest + 1)
        }
        for (index, key) in entries {
            let hash = SHA256.digest(key)
            var label: UInt64 = 0
            for b in 0..<8 { label |= UInt64(hash[b]) << (8 * UInt64(b)) }
            if isDense {
                dense[index] = label
                present[index] = true
            } else {
                sparse[index] = label
            }
        }
    }

    /// Runs `body` with the lookup function: the label of an index, nil when there is no entry.
    func withLookup<R>(_ body: ((Int) -> UInt64?) throws -> R) rethrows -> R {
        guard isDense else { return try body { sparse[$0] } }
        return try dense.withUnsafeBufferPointer { d in
            try present.withUnsafeBufferPointer { p in
                try body { i in i >= 0 && i < d.count && p[i] ? d[i] : nil }
            }
        }
    }
}
