/// Correctly rounded conversion of a decimal `mantissa × 10^exponent` to a Double without
/// going through text: Clinger's exact fast path, then the Eisel–Lemire algorithm.
/// Either returns the correctly rounded result or nil, in which case the caller falls back to
/// `strtod` (this happens for subnormals, huge exponents and rare half-way cases).
enum DecimalToDouble {
    /// Exact powers of ten representable in a Double (10^0 ... 10^22).
    private static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Smallest and largest decimal exponent covered by ``powerTable``.
    static let minExponent = -348
    static let maxExponent = 347

    /// 128-bit normalized mantissas of 10^e for e in `minExponent...maxExponent`, rounded down,
    /// stored as (high, low) pairs. Computed once with exact big-integer arithmetic.
    static let powerTable: [UInt64] = makePowerTable()

    /// The correctly rounded magnitude of `mantissa × 10^exponent` (mantissa must be non-zero
    /// and exact, i.e. at most 19 significant digits were accumulated), or nil when undecided.
    @inline(__always)
    static func convert(mantissa: UInt64, exponent: Int) -> Double? {
        // Clinger: both operands exact, one rounding.
        if mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            let m = Double(mantissa)
            return exponent >= 0 ? m * exactPowers[exponent] : m / exactPowers[-exponent]
        }
        return eiselLemire(mantissa: mantissa, exponent: exponent)
    }

    /// The Eisel–Lemire algorithm (as in Go's `strconv.eiselLemire64`).
    static func eiselLemire(mantissa: UInt64, exponent: Int) -> Double? {
        guard mantissa != 0, exponent >= minExponent, exponent <= maxExponent else { return nil }
        let clz = mantissa.leadingZeroBitCount
        let man = mantissa << UInt64(clz)
        var retExp2 = UInt64(bitPattern: Int64((217706 &* exponent) >> 16 &+ 64 &+ 1023)) &- UInt64(clz)
        let row = (exponent - minExponent) * 2
        let (hiMul, loMul) = powerTable.withUnsafeBufferPointer { ($0[row], $0[row + 1]) }

        var (xHi, xLo) = man.multipliedFullWidth(by: hiMul)
        if xHi & 0x1FF == 0x1FF, xLo &+ man < man {
            let (yHi, yLo) = man.multipliedFullWidth(by: loMul)
            var mergedHi = xHi
            let mergedLo = xLo &+ yHi
            if mergedLo < xLo { mergedHi &+= 1 }
            if mergedHi & 0x1FF == 0x1FF, mergedLo == UInt64.max, yLo &+ man < man { return nil }
            xHi = mergedHi
            xLo = mergedLo
        }
        let msb = xHi >> 63
        var retMantissa = xHi >> (msb + 9)
        retExp2 &-= 1 ^ msb
        if xLo == 0, xHi & 0x1FF == 0, retMantissa & 3 == 1 { return nil }
        retMantissa &+= retMantissa & 1
        retMantissa >>= 1
        if retMantissa >> 53 > 0 {
            retMantissa >>= 1
            retExp2 &+= 1
        }
        if retExp2 &- 1 >= 0x7FF - 1 { return nil }
        return Double(bitPattern: retExp2 << 52 | retMantissa & 0x000F_FFFF_FFFF_FFFF)
    }

    // MARK: - Table generation

    private static func makePowerTable() -> [UInt64] {
        let count = maxExponent - minExponent + 1
        var table = [UInt64](repeating: 0, count: count * 2)
        // Non-negative exponents: 10^e exactly, truncated to its top 128 bits.
        var big: [UInt64] = [1]
        for e in 0...maxExponent {
            if e > 0 { multiply(&big, by: 10) }
            let (hi, lo) = top128(big)
            table[(e - minExponent) * 2] = hi
            table[(e - minExponent) * 2 + 1] = lo
        }
        // Negative exponents: floor(2^K / 10^n), truncated to its top 128 bits (= rounded down).
        var recip = [UInt64](repeating: 0, count: 25)
        recip[24] = 1  // 2^1536, enough bits left after dividing by 10^348.
        for n in 1...(-minExponent) {
            divide(&recip, by: 10)
            let (hi, lo) = top128(recip)
            table[(-n - minExponent) * 2] = hi
            table[(-n - minExponent) * 2 + 1] = lo
        }
        return table
    }

    private static func multiply(_ limbs: inout [UInt64], by factor: UInt64) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let (hi, lo) = limbs[i].multipliedFullWidth(by: factor)
            let (sum, overflow) = lo.addingReportingOverflow(carry)
            limbs[i] = sum
            carry = hi &+ (overflow ? 1 : 0)
        }
        if carry != 0 { limbs.append(carry) }
    }

    private static func divide(_ limbs: inout [UInt64], by divisor: UInt64) {
        var remainder: UInt64 = 0
        for i in limbs.indices.reversed() {
            let (q, r) = divisor.dividingFullWidth((remainder, limbs[i]))
            limbs[i] = q
            remainder = r
        }
        while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
    }

    /// The top 128 bits of a non-zero little-endian big integer, normalized so bit 127 is set.
    private static func top128(_ limbs: [UInt64]) -> (UInt64, UInt64) {
        var top = limbs.count - 1
        while limbs[top] == 0 { top -= 1 }
        let shift = UInt64(limbs[top].leadingZeroBitCount)
        let a = limbs[top]
        let b = top >= 1 ? limbs[top - 1] : 0
        let c = top >= 2 ? limbs[top - 2] : 0
        if shift == 0 { return (a, b) }
        return (a << shift | b >> (64 - shift), b << shift | c >> (64 - shift))
    }
}
