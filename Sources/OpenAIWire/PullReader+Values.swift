import HarvestCore
import HarvestJSON

/// Numbers, integers, `bytes` arrays and skipped values.
extension PullReader {
    /// A logprob (correctly rounded); `null` gives NaN (unknown).
    ///
    /// Value rules: the tokens `NaN`, `Infinity` and `-Infinity` (not valid JSON) and a logprob above
    /// ``positiveLogprobTolerance`` are invalid values (the answer is refused, see ``WireError/invalidValue(reason:offset:bodyPrefix:)``);
    /// a positive logprob up to the tolerance is float rounding of a probability of 1: it is kept as sent
    /// (bit-exact, like every other value).
    @inline(__always) mutating func double() throws(JSONError) -> Double {
        if consumeNull() { return .nan }
        let start = pos
        var p = JSONParser(buf)
        p.pos = pos
        let v = try p.parseNumber()
        pos = p.pos
        if v.isFinite, v <= 0 { return v }
        if !v.isFinite {
            throw invalid("logprob \(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)) is not a finite number (NaN and Infinity are not valid JSON)", at: start)
        }
        if v <= Self.positiveLogprobTolerance { return v }
        throw invalid("logprob \(v) is positive (a log-probability is at most 0)", at: start)
    }

    /// The largest positive logprob taken as float rounding of `0` (kept as sent).
    static let positiveLogprobTolerance = 1e-6

    /// A token count from `usage`, or nil for `null`, another type, a negative or non-finite value (noted in
    /// `corrections`); values above ``Usage/maxTokens`` are clamped to it (noted). Never throws on a number, so
    /// odd usage never turns a paid answer into a malformed one.
    mutating func usageCount(_ name: String, corrections: inout [String]) throws(JSONError) -> Int? {
        guard let c = peek() else { throw error("unexpected end of input") }
        guard c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "N") || c == UInt8(ascii: "I") else {
            try skipValue()
            return nil
        }
        let start = pos
        var p = JSONParser(buf)
        p.pos = pos
        let v = try p.parseNumber()
        pos = p.pos
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if v.isNaN || v < 0 {
            corrections.append("usage.\(name) \(text) is \(v.isNaN ? "not a number" : "negative"): treated as unknown")
            return nil
        }
        if v > Double(Usage.maxTokens) {
            corrections.append("usage.\(name) \(text) is too large: clamped to \(Usage.maxTokens)")
            return Usage.maxTokens
        }
        return Int(v.rounded())
    }

    /// An integer. Accepts an integral number written with a fraction or exponent.
    @inline(__always) mutating func int() throws(JSONError) -> Int {
        skipWhitespace()
        let start = pos
        var negative = false
        if pos < buf.count, buf[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        let digits = pos
        var value = 0
        while pos < buf.count {
            let d = buf[pos] &- 0x30
            if d > 9 { break }
            value = value &* 10 &+ Int(d)
            pos += 1
        }
        let count = pos - digits
        if count > 0, count <= 18,
           pos >= buf.count || (buf[pos] != UInt8(ascii: ".") && buf[pos] | 0x20 != UInt8(ascii: "e")) {
            return negative ? -value : value
        }
        pos = start
        var p = JSONParser(buf)
        p.pos = pos
        let d = try p.parseNumber()
        guard d == d.rounded(), abs(d) < 9.2e18 else { throw JSONError("expected an integer", offset: start) }
        pos = p.pos
        return Int(d)
    }

    /// An integer, or nil for `null`; any other type is skipped and gives nil.
    mutating func lenientInt() throws(JSONError) -> Int? {
        guard let c = peek() else { throw error("unexpected end of input") }
        if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) { return try int() }
        try skipValue()
        return nil
    }

    /// A `bytes` array of integers 0...255, or nil for `null`. The common compact form
    /// (`[72,105]`, at most 64 values) is parsed in one pass into a stack buffer and copied into an
    /// array of exact size (`Array(UnsafeBufferPointer)` avoids a runtime metadata lookup that
    /// `Array(unsafeUninitializedCapacity:)` pays on every call); anything else (whitespace, more
    /// values, fractions, out-of-range values) takes the general path, which also reports errors.
    mutating func byteArray() throws(JSONError) -> [UInt8]? {
        guard try openArray("bytes") else { return nil }
        guard pos < buf.count else { throw error("unexpected end of input inside an array") }
        if buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return []
        }
        let start = pos
        let buf = self.buf
        let (out, end) = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { scratch -> ([UInt8], Int) in
            var i = start
            var n = 0
            while n < 64 {
                var value = 0
                let digits = i
                while i < buf.count {
                    let d = buf[i] &- 0x30
                    if d > 9 { break }
                    value = value &* 10 &+ Int(d)
                    i += 1
                }
                guard i > digits, i - digits <= 3, value <= 255, i < buf.count else { break }
                scratch[n] = UInt8(truncatingIfNeeded: value)
                n += 1
                let c = buf[i]
                i += 1
                if c == UInt8(ascii: "]") { return (Array(UnsafeBufferPointer(rebasing: scratch[0..<n])), i) }
                if c != UInt8(ascii: ",") { break }
            }
            return ([], -1)
        }
        guard end >= 0 else { return try generalByteArray() }
        pos = end
        return out
    }

    /// The element-by-element path of ``byteArray()`` (cursor just after `[`).
    private mutating func generalByteArray() throws(JSONError) -> [UInt8] {
        var out = [UInt8]()
        var first = true
        while try nextElement(&first) {
            let start = pos
            let v = try int()
            guard v >= 0, v <= 255 else { throw JSONError("byte value out of range", offset: start) }
            out.append(UInt8(truncatingIfNeeded: v))
        }
        return out
    }

    /// Skips one value of any type without building it.
    mutating func skipValue() throws(JSONError) {
        var p = JSONParser(buf)
        p.pos = pos
        try p.skipValue()
        pos = p.pos
    }

    /// Builds one value as a ``JSONValue`` (for small, rarely present members).
    mutating func value() throws(JSONError) -> JSONValue {
        var p = JSONParser(buf)
        p.pos = pos
        let v = try p.parseValue()
        pos = p.pos
        return v
    }
}
