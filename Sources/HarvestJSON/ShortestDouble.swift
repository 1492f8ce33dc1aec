/// Shortest round-trip text of a `Double`, written straight into a byte buffer: the same characters as
/// `Double.description` (`-0.0009114634999446571`, `1e-05`, `0.0001`, `1.0`, `-0.0`, `5e-324`, `1e+16`) without
/// building a String. The digits come from Schubfach (`ShortestDouble+Schubfach.swift`): the shortest decimal that reads
/// back as the same double, the closest one when several are as short (the same bytes as the Ryu implementation it
/// replaced, which the tests keep as their reference).
///
/// ```swift
/// var out = [UInt8]()
/// ShortestDouble.append(-0.25, to: &out)   // "-0.25"
/// ```
public enum ShortestDouble {
    /// The most bytes ``write(_:to:)`` writes for a finite value (`-2.2250738585072014e-308`: 24).
    public static let maxLength = 32

    /// Appends the text of the finite value `value` to `out` (non-finite values: `nan`, `inf`, `-inf`).
    public static func append(_ value: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { scratch in
            let n = write(value, to: scratch.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress!, count: n))
        }
    }

    /// The text of `value` as a String (for tests and messages).
    public static func text(_ value: Double) -> String {
        var out = [UInt8]()
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the text of `value` at `dest` (room for ``maxLength`` bytes) and returns the byte count.
    public static func write(_ value: Double, to dest: UnsafeMutablePointer<UInt8>) -> Int {
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
        let (digits, exponent10) = schubfach(mantissa: ieeeMantissa, exponent: ieeeExponent)
        return n + format(digits: digits, exponent10: exponent10, magnitude: Swift.abs(value), to: dest + n)
    }

    private static func put(_ s: StaticString, _ dest: UnsafeMutablePointer<UInt8>) -> Int {
        let n = s.utf8CodeUnitCount
        dest.update(from: s.utf8Start, count: n)
        return n
    }

    /// Lays out `digits` × 10^`exponent10` as `Double.description` does: decimal notation when the value is at
    /// least 0.0001 and at most 2^53, otherwise `d.ddde±XX` (at least two exponent digits). Digits are written
    /// eight at a time (``writeDigits(_:count:endingAt:)``) next to their final places; `dest` has room for
    /// ``maxLength`` − 1 bytes.
    @inline(__always)
    static func format(digits: UInt64, exponent10: Int, magnitude: Double, to dest: UnsafeMutablePointer<UInt8>) -> Int {
        if digits >= 1_000_000_000_000_000 {
            // 16 or 17 digits (most logprobs): counted without a branch, as the count follows the value.
            let count = 16 &+ (digits >= 10_000_000_000_000_000 ? 1 : 0)
            let point = exponent10 &+ count
            if point >= -3 && point <= 7 { return formatLong(digits, count: count, point: point, to: dest) }
        }
        let count = decimalLength17(digits)
        // value = 0.d1d2…dn × 10^point
        let point = exponent10 &+ count
        if point < -3 || magnitude > 0x1.0p53 {
            // d.ddd: the digits at 1…count, then the first moved before the point.
            writeDigits(digits, count: count, endingAt: dest + (count &+ 1))
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
            // "0.", up to three zeros, the digits: the prefix stored as one word, then the digits over its tail.
            UnsafeMutableRawPointer(dest).storeBytes(of: zeroPrefix, as: UInt64.self)
            let n = 2 &- point
            writeDigits(digits, count: count, endingAt: dest + (n &+ count))
            return n &+ count
        }
        if point >= count {
            writeDigits(digits, count: count, endingAt: dest + count)
            var n = count
            for _ in 0 ..< point &- count { dest[n] = UInt8(ascii: "0"); n &+= 1 }
            dest[n] = UInt8(ascii: "."); dest[n &+ 1] = UInt8(ascii: "0")
            return n &+ 2
        }
        // The point inside: the digits one place to the right, then the integer part moved left over the gap.
        writeDigits(digits, count: count, endingAt: dest + (count &+ 1))
        var i = 0
        while i < point {
            dest[i] = dest[i &+ 1]
            i &+= 1
        }
        dest[point] = UInt8(ascii: ".")
        return count &+ 1
    }

    /// ``format(digits:exponent10:magnitude:to:)`` for the common case of logprobs: 16 or 17 digits, the point
    /// within the first eight (`0.000ddd…` to `ddddddd.ddd…`), laid out with word stores and selects instead of
    /// branches on the digit count and the point's place (both follow the value, which predicts nothing).
    @inline(__always)
    static func formatLong(_ digits: UInt64, count: Int, point: Int, to dest: UnsafeMutablePointer<UInt8>) -> Int {
        // Always 17 digits (a 16-digit value gets a 0 after its end, outside the returned length).
        let d17 = count == 17 ? digits : digits &* 10
        let first = d17 / 10_000_000_000_000_000
        let rest = d17 &- first &* 10_000_000_000_000_000
        let high = rest / 100_000_000
        let low = rest &- high &* 100_000_000
        // |value| < 1 (point ≤ 0): "0.", -point zeros, then the digits; else the digits from byte 1 with the point
        // inserted. Selected by masks: a branch here would follow the value.
        let fractionMask = 0 &- (UInt64(truncatingIfNeeded: point &- 1) >> 63)     // all ones when point ≤ 0
        let start = 1 &+ (Int(truncatingIfNeeded: fractionMask) & (1 &- point))
        let leading = UInt64(truncatingIfNeeded: first) | 0x30
        let middle = eightDigits(UInt32(truncatingIfNeeded: high))
        let raw = UnsafeMutableRawPointer(dest)
        dest[start] = UInt8(truncatingIfNeeded: leading)
        (raw + (start &+ 1)).storeBytes(of: middle.littleEndian, as: UInt64.self)
        (raw + (start &+ 9)).storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: low)).littleEndian, as: UInt64.self)
        // The first word is computed, not read back (a load spanning the stores above would stall on forwarding).
        let firstEight = leading | (middle << 8)                                   // digits 1…8
        let fractionShift = UInt64(truncatingIfNeeded: start &* 8) & 63
        let fractionHead = (zeroPrefix & ((1 << fractionShift) &- 1)) | (firstEight << fractionShift)
        let pointShift = UInt64(truncatingIfNeeded: Swift.max(point, 1) &* 8) & 63
        let keep: UInt64 = (1 << pointShift) &- 1
        let dot: UInt64 = 0x2E << pointShift
        let moved: UInt64 = (firstEight & ~keep) << 8
        let pointHead = (firstEight & keep) | dot | moved
        let head = (fractionHead & fractionMask) | (pointHead & ~fractionMask)
        raw.storeBytes(of: head.littleEndian, as: UInt64.self)
        return start &+ count
    }

    /// "0.000000" as a word whose lowest byte comes first (stored little-endian).
    private static let zeroPrefix: UInt64 = 0x3030_3030_3030_2E30

    /// Writes exactly `count` decimal digits of `v` (< 10^`count`, `count` ≤ 20) so that the last one is just
    /// before `end`: eight digits per word store (``eightDigits(_:)``), then by pairs.
    @inlinable @inline(__always)
    static func writeDigits(_ v: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        var v = v
        var p = end
        var left = count
        while left >= 8 {
            let q = v / 100_000_000
            let word = eightDigits(UInt32(truncatingIfNeeded: v &- q &* 100_000_000))
            UnsafeMutableRawPointer(p - 8).storeBytes(of: word.littleEndian, as: UInt64.self)
            v = q
            p -= 8
            left &-= 8
        }
        var w = UInt32(truncatingIfNeeded: v)
        let pairs = digitPairs.utf8Start
        while left >= 2 {
            let q = w / 100
            let d = Int(truncatingIfNeeded: w &- q &* 100) &* 2
            p -= 2
            p[0] = pairs[d]
            p[1] = pairs[d &+ 1]
            w = q
            left &-= 2
        }
        if left == 1 { p[-1] = UInt8(truncatingIfNeeded: w) &+ 0x30 }
    }

    /// The eight ASCII digits of `x` < 10^8 (leading zeros included) as a word whose lowest byte is the first digit
    /// (store it `littleEndian`).
    @inlinable @inline(__always)
    static func eightDigits(_ x: UInt32) -> UInt64 {
        eightDigitValues(x) | 0x3030_3030_3030_3030
    }

    /// The eight decimal digits of `x` < 10^8 as byte values 0…9, the first digit in the lowest byte: the number split
    /// into 4-digit, 2-digit and 1-digit lanes by multiplying all lanes at once.
    @inlinable @inline(__always)
    static func eightDigitValues(_ x: UInt32) -> UInt64 {
        let high = x / 10_000
        var v = UInt64(high) | (UInt64(x &- high &* 10_000) << 32)
        let hundreds = ((v &* 10_486) >> 20) & 0x0000_007F_0000_007F   // lane / 100, exact below 10^4
        v = hundreds | ((v &- hundreds &* 100) << 16)
        let tens = ((v &* 103) >> 10) & 0x000F_000F_000F_000F          // lane / 10, exact below 100
        return tens | ((v &- tens &* 10) << 8)
    }

    /// Writes the digits of `v` < 10^8 at `out` (room: 8, all of it may be written) and returns their count: one
    /// word, its leading zeros shifted out, instead of a digit count and a loop that follow the value.
    @inlinable @inline(__always)
    static func writeSmall(_ v: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let values = eightDigitValues(v)
        let zeros = Swift.min(values.trailingZeroBitCount >> 3, 7)
        let word = (values | 0x3030_3030_3030_3030) >> UInt64(truncatingIfNeeded: zeros &* 8)
        UnsafeMutableRawPointer(out).storeBytes(of: word.littleEndian, as: UInt64.self)
        return 8 &- zeros
    }

    /// The number of decimal digits of `v` (1 for 0), counted up from one digit: few comparisons for small
    /// values (token ids), all of them well predicted.
    @inlinable @inline(__always) static func decimalLength(_ v: UInt64) -> Int {
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

    /// "00", "01", … "99".
    @usableFromInline static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}
