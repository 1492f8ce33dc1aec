/// The export's double formatting as it was before Schubfach (Ryu's digits, Ulf Adams, PLDI 2018, and the earlier
/// layout code), kept verbatim as the reference that ``ShortestDouble`` must match byte for byte: exports are
/// checked by trainers and goldens, so a faster formatter may not change one byte. Tables in
/// `RyuReference+Tables.swift` (generated).
enum RyuReference {
    /// The most bytes ``write(_:to:)`` writes for a finite value (`-2.2250738585072014e-308`: 24).
    static let maxLength = 32

    /// Appends the text of the finite value `value` to `out` (non-finite values: `nan`, `inf`, `-inf`).
    static func append(_ value: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { scratch in
            let n = write(value, to: scratch.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress!, count: n))
        }
    }

    /// The text of `value` as a String (for tests and messages).
    static func text(_ value: Double) -> String {
        var out = [UInt8]()
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the text of `value` at `dest` (room for ``maxLength`` bytes) and returns the byte count.
    static func write(_ value: Double, to dest: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        let negative = bits >> 63 != 0
        let ieeeMantissa = bits & ((1 << 52) - 1)
        let ieeeExponent = Int((bits >> 52) & 0x7FF)
        var n = 0
        if ieeeExponent == 0x7FF {
            if ieeeMantissa != 0 { return put("nan", dest) }
            if negative { dest[0] = UInt8(ascii: "-"); n = 1 }
            return n + put("inf", dest + n)
        }
        if negative { dest[0] = UInt8(ascii: "-"); n = 1 }
        if ieeeExponent == 0 && ieeeMantissa == 0 {
            dest[n] = UInt8(ascii: "0"); dest[n + 1] = UInt8(ascii: "."); dest[n + 2] = UInt8(ascii: "0")
            return n + 3
        }
        let (digits, exponent10) = shortest(mantissa: ieeeMantissa, exponent: ieeeExponent)
        return n + format(digits: digits, exponent10: exponent10, magnitude: Swift.abs(value), to: dest + n)
    }

    private static func put(_ s: StaticString, _ dest: UnsafeMutablePointer<UInt8>) -> Int {
        let n = s.utf8CodeUnitCount
        dest.update(from: s.utf8Start, count: n)
        return n
    }

    /// Lays out `digits` × 10^`exponent10` as `Double.description` does: decimal notation when the value is at
    /// least 0.0001 and at most 2^53, otherwise `d.ddde±XX` (at least two exponent digits). Digits are written
    /// straight into their final places.
    @inline(__always)
    static func format(digits: UInt64, exponent10: Int, magnitude: Double, to dest: UnsafeMutablePointer<UInt8>) -> Int {
        let count = decimalLength17(digits)
        // value = 0.d1d2…dn × 10^point
        let point = exponent10 &+ count
        if point < -3 || magnitude > 0x1.0p53 {
            // d.ddd: the digits at 1…count, then the first moved before the point.
            writeDigits(digits, endingAt: dest + (count &+ 1))
            var n = 1
            if count > 1 {
                dest[0] = dest[1]
                dest[1] = UInt8(ascii: ".")
                n = count &+ 1
            } else {
                dest[0] = dest[1]
            }
            dest[n] = UInt8(ascii: "e"); n &+= 1
            var e = point &- 1
            dest[n] = e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"); n &+= 1
            if e < 0 { e = -e }
            if e >= 100 { dest[n] = UInt8(truncatingIfNeeded: e / 100) &+ 0x30; n &+= 1 }
            dest[n] = UInt8(truncatingIfNeeded: (e / 10) % 10) &+ 0x30
            dest[n &+ 1] = UInt8(truncatingIfNeeded: e % 10) &+ 0x30
            return n &+ 2
        }
        if point <= 0 {
            dest[0] = UInt8(ascii: "0"); dest[1] = UInt8(ascii: ".")
            var n = 2
            for _ in 0 ..< -point { dest[n] = UInt8(ascii: "0"); n &+= 1 }
            writeDigits(digits, endingAt: dest + (n &+ count))
            return n &+ count
        }
        if point >= count {
            writeDigits(digits, endingAt: dest + count)
            var n = count
            for _ in 0 ..< point &- count { dest[n] = UInt8(ascii: "0"); n &+= 1 }
            dest[n] = UInt8(ascii: "."); dest[n &+ 1] = UInt8(ascii: "0")
            return n &+ 2
        }
        // Digits with the point inside: the fraction's digits after it, the integer part before it.
        let scale = powerOfTen(count &- point)
        let integer = digits / scale
        let fraction = digits &- integer &* scale
        writeDigits(integer, endingAt: dest + point)
        dest[point] = UInt8(ascii: ".")
        writeFixedDigits(fraction, count: count &- point, endingAt: dest + (count &+ 1))
        return count &+ 1
    }

    /// 10^`n` for `n` in 0…19 (a constant table without a lazily initialized global).
    @inline(__always) static func powerOfTen(_ n: Int) -> UInt64 {
        switch n {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        case 9: return 1_000_000_000
        case 10: return 10_000_000_000
        case 11: return 100_000_000_000
        case 12: return 1_000_000_000_000
        case 13: return 10_000_000_000_000
        case 14: return 100_000_000_000_000
        case 15: return 1_000_000_000_000_000
        case 16: return 10_000_000_000_000_000
        case 17: return 100_000_000_000_000_000
        case 18: return 1_000_000_000_000_000_000
        default: return 10_000_000_000_000_000_000
        }
    }

    /// The number of decimal digits of `v` (1 for 0), counted up from one digit: few comparisons for small
    /// values (token ids), all of them well predicted.
    @inline(__always) static func decimalLength(_ v: UInt64) -> Int {
        var n = 1
        var t: UInt64 = 10
        while v >= t {
            n &+= 1
            if n == 20 { return 20 }
            t &*= 10
        }
        return n
    }

    /// The number of decimal digits of a shortest-digits value `v` < 10^17 (1 for 0), counted down from 17: one
    /// comparison for the 16–17 digits of most logprobs.
    @inline(__always) static func decimalLength17(_ v: UInt64) -> Int {
        var n = 17
        var t: UInt64 = 10_000_000_000_000_000
        while n > 1 && v < t {
            n &-= 1
            t /= 10
        }
        return n
    }

    /// Writes the decimal digits of `v` so that the last one is just before `end`: eight digits at a time in
    /// 32-bit arithmetic, by pairs.
    @inline(__always) static func writeDigits(_ v: UInt64, endingAt end: UnsafeMutablePointer<UInt8>) {
        var v = v
        var p = end
        let pairs = digitPairs.utf8Start
        while v >= 100_000_000 {
            let q = v / 100_000_000
            var r = UInt32(truncatingIfNeeded: v &- q &* 100_000_000)
            for _ in 0..<4 {
                let q2 = r / 100
                let d = Int(truncatingIfNeeded: r &- q2 &* 100) &* 2
                p -= 2
                p[0] = pairs[d]
                p[1] = pairs[d &+ 1]
                r = q2
            }
            v = q
        }
        var w = UInt32(truncatingIfNeeded: v)
        while w >= 100 {
            let q = w / 100
            let d = Int(truncatingIfNeeded: w &- q &* 100) &* 2
            p -= 2
            p[0] = pairs[d]
            p[1] = pairs[d &+ 1]
            w = q
        }
        if w >= 10 {
            let d = Int(truncatingIfNeeded: w) &* 2
            p -= 2
            p[0] = pairs[d]
            p[1] = pairs[d &+ 1]
        } else {
            p -= 1
            p[0] = UInt8(truncatingIfNeeded: w) &+ 0x30
        }
    }

    /// Writes exactly `count` digits of `v` (leading zeros included) ending just before `end`, by pairs.
    @inline(__always) private static func writeFixedDigits(_ v: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        var v = v
        var p = end
        var left = count
        let pairs = digitPairs.utf8Start
        while left >= 2 {
            let q = v / 100
            let d = Int(truncatingIfNeeded: v &- q &* 100) &* 2
            p -= 2
            p[0] = pairs[d]
            p[1] = pairs[d &+ 1]
            v = q
            left &-= 2
        }
        if left == 1 {
            p -= 1
            p[0] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
        }
    }

    /// "00", "01", … "99".
    static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    // MARK: Ryu

    @inline(__always) private static func pow5bits(_ e: Int) -> Int { ((e &* 1217359) >> 19) &+ 1 }
    @inline(__always) private static func log10Pow2(_ e: Int) -> Int { (e &* 78913) >> 18 }
    @inline(__always) private static func log10Pow5(_ e: Int) -> Int { (e &* 732923) >> 20 }

    @inline(__always) private static func pow5Factor(_ value: UInt64) -> Int {
        var v = value
        var count = 0
        while v != 0 {
            let q = v / 5
            if v &- q &* 5 != 0 { break }
            v = q
            count += 1
        }
        return count
    }

    @inline(__always) private static func multipleOfPowerOf5(_ value: UInt64, _ p: Int) -> Bool { pow5Factor(value) >= p }
    @inline(__always) private static func multipleOfPowerOf2(_ value: UInt64, _ p: Int) -> Bool { value & ((1 << UInt64(p)) &- 1) == 0 }

    /// (m × mul) >> j for a 128-bit `mul` given as (low, high) words; j ≥ 64.
    @inline(__always) private static func mulShift(_ m: UInt64, _ low: UInt64, _ high: UInt64, _ j: Int) -> UInt64 {
        let b0 = m.multipliedFullWidth(by: low)
        let b2 = m.multipliedFullWidth(by: high)
        let (sumLow, carry) = b2.low.addingReportingOverflow(b0.high)
        let sumHigh = b2.high &+ (carry ? 1 : 0)
        let s = UInt64(j &- 64)
        return (sumHigh << (64 &- s)) | (sumLow >> s)
    }

    /// The shortest decimal digits and power of ten of a positive finite double given by its fields.
    static func shortest(mantissa ieeeMantissa: UInt64, exponent ieeeExponent: Int) -> (digits: UInt64, exponent10: Int) {
        let e2: Int
        let m2: UInt64
        if ieeeExponent == 0 {
            e2 = 1 - 1023 - 52 - 2
            m2 = ieeeMantissa
        } else {
            e2 = ieeeExponent - 1023 - 52 - 2
            m2 = (1 << 52) | ieeeMantissa
        }
        let acceptBounds = m2 & 1 == 0
        let mv = 4 &* m2
        let mmShift: UInt64 = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1 : 0
        var vr: UInt64, vp: UInt64, vm: UInt64
        let e10: Int
        var vmIsTrailingZeros = false
        var vrIsTrailingZeros = false
        if e2 >= 0 {
            let q = log10Pow2(e2) - (e2 > 3 ? 1 : 0)
            e10 = q
            let k = 125 + pow5bits(q) - 1
            let i = -e2 + q + k
            let (lo, hi) = pow5InvSplit.withUnsafeBufferPointer { ($0[2 * q], $0[2 * q + 1]) }
            vr = mulShift(4 &* m2, lo, hi, i)
            vp = mulShift(4 &* m2 &+ 2, lo, hi, i)
            vm = mulShift(4 &* m2 &- 1 &- mmShift, lo, hi, i)
            if q <= 21 {
                if mv % 5 == 0 {
                    vrIsTrailingZeros = multipleOfPowerOf5(mv, q)
                } else if acceptBounds {
                    vmIsTrailingZeros = multipleOfPowerOf5(mv &- 1 &- mmShift, q)
                } else {
                    vp -= multipleOfPowerOf5(mv &+ 2, q) ? 1 : 0
                }
            }
        } else {
            let q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0)
            e10 = q + e2
            let i = -e2 - q
            let k = pow5bits(i) - 125
            let j = q - k
            let (lo, hi) = pow5Split.withUnsafeBufferPointer { ($0[2 * i], $0[2 * i + 1]) }
            vr = mulShift(4 &* m2, lo, hi, j)
            vp = mulShift(4 &* m2 &+ 2, lo, hi, j)
            vm = mulShift(4 &* m2 &- 1 &- mmShift, lo, hi, j)
            if q <= 1 {
                vrIsTrailingZeros = true
                if acceptBounds {
                    vmIsTrailingZeros = mmShift == 1
                } else {
                    vp -= 1
                }
            } else if q < 63 {
                vrIsTrailingZeros = multipleOfPowerOf2(mv, q)
            }
        }
        var removed = 0
        var lastRemovedDigit: UInt64 = 0
        let output: UInt64
        if vmIsTrailingZeros || vrIsTrailingZeros {
            while true {
                let vpDiv10 = vp / 10
                let vmDiv10 = vm / 10
                if vpDiv10 <= vmDiv10 { break }
                let vmMod10 = vm &- 10 &* vmDiv10
                let vrDiv10 = vr / 10
                let vrMod10 = vr &- 10 &* vrDiv10
                vmIsTrailingZeros = vmIsTrailingZeros && vmMod10 == 0
                vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                lastRemovedDigit = vrMod10
                vr = vrDiv10; vp = vpDiv10; vm = vmDiv10
                removed += 1
            }
            if vmIsTrailingZeros {
                while true {
                    let vmDiv10 = vm / 10
                    let vmMod10 = vm &- 10 &* vmDiv10
                    if vmMod10 != 0 { break }
                    let vpDiv10 = vp / 10
                    let vrDiv10 = vr / 10
                    let vrMod10 = vr &- 10 &* vrDiv10
                    vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                    lastRemovedDigit = vrMod10
                    vr = vrDiv10; vp = vpDiv10; vm = vmDiv10
                    removed += 1
                }
            }
            if vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0 { lastRemovedDigit = 4 }
            let up = (vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5
            output = vr &+ (up ? 1 : 0)
        } else {
            var roundUp = false
            let vpDiv100 = vp / 100
            let vmDiv100 = vm / 100
            if vpDiv100 > vmDiv100 {
                let vrDiv100 = vr / 100
                let vrMod100 = vr &- 100 &* vrDiv100
                roundUp = vrMod100 >= 50
                vr = vrDiv100; vp = vpDiv100; vm = vmDiv100
                removed += 2
            }
            while true {
                let vpDiv10 = vp / 10
                let vmDiv10 = vm / 10
                if vpDiv10 <= vmDiv10 { break }
                let vrDiv10 = vr / 10
                let vrMod10 = vr &- 10 &* vrDiv10
                roundUp = vrMod10 >= 5
                vr = vrDiv10; vp = vpDiv10; vm = vmDiv10
                removed += 1
            }
            output = vr &+ (vr == vm || roundUp ? 1 : 0)
        }
        return (output, e10 + removed)
    }
}
