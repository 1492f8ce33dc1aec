import HarvestJSON
import Testing

/// Integers are written by digit pairs after a digit count from the bit length: every length, both sides of every
/// power of ten, the extremes, and random values must read as `String(value)` does.
@Suite struct IntDigitsTests {
    static func written(_ values: [Int]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for v in values { w.int(v) }
        w.endArray()
        return w.string
    }

    @Test func powersOfTenAndExtremes() {
        var values: [Int] = [0, 1, -1, 9, -9, Int.max, Int.min, Int.max - 1, Int.min + 1]
        var p = 1
        for _ in 0..<19 {
            values += [p - 1, p, p + 1, -p, -(p - 1), -(p + 1), 2 * p - 1, 5 * p]
            if p > Int.max / 10 { break }
            p *= 10
        }
        for shift in 0..<63 { values += [1 << shift, (1 << shift) - 1, -(1 << shift)] }
        #expect(Self.written(values) == "[" + values.map { String($0) }.joined(separator: ",") + "]")
    }

    @Test func randomValues() {
        var state: UInt64 = 42
        var values: [Int] = []
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Int(truncatingIfNeeded: state) >> Int(state % 63))
        }
        #expect(Self.written(values) == "[" + values.map { String($0) }.joined(separator: ",") + "]")
    }
}
