#if canImport(Glibc)
import Glibc
#endif

/// A MinHash-LSH index of kept signatures. Each band of `rows` values is hashed to a 64-bit key and stored in an
/// open-addressing table per band; rows sharing a band key are chained. The index keeps every signature, so
/// candidates are verified by estimated Jaccard. Build it from stored signatures with ``insert(id:signature:)``;
/// lookups cost O(bands + candidates), independent of how many rows it holds.
public struct LSHIndex: Sendable {
    /// Signature length.
    public let numPermutations: Int
    /// Banding.
    public let parameters: LSHParameters
    /// Ids in insertion order.
    public private(set) var ids: [Int64] = []
    private var signatures: [UInt32] = []
    private var tables: [BandTable]

    /// Creates an empty index; `bands × rows` must not exceed `numPermutations`.
    public init(numPermutations: Int, parameters: LSHParameters) throws(CurationError) {
        guard parameters.bands >= 1, parameters.rows >= 1, parameters.bands * parameters.rows <= numPermutations else {
            throw .parameter("lsh", "\(parameters) bands×rows does not fit \(numPermutations) permutations")
        }
        self.numPermutations = numPermutations
        self.parameters = parameters
        tables = Array(repeating: BandTable(), count: parameters.bands)
    }

    /// Number of rows indexed.
    public var count: Int { ids.count }

    /// Reserves room for `capacity` rows in total (avoids rehashing while loading stored signatures).
    public mutating func reserveCapacity(_ capacity: Int) {
        ids.reserveCapacity(capacity)
        signatures.reserveCapacity(capacity * numPermutations)
        for b in tables.indices { tables[b].reserve(capacity) }
    }

    /// Adds a signature under `id`. The signature must have ``numPermutations`` values.
    public mutating func insert(id: Int64, signature: MinHashSignature) {
        precondition(signature.values.count == numPermutations, "signature length \(signature.values.count) ≠ \(numPermutations)")
        let row = Int32(ids.count)
        ids.append(id)
        signatures.append(contentsOf: signature.values)
        signature.values.withUnsafeBufferPointer { sig in
            for b in 0..<parameters.bands { tables[b].insert(key: bandKey(sig, b), row: row) }
        }
    }

    /// Ids that share at least one band with `signature`, ascending, without duplicates (not verified).
    public func query(_ signature: MinHashSignature) -> [Int64] {
        candidateRows(signature).map { ids[Int($0)] }.sorted()
    }

    /// The verified match with the highest estimated Jaccard ≥ `threshold` (ties: lowest id), or nil.
    public func bestMatch(for signature: MinHashSignature, threshold: Double) -> LSHMatch? {
        lookup(signature, threshold: threshold, selfId: nil).best
    }

    /// One lookup: the best verified match other than `selfId`, and whether `selfId` itself is among the
    /// candidates (then the row was indexed before with this signature).
    public func lookup(_ signature: MinHashSignature, threshold: Double, selfId: Int64?) -> LSHLookup {
        let rows = candidateRows(signature)
        var result = LSHLookup()
        guard !rows.isEmpty else { return result }
        let p = numPermutations
        var best: (id: Int64, equal: Int)?
        signature.values.withUnsafeBufferPointer { sig in
            signatures.withUnsafeBufferPointer { all in
                for row in rows {
                    let id = ids[Int(row)]
                    if id == selfId {
                        result.containsSelf = true
                        continue
                    }
                    let other = UnsafeBufferPointer(rebasing: all[(Int(row) * p)..<(Int(row) * p + p)])
                    let equal = MinHashSignature.equalCount(sig, other)
                    guard Double(equal) / Double(p) >= threshold else { continue }
                    if let b = best, b.equal > equal || (b.equal == equal && b.id < id) { continue }
                    best = (id, equal)
                }
            }
        }
        result.best = best.map { LSHMatch(id: $0.id, jaccard: Double($0.equal) / Double(p)) }
        return result
    }

    /// The stored signature of `id` (linear search; for inspection and tests).
    public func signature(of id: Int64) -> MinHashSignature? {
        guard let row = ids.firstIndex(of: id) else { return nil }
        return MinHashSignature(values: Array(signatures[(row * numPermutations)..<((row + 1) * numPermutations)]))
    }

