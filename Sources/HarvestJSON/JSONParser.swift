#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A recursive-descent JSON parser over a byte buffer, producing ``JSONValue``.
/// It also exposes the low-level scanning primitives (``skipWhitespace()``, ``parseString()``,
/// ``parseNumber()``, ``skipValue()``) for purpose-built pull decoders.
public struct JSONParser {
    /// The input.
    public let buf: UnsafeBufferPointer<UInt8>
    /// Current byte offset.
    public var pos: Int = 0
    private var depth = 0
    /// Maximum nesting depth accepted.
    public static let maxDepth = 512

    /// Creates a parser over `buf`. The buffer must outlive the parser.
    public init(_ buf: UnsafeBufferPointer<UInt8>) {
        self.buf = buf
    }

    /// Parses exactly one value followed only by whitespace.
    public mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        if pos < buf.count, buf[pos] == 0xEF, pos + 2 < buf.count, buf[pos + 1] == 0xBB, buf[pos + 2] == 0xBF { pos += 3 }
        let v = try parseValue()
        skipWhitespace()
        if pos != buf.count { throw JSONError("unexpected trailing characters", offset: pos) }
        return v
    }

    /// The byte at the cursor after whitespace, or nil at the end.
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < buf.count ? buf[pos] : nil
    }

    /// Advances over JSON whitespace.
    @inline(__always) public mutating func skipWhitespace() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// Consumes `byte` (after whitespace) or throws.
    public mutating func expect(_ byte: UInt8) throws(JSONError) {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == byte else {
            throw JSONError("expected '\(Character(Unicode.Scalar(byte)))'", offset: pos)
        }
        pos += 1
    }

    /// Consumes `byte` if it is next (after whitespace).
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if pos < buf.count, buf[pos] == byte {
            pos += 1
            return true
        }
        return false
    }

    /// Parses any value.
    public mutating func parseValue() throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard pos < buf.count else { throw JSONError("unexpected end of input", offset: pos) }
        switch buf[pos] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maxDepth { throw JSONError("nesting too deep", offset: pos) }
            pos += 1
            var members: [(String, JSONValue)] = []
            if consume(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                skipWhitespace()
                let k = try parseString()
                try expect(UInt8(ascii: ":"))
                members.append((k, try parseValue()))
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maxDepth { throw JSONError("nesting too deep", offset: pos) }
            pos += 1
            var items: [JSONValue] = []
            if consume(UInt8(ascii: "]")) { return .array(items) }
            repeat { items.append(try parseValue()) } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .number(try parseNumber())
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw JSONError("invalid literal", offset: pos) }
        let p = word.utf8Start
        for i in 0..<n where buf[pos + i] != p[i] { throw JSONError("invalid literal", offset: pos) }
        pos += n
    }

    /// Parses a string at the cursor (which must be at `"`), decoding escapes.
    /// Invalid UTF-8 and lone surrogates become U+FFFD.
    public mutating func parseString() throws(JSONError) -> String {
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw JSONError("expected a string", offset: pos) }
        pos += 1
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw JSONError("control character in string", offset: pos) }
            pos += 1
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw JSONError("control character in string", offset: pos) }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < buf.count else { break }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    if pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(UInt32(scalar), to: &out)
            default:
                throw JSONError("invalid escape", offset: pos - 1)
            }
        }
        throw JSONError("unterminated string", offset: start - 1)
    }

    private mutating func hex4() throws(JSONError) -> Int {
        guard pos + 4 <= buf.count else { throw JSONError("truncated \\u escape", offset: pos) }
        var v = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c - 0x30)
            case 0x41...0x46: d = Int(c - 0x41 + 10)
            case 0x61...0x66: d = Int(c - 0x61 + 10)
            default: throw JSONError("invalid \\u escape", offset: pos)
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (s >> 6)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (s >> 12)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (s >> 18)))
            out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    /// Parses a number at the cursor, correctly rounded. Accepts `NaN`, `Infinity`
    /// and `-Infinity` leniently, as Python's json module writes them; `-0` keeps its sign.
    /// Up to 19 significant digits are converted without text (Clinger's exact fast path, then
    /// Eisel–Lemire); anything undecided falls back to ``strtod(_:_:_:)``.
    public mutating func parseNumber() throws(JSONError) -> Double {
        skipWhitespace()
        let start = pos
        let n = buf.count
        var negative = false
        if pos < n, buf[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        if pos < n, buf[pos] == UInt8(ascii: "I") {
            try literal("Infinity")
            return negative ? -.infinity : .infinity
        }
        if pos < n, buf[pos] == UInt8(ascii: "N"), !negative {
            try literal("NaN")
            return .nan
        }
        // Digits are accumulated with wrapping arithmetic; more than 19 significant digits
        // (rare) are left to strtod.
        var mantissa: UInt64 = 0
        var exponent = 0
        let intStart = pos
        while pos < n, buf[pos] == UInt8(ascii: "0") { pos += 1 }
        let sigStart = pos
        while pos < n {
            let d = buf[pos] &- 0x30
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            pos += 1
        }
        if pos == intStart { throw JSONError("invalid number", offset: start) }
        var significant = pos - sigStart
        if pos < n, buf[pos] == UInt8(ascii: ".") {
            pos += 1
            let fracStart = pos
            if significant == 0 {
                while pos < n, buf[pos] == UInt8(ascii: "0") { pos += 1 }
            }
            let digitsStart = pos
            while pos < n {
                let d = buf[pos] &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                pos += 1
            }
            exponent = fracStart - pos
            significant += pos - digitsStart
        }
        let inexact = significant > 19
        if pos < n, buf[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            var expNegative = false
            if pos < n, buf[pos] == UInt8(ascii: "-") || buf[pos] == UInt8(ascii: "+") {
                expNegative = buf[pos] == UInt8(ascii: "-")
                pos += 1
            }
            let expStart = pos
            var e = 0
            while pos < n {
                let d = buf[pos] &- 0x30
                if d > 9 { break }
                if e < 1_000_000 { e = e * 10 + Int(d) }
                pos += 1
            }
            if pos == expStart { throw JSONError("invalid number", offset: start) }
            exponent += expNegative ? -e : e
        }
        if !inexact {
            if mantissa == 0 { return negative ? -0.0 : 0.0 }
            if let v = DecimalToDouble.convert(mantissa: mantissa, exponent: exponent) { return negative ? -v : v }
        }
        return try Self.strtod(buf, start, pos)
    }

    /// Correctly rounded conversion of `buf[start..<end]` with strtod.
    public static func strtod(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(JSONError) -> Double {
        let len = end - start
        var result = 0.0
        var consumed = 0
        if len < 64 {
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { tmp in
                for i in 0..<len { tmp[i] = CChar(bitPattern: buf[start + i]) }
                tmp[len] = 0
                var endPtr: UnsafeMutablePointer<CChar>? = nil
                result = cStrtod(tmp.baseAddress!, &endPtr)
                consumed = endPtr! - tmp.baseAddress!
            }
        } else {
            var tmp = [CChar](repeating: 0, count: len + 1)
            for i in 0..<len { tmp[i] = CChar(bitPattern: buf[start + i]) }
            tmp.withUnsafeMutableBufferPointer { p in
                var endPtr: UnsafeMutablePointer<CChar>? = nil
                result = cStrtod(p.baseAddress!, &endPtr)
                consumed = endPtr! - p.baseAddress!
            }
        }
        if consumed != len { throw JSONError("invalid number", offset: start) }
        return result
    }

    @inline(__always)
    private static func cStrtod(_ s: UnsafePointer<CChar>, _ end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Double {
        #if canImport(Glibc)
        Glibc.strtod(s, end)
        #else
        Darwin.strtod(s, end)
        #endif
    }

    /// Skips one value of any type without building it.
    public mutating func skipValue() throws(JSONError) {
        skipWhitespace()
        guard pos < buf.count else { throw JSONError("unexpected end of input", offset: pos) }
        switch buf[pos] {
        case UInt8(ascii: "\""):
            pos += 1
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\\") { pos += 2; continue }
                pos += 1
                if c == UInt8(ascii: "\"") { return }
            }
            pos = buf.count
            throw JSONError("unterminated string", offset: pos)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var level = 0
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    try skipValue()
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { level += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    level -= 1
                    if level == 0 {
                        pos += 1
                        return
                    }
                }
                pos += 1
            }
            throw JSONError("unterminated container", offset: pos)
        default:
            _ = try parseValue()
        }
    }
}
