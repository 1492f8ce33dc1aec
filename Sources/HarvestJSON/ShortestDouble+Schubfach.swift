/// Schubfach (Raffaello Giulietti, "The Schubfach way to render doubles", 2020; Java's `Double.toString` since 19):
/// the shortest decimal in a double's rounding interval, the closest one when several are as short, ties to an
/// even last digit — the same digits as Ryu and `Double.description`, from three 64×128-bit products and a few
/// comparisons, with no digit-removal loop. Table in `ShortestDouble+SchubfachTable.swift` (generated).
extension ShortestDouble {
    /// ⌊q × log10(2)⌋ for |q| ≤ 5,456,721.
    @inline(__always) static func floorLog10Pow2(_ q: Int) -> Int { (q &* 661_971_961_083) >> 41 }

    /// ⌊log10(3/4 × 2^q)⌋ for |q| ≤ 5,456,721.
    @inline(__always) static func floorLog10ThreeQuartersPow2(_ q: Int) -> Int {
        (q &* 661_971_961_083 &- 274_743_187_321) >> 41
    }

    /// ⌊q × log2(10)⌋ for |q| ≤ 1,233.
    @inline(__always) static func floorLog2Pow10(_ q: Int) -> Int { (q &* 913_124_641_741) >> 38 }

    /// Round to odd of ⌊cp × g / 2^127⌋ with g = g1 × 2^63 + g0 (the paper's section 9.9).
    @inline(__always) static func roundToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
        let mask63: UInt64 = (1 << 63) &- 1
        let x1 = g0.multipliedFullWidth(by: cp).high
        let y = g1.multipliedFullWidth(by: cp)
        let z = (y.low >> 1) &+ x1
        let vbp = y.high &+ (z >> 63)
        return vbp | (((z & mask63) &+ mask63) >> 63)
    }

    /// The shortest decimal digits (no trailing zeros) and power of ten of a positive finite nonzero double given
    /// by its fields (biased exponent 0 for subnormals).
    @inline(__always)
    static func schubfach(mantissa: UInt64, exponent: Int) -> (digits: UInt64, exponent10: Int) {
        let c: UInt64
        let q: Int
        if exponent != 0 {
            c = (1 << 52) | mantissa
            q = exponent &- 1075
        } else {
            // The two smallest subnormals are below the algorithm's range (the paper's C_TINY): 5e-324, 1e-323.
            if mantissa < 3 { return mantissa == 1 ? (5, -324) : (1, -323) }
            c = mantissa
            q = -1074
        }
        let out = c & 1
        let cb = c << 2
        let cbr = cb &+ 2
        let cbl: UInt64
        let k: Int
        if mantissa != 0 || q == -1074 {
            cbl = cb &- 2
            k = floorLog10Pow2(q)
        } else {
            cbl = cb &- 1
            k = floorLog10ThreeQuartersPow2(q)
        }
        let h = q &+ floorLog2Pow10(-k) &+ 2
        let (g1, g0) = schubfachG.withUnsafeBufferPointer { t in
            let i = (k &- schubfachKMin) &* 2
            return (t[i], t[i &+ 1])
        }
        let vb = roundToOdd(g1, g0, cb << UInt64(h))
        let vbl = roundToOdd(g1, g0, cbl << UInt64(h))
        let vbr = roundToOdd(g1, g0, cbr << UInt64(h))
        let s = vb >> 2
        // One digit shorter: at most one multiple of 10 × 10^k lies in the interval. (Java skips this below
        // s = 100 because its format wants two digits; `Double.description` wants the shortest, 5e-323.)
        let s10 = s / 10
        let sp10 = 10 &* s10
        let tp10 = sp10 &+ 10
        let upin = vbl &+ out <= sp10 << 2
        let wpin = (tp10 << 2) &+ out <= vbr
        let short = upin ? s10 : s10 &+ 1
        // Else the one of s, t = s + 1 in the interval, or the closer one when both are (the even one on a tie).
        let t = s &+ 1
        let uin = vbl &+ out <= s << 2
        let win = (t << 2) &+ out <= vbr
        let cmp = Int64(bitPattern: vb &- ((s &+ t) << 1))
        let closer = cmp < 0 || (cmp == 0 && s & 1 == 0) ? s : t
        let long = uin != win ? (uin ? s : t) : closer
        // Selected without branches: which case applies follows the value's digits, which predict nothing.
        let useShort = upin != wpin
        let digits = useShort ? short : long
        let exponent10 = useShort ? k &+ 1 : k
        // Rarely more zeros at the end (t = …0, or a short value such as 0.5).
        if digits % 10 != 0 { return (digits, exponent10) }
        return removingTrailingZeros(digits, exponent10)
    }

    /// `digits` × 10^`exponent10` with the trailing zeros of `digits` moved into the exponent.
    @inline(__always)
    static func removingTrailingZeros(_ digits: UInt64, _ exponent10: Int) -> (digits: UInt64, exponent10: Int) {
        var d = digits
        var e = exponent10
        while true {
            let q = d / 10
            if d &- q &* 10 != 0 { break }
            d = q
            e &+= 1
        }
        return (d, e)
    }
}
