@testable import HarvestCore
import Testing

/// The fast parse of a float32's shortest text (HLP2's value mode choice) gives exactly what `Double(text)` gives.
@Suite struct ShortestFloatParseTests {
    @Test func agreesWithDoubleParsingBitForBit() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var texts: [String] = ["0.0", "-0.0", "1.0", "-0.05", "1e-05", "-3.4028235e+38", "1.0e-45", "1.4e-45", "123456789.0",
                               "9.999999e+22", "1e+23", "-1e-22", "0.1", "inf", "-inf", "nan", "1e", "1.2.3", "", "-", "e5", "12e+x"]
        for _ in 0..<100_000 {
            // Random float32 bit patterns (every magnitude), and logprob-like values.
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: next()))
            if f.isFinite { texts.append(f.description) }
            let logprob = -Float(Double(next() % 1_000_000_000) / 1e7)
            texts.append(logprob.description)
        }
        for text in texts {
            let fast = LogprobCodec.ValueMode.parseShortest(text)
            let reference = Double(text)
            #expect(fast?.bitPattern == reference?.bitPattern || (fast?.isNaN == true && reference?.isNaN == true), "\(text)")
        }
    }
}