    private func candidateRows(_ signature: MinHashSignature) -> [Int32] {
        precondition(signature.values.count == numPermutations, "signature length \(signature.values.count) ≠ \(numPermutations)")
        var rows = [Int32]()
        signature.values.withUnsafeBufferPointer { sig in
            for b in 0..<parameters.bands { tables[b].forEachRow(key: bandKey(sig, b)) { rows.append($0) } }
        }
        if rows.count > 1 {
            rows.sort()
            var w = 1
            for i in 1..<rows.count where rows[i] != rows[w - 1] {
                rows[w] = rows[i]
                w += 1
            }
            rows.removeSubrange(w...)
        }
        return rows
    }

    @inline(__always)
    private func bandKey(_ sig: UnsafeBufferPointer<UInt32>, _ band: Int) -> UInt64 {
        let r = parameters.rows
        var h = 0x51_7cc1_b727_220a ^ UInt64(band)
        var i = band * r
        let end = i + r
        while i + 1 < end {
            h = FastHash.combine(h, UInt64(sig[i]) | UInt64(sig[i + 1]) << 32)
            i += 2
        }
        if i < end { h = FastHash.combine(h, UInt64(sig[i])) }
        return h
    }
}

/// Asks Linux for transparent huge pages on large tables: band-table probes are random accesses, and with 4 KiB
/// pages nearly each one also misses the TLB. A no-op elsewhere, or when the kernel declines.
enum HugePages {
    static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard buffer.count >= 4 << 20, let base = buffer.baseAddress else { return }
        let page = 4096
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(page - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, 14 /* MADV_HUGEPAGE */) }
        #endif
    }
}

/// A verified LSH match.
public struct LSHMatch: Sendable, Hashable {
    /// The matched id.
    public var id: Int64
    /// Estimated Jaccard similarity.
    public var jaccard: Double
}

/// The result of ``LSHIndex/lookup(_:threshold:selfId:)``.
public struct LSHLookup: Sendable, Hashable {
    /// Best verified match other than the row itself.
    public var best: LSHMatch?
    /// Whether the row itself is indexed (a candidate of its own signature).
    public var containsSelf = false
}

/// One band's table: open addressing with linear probing. A slot packs a 32-bit tag of the band key (its high
/// half, which also picks the slot) with the head row + 1 (0 = empty); rows with the same tag are chained through
/// `next`. Two band keys with equal tags share a chain, which only adds candidates (all are verified).
struct BandTable: Sendable {
    private var slots = [UInt64](repeating: 0, count: 16)
    private var next: [Int32] = []
    private var used = 0

    mutating func reserve(_ rows: Int) {
        next.reserveCapacity(rows)
        var capacity = slots.count
        while capacity * 3 < rows * 4 { capacity *= 2 }
        if capacity > slots.count { rehash(capacity) }
    }

    @inline(__always) private static func home(_ tag: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (tag &* 0x9e37_79b9) ^ tag) & mask
    }

    mutating func insert(key: UInt64, row: Int32) {
        if (used + 1) * 4 > slots.count * 3 { rehash(slots.count * 2) }
        let tag = key >> 32
        let mask = slots.count - 1
        var i = Self.home(tag, mask)
        while true {
            let s = slots[i]
            if s == 0 {
                slots[i] = tag << 32 | UInt64(UInt32(row) + 1)
                next.append(-1)
                used += 1
                return
            }
            if s >> 32 == tag {
                next.append(Int32(truncatingIfNeeded: s & 0xffff_ffff) - 1)
                slots[i] = tag << 32 | UInt64(UInt32(row) + 1)
                return
            }
            i = (i + 1) & mask
        }
    }

    func forEachRow(key: UInt64, _ body: (Int32) -> Void) {
        let tag = key >> 32
        let mask = slots.count - 1
        var i = Self.home(tag, mask)
        while true {
            let s = slots[i]
            if s == 0 { return }
            if s >> 32 == tag {
                var row = Int32(truncatingIfNeeded: s & 0xffff_ffff) - 1
                while row >= 0 {
                    body(row)
                    row = next[Int(row)]
                }
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func rehash(_ capacity: Int) {
        let old = slots
        slots = [UInt64](unsafeUninitializedCapacity: capacity) { buffer, count in
            HugePages.advise(UnsafeMutableRawBufferPointer(buffer))  // before the pages are first touched
            buffer.initialize(repeating: 0)
            count = capacity
        }
        let mask = capacity - 1
        for s in old where s != 0 {
            var i = Self.home(s >> 32, mask)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
