import HarvestJSON
import Testing

/// ``ShortestDouble`` must write exactly `Double.description`'s text, and that text must read back bit-identical:
/// exports promise logprobs bit-identical to the teacher's values.
@Suite struct ShortestDoubleTests {
    /// A deterministic generator (SplitMix64), so a failure names a value that can be replayed.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Checks one value: same text as `description`, and it parses back to the same bits.
    static func check(_ value: Double) -> String? {
        let text = ShortestDouble.text(value)
        if text != value.description { return "\(value.bitPattern): wrote \(text), description \(value.description)" }
        if value.isFinite {
            guard let back = Double(text), back.bitPattern == value.bitPattern else {
                return "\(value.bitPattern): \(text) does not read back"
            }
        }
        return nil
    }

    static func failures(_ values: some Sequence<Double>, limit: Int = 5) -> [String] {
        var out: [String] = []
        for v in values {
            if let f = check(v) {
                out.append(f)
                if out.count >= limit { break }
            }
        }
        return out
    }

    @Test func edgeCases() {
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1e-7, -1e-7, 1e-5, 1e-4, -0.0001, 0.001, 0.00012345, 0.000099999,
            123456.789, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 9007199254740992, 9007199254740994,
            18014398509481984, 18014398509481988, 4503599627370496.5, Double(bitPattern: 1), -Double(bitPattern: 1),
            Double(bitPattern: 2),
            2.2250738585072014e-308, Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), -2.2250738585072014e-308, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude, .ulpOfOne, 1 + .ulpOfOne,
            -9999.0, 9999.0, -0.0009114634999446571, -0.0009114635, -2.3841855067985307e-07, 100, 1000.5, 12.0,
            0.5, 2.5, 1.5e300, 1e-300, -1e+100, 123e-20, 1.7976931348623157e308,
            .infinity, -.infinity, .nan,
        ]
        for e in -325...309 {
            for m in [1.0, 2.0, 5.0, 9.999, 1.5, 3.14159, 7.0] {
                values.append(m * pow10(e))
                values.append(-m * pow10(e))
            }
        }
        for b in 0..<2048 {   // every binary exponent, at its smallest and largest mantissa and one in between
            let e = UInt64(b) << 52
            values.append(Double(bitPattern: e))
            values.append(Double(bitPattern: e | 1))
            values.append(Double(bitPattern: e | ((1 << 52) - 1)))
            values.append(Double(bitPattern: e | (1 << 51)))
        }
        #expect(Self.failures(values.filter { !$0.isNaN }) == [])
        #expect(ShortestDouble.text(.nan) == "nan")
    }

    private func pow10(_ e: Int) -> Double {
        Double("1e\(e)") ?? 0
    }

    @Test func randomBitPatterns() {
        var mix = Mix(state: 1)
        let values = (0..<400_000).lazy.map { _ in Double(bitPattern: mix.next()) }.filter { !$0.isNaN }
        #expect(Self.failures(values) == [])
    }

    /// Logprobs as teachers send them: float32 values widened to double (vLLM), float32 values' shortest text read
    /// as double, and doubles near zero.
    @Test func logprobLikeValues() {
        var mix = Mix(state: 7)
        var values: [Double] = []
        for _ in 0..<300_000 {
            let r = mix.next()
            let f = -Float(bitPattern: UInt32(truncatingIfNeeded: r) & 0x7FFF_FFFF) // any non-negative float32, negated
            guard f.isFinite else { continue }
            values.append(Double(f))
            values.append(Double(f.description) ?? 0)
            let u = Double(r >> 11) / Double(1 << 53)
            values.append(-30 * u * u)
            values.append(Double(Float(-30 * u)))
        }
        #expect(Self.failures(values) == [])
    }

    @Test func writerUsesIt() {
        var w = JSONWriter()
        w.beginArray()
        w.double(-0.0009114634999446571); w.double(1e-5); w.double(-0.0); w.double(2); w.double(-.infinity); w.double(.nan)
        w.endArray()
        #expect(w.string == "[-0.0009114634999446571,1e-05,-0.0,2.0,-9999.0,null]")
    }
}
