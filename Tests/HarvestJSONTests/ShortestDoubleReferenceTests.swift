import Foundation
import HarvestJSON
import Testing

/// ``ShortestDouble`` (Schubfach digits, word-at-a-time layout) must write exactly the bytes of the Ryu
/// implementation it replaced (``RyuReference``): exports are compared with goldens and read by trainers.
///
/// The default run checks a bounded sample (every float32 on a stride, random doubles, the logprob range densely);
/// `HARVEST_FLOAT_EXHAUSTIVE=1 swift test -c release --filter ShortestDoubleReferenceTests` checks every one of the
/// 2^32 float32 bit patterns widened to double (the logprobs teachers send), on every core.
@Suite struct ShortestDoubleReferenceTests {
    /// The first difference between the new and the reference bytes for `value`, or nil.
    static func mismatch(_ value: Double) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * ShortestDouble.maxLength) { buf in
            let a = buf.baseAddress!
            let b = a + ShortestDouble.maxLength
            let n = ShortestDouble.write(value, to: a)
            let m = RyuReference.write(value, to: b)
            if n == m && memcmp(a, b, n) == 0 { return nil }
            let new = String(decoding: UnsafeBufferPointer(start: a, count: n), as: UTF8.self)
            let old = String(decoding: UnsafeBufferPointer(start: b, count: m), as: UTF8.self)
            return "bits 0x\(String(value.bitPattern, radix: 16)): new \(new), reference \(old)"
        }
    }

    /// Up to `limit` mismatches among `values`.
    static func mismatches(_ values: some Sequence<Double>, limit: Int = 5) -> [String] {
        var out: [String] = []
        for v in values {
            if let m = mismatch(v) {
                out.append(m)
                if out.count >= limit { break }
            }
        }
        return out
    }

    /// Float32 `bits` widened to double (nil for NaN, which both write as `nan` but the writers never see).
    static func widened(_ bits: UInt32) -> Double? {
        let f = Float(bitPattern: bits)
        return f.isNaN ? nil : Double(f)
    }

    @Test func float32OnAStride() {
        // 107,349 bit patterns spread over all signs, exponents and mantissas (the stride is prime).
        let values = stride(from: UInt64(0), to: 1 << 32, by: 40_009).lazy.compactMap { Self.widened(UInt32($0)) }
        #expect(Self.mismatches(values) == [])
    }

    @Test func float32LogprobRangeDensely() {
        // Every 6,007th float32 in [-40, 0], and every 37th near the decimal/exponent switch (1e-4).
        let low = Float(-40).bitPattern, zero = Float(-0.0).bitPattern
        let values = stride(from: zero, through: low, by: 6_007).lazy.compactMap { Self.widened($0) }
        #expect(Self.mismatches(values) == [])
        let nearSwitch = stride(from: Float(-0.8e-4).bitPattern, through: Float(-1.2e-4).bitPattern, by: 37).lazy.compactMap { Self.widened($0) }
        #expect(Self.mismatches(nearSwitch) == [])
    }

    @Test func randomDoubles() {
        var mix = ShortestDoubleTests.Mix(state: 11)
        let bits = (0..<100_000).lazy.map { _ in Double(bitPattern: mix.next()) }.filter { !$0.isNaN }
        #expect(Self.mismatches(bits) == [])
        var mix2 = ShortestDoubleTests.Mix(state: 12)
        let logprobs = (0..<60_000).lazy.map { _ -> Double in
            let u = Double(mix2.next() >> 11) / Double(1 << 53)
            return -30 * u * u
        }
        #expect(Self.mismatches(logprobs) == [])
    }

    @Test func edgesOfEveryBinade() {
        var values: [Double] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNormalMagnitude,
                                .leastNonzeroMagnitude, 0x1.0p53, 0x1.0p53 + 2, 0x1.0p53 - 1, 1e-4, 0.99999999]
        for b in 0..<2047 {
            let e = UInt64(b) << 52
            for m: UInt64 in [0, 1, 2, 3, 4, 5, 1 << 51, (1 << 52) - 1, (1 << 52) - 2, 0xF_FFFF_E000_0000] {
                values.append(Double(bitPattern: e | m))
            }
        }
        for m in UInt64(1)...5_000 { values.append(Double(bitPattern: m)) }   // small subnormals
        for p in -325...308 {
            for d in [1.0, 2.0, 5.0, 9.0] { values.append(d * pow(10, Double(p))) }
        }
        #expect(Self.mismatches(values + values.map { -$0 }) == [])
    }

    /// Every float32 (opt-in: `HARVEST_FLOAT_EXHAUSTIVE=1`, release build; minutes).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HARVEST_FLOAT_EXHAUSTIVE"] == "1"))
    func everyFloat32() async {
        let parts = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let span = (UInt64(1) << 32) / UInt64(parts)
        let found = await withTaskGroup(of: [String].self) { group in
            for p in 0..<parts {
                let start = UInt64(p) * span
                let end = p == parts - 1 ? UInt64(1) << 32 : start + span
                group.addTask {
                    Self.mismatches((start..<end).lazy.compactMap { Self.widened(UInt32($0)) })
                }
            }
            var all: [String] = []
            for await part in group { all += part }
            return all
        }
        #expect(found == [])
    }
}
