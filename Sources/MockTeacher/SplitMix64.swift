/// A tiny, fast, seedable pseudo-random generator (SplitMix64). Deterministic on every platform.
struct SplitMix64 {
    /// The running state.
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The SplitMix64 output function: a strong 64-bit mixer, also used to derive seeds.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform double in (0, 1].
    @inline(__always)
    mutating func unit() -> Double {
        Double((next() >> 11) + 1) * 0x1p-53
    }

    /// A uniform integer in 0..<bound (bound > 0; the modulo bias is irrelevant here).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next() % UInt64(bound))
    }
}
