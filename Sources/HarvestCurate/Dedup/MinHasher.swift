/// Computes MinHash signatures from 64-bit shingle hashes with universal hashing, as datasketch does:
/// permutation k maps a shingle hash h (reduced mod p) to `(a_k · h + b_k) mod p` with the Mersenne prime
/// p = 2^61 − 1 (exact 128-bit product, no wrap-around), keeps the minimum, and stores its low 32 bits.
/// (The minimum is taken over values reduced up to one final subtraction of p, which differs
/// from the exact minimum only with probability 2⁻⁵⁹ per evaluation.)
/// `a_k ∈ [1, p)` and `b_k ∈ [0, p)` come from SplitMix64 seeded with ``seed``.
public struct MinHasher: Sendable, Hashable {
    /// 2^61 − 1.
    public static let mersennePrime: UInt64 = (1 << 61) - 1

    /// Number of permutations (signature length).
    public let numPermutations: Int
    /// Seed of the permutation parameters.
    public let seed: UInt64
    private let a: [UInt64]
    private let b: [UInt64]

    /// Creates a hasher with `numPermutations` permutations (1...4096).
    public init(numPermutations: Int = 128, seed: UInt64 = 1) throws(CurationError) {
        guard (1...4096).contains(numPermutations) else {
            throw .parameter("num_permutations", "must be between 1 and 4096, got \(numPermutations)")
        }
        self.numPermutations = numPermutations
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        var a = [UInt64]()
        var b = [UInt64]()
        for _ in 0..<numPermutations {
            a.append(1 + rng.next() % (Self.mersennePrime - 1))
            b.append(rng.next() % Self.mersennePrime)
        }
        self.a = a
        self.b = b
    }

    /// x mod p for any 64-bit x.
    @inline(__always)
    static func reduce(_ x: UInt64) -> UInt64 {
        let p = mersennePrime
        let r = (x & p) &+ (x >> 61)
        return r >= p ? r &- p : r
    }

    /// The signature of a set of shingle hashes, or nil when there are none. `scratch` is reused between calls.
    public func signature(shingles: [UInt64], scratch: inout [UInt64]) -> MinHashSignature? {
        guard !shingles.isEmpty else { return nil }
        scratch.removeAll(keepingCapacity: true)
        for h in shingles { scratch.append(Self.reduce(h)) }
        // Pad to a multiple of 4 with copies of the first hash (a set's minimum does not change), then 4 sentinels.
        while scratch.count % 4 != 0 { scratch.append(scratch[0]) }
        scratch.append(contentsOf: repeatElement(Self.sentinel, count: 4))
        var values = [UInt32](repeating: 0, count: numPermutations)
        scratch.withUnsafeBufferPointer { hs in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    values.withUnsafeMutableBufferPointer { out in
                        Self.minimums(hs.baseAddress!, a, b, out)
                    }
                }
            }
        }
        return MinHashSignature(values: values)
    }

    /// The signature of a set of shingle hashes, or nil when there are none.
    public func signature(shingles: [UInt64]) -> MinHashSignature? {
        var scratch = [UInt64]()
        return signature(shingles: shingles, scratch: &scratch)
    }

    /// Ends the reduced shingle list (reduced hashes are < p).
    static let sentinel = UInt64.max

    /// The hot loop: one permutation per pass over the shingles, 4 per step, two running minimums. The loop ends
    /// on a sentinel instead of a count on purpose: without a computable trip count LLVM keeps it scalar (one
    /// 64×64→128 `mul` per element, under 3 cycles) instead of vectorizing it with SSE2 emulations of 64-bit
    /// compares, which is 2× slower. `hs` holds a multiple of 4 hashes followed by 4 sentinels.
    @inline(__always)
    static func minimums(_ hs: UnsafePointer<UInt64>, _ a: UnsafeBufferPointer<UInt64>,
                         _ b: UnsafeBufferPointer<UInt64>, _ out: UnsafeMutableBufferPointer<UInt32>) {
        for k in 0..<out.count {
            let a8 = a[k] << 3
            let bk = b[k]
            var m0 = UInt64.max
            var m1 = UInt64.max
            var p = hs
            var h0 = p[0]
            while h0 != sentinel {
                let h1 = p[1], h2 = p[2], h3 = p[3]
                let v0 = permuteLazy(a8, bk, h0)
                m0 = v0 < m0 ? v0 : m0
                let v1 = permuteLazy(a8, bk, h1)
                m1 = v1 < m1 ? v1 : m1
                let v2 = permuteLazy(a8, bk, h2)
                m0 = v2 < m0 ? v2 : m0
                let v3 = permuteLazy(a8, bk, h3)
                m1 = v3 < m1 ? v3 : m1
                p += 4
                h0 = p[0]
            }
            let m = min(m0, m1)
            out[k] = UInt32(truncatingIfNeeded: m >= mersennePrime ? m &- mersennePrime : m)
        }
    }

    /// (a·h + b) mod p for a, h, b < p, given `a8 = a << 3`, except that the last conditional subtraction of p is
    /// left to the caller: the result is in [0, p + 4) and exceeds p − 1 only when the residue is below 4
    /// (probability 2⁻⁵⁹ per evaluation). `a8 · h` as 128 bits has high word ⌊a·h / 2⁶¹⌋ and low word
    /// (a·h mod 2⁶¹) · 8, and 2⁶¹ ≡ 1 (mod p), so a·h ≡ high + low / 8.
    @inline(__always)
    static func permuteLazy(_ a8: UInt64, _ b: UInt64, _ h: UInt64) -> UInt64 {
        let m = a8.multipliedFullWidth(by: h)
        let x = (m.low >> 3) &+ m.high &+ b  // < 3 · 2^61
        return (x & mersennePrime) &+ (x >> 61)
    }

    /// (a·h + b) mod p, exactly (reference for tests and documentation).
    static func permute(_ a: UInt64, _ b: UInt64, _ h: UInt64) -> UInt64 {
        let v = permuteLazy(a << 3, b, h)
        return v >= mersennePrime ? v &- mersennePrime : v
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator for permutation parameters.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
