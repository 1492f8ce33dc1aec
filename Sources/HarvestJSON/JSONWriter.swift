#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON writer into a byte buffer. Commas are placed automatically.
///
/// ```swift
/// var w = JSONWriter()
/// w.beginObject(); w.key("a"); w.int(1); w.endObject()   // {"a":1}
/// ```
public struct JSONWriter: Sendable {
    /// The bytes written so far (UTF-8 JSON).
    public var bytes: [UInt8]
    private var needsComma = false

    /// Creates a writer with room for `capacity` bytes.
    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    /// The output as a String.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Ends a JSON Lines record: writes a newline, and the next value starts without a comma.
    public mutating func endLine() {
        bytes.append(0x0A)
        needsComma = false
    }

    /// Writes `{`.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Writes `}`.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes `[`.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Writes `]`.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes an object key followed by `:`.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes an object key given as a literal followed by `:`, without escaping: `name` must be ASCII without
    /// quotes, backslashes or control characters (the keys of hot loops: `"token"`, `"logprob"`).
    public mutating func key(ascii name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a string value.
    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    /// Writes the string value `prefix` + the decimal digits of `number` (e.g. `"token_id:9906"`) without building a
    /// String: `prefix` must be ASCII without quotes, backslashes or control characters.
    public mutating func string(ascii prefix: StaticString, _ number: Int) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        appendInt(number)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Writes a string value, or `null` when nil.
    public mutating func stringOrNull(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes an integer.
    public mutating func int(_ value: Int) {
        separate()
        appendInt(value)
        needsComma = true
    }

    /// Writes a double in its shortest round-trip form. Non-finite values have no JSON form:
    /// they are written as `-9999.0` (minus infinity, vLLM's convention), `9999.0` and `null` (NaN).
    public mutating func double(_ value: Double) {
        separate()
        appendDouble(value)
        needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
        needsComma = true
    }

    /// Writes already-serialized JSON (must be one valid JSON value).
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    /// Writes already-serialized JSON bytes (must be one valid JSON value).
    public mutating func raw(bytes json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// Writes an array of small integers (e.g. token `bytes`): formatted in a stack buffer and appended in one
    /// piece per 100 values.
    public mutating func intArray(_ values: [UInt8]) {
        values.withUnsafeBufferPointer { intArray(buffer: $0) }
    }

    /// Writes an array of small integers from a buffer (see ``intArray(_:)-([UInt8])``).
    public mutating func intArray(buffer values: UnsafeBufferPointer<UInt8>) {
        separate()
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 408) { scratch in
            let out = scratch.baseAddress!
            out[0] = UInt8(ascii: "[")
            var used = 1
            for (i, v) in values.enumerated() {
                if used > 400 {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used))
                    used = 0
                }
                if i > 0 { out[used] = UInt8(ascii: ","); used &+= 1 }
                used &+= Self.writeDigits(v, to: out + used)
            }
            out[used] = UInt8(ascii: "]")
            bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used &+ 1))
        }
        needsComma = true
    }

    /// Writes an array of small integers (e.g. token `bytes`).
    public mutating func intArray(_ values: some Sequence<UInt8>) {
        beginArray()
        var first = true
        for v in values {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            if v >= 100 {
                bytes.append(0x30 &+ v / 100)
                bytes.append(0x30 &+ (v / 10) % 10)
            } else if v >= 10 {
                bytes.append(0x30 &+ v / 10)
            }
            bytes.append(0x30 &+ v % 10)
        }
        endArray()
    }

    /// Writes a ``JSONValue``.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9.0e15, !(d == 0 && d.sign == .minus) { int(Int(d)) } else { double(d) }
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (k, v) in members {
                key(k)
                self.value(v)
            }
            endObject()
        }
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)

    private mutating func appendQuoted(_ s: String) {
        var s = s
        s.withUTF8 { Self.appendQuoted($0, to: &bytes) }
    }

    /// Appends `buf` as a quoted, escaped JSON string to `bytes`.
    static func appendQuoted(_ buf: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        guard let base = buf.baseAddress, !buf.isEmpty else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let n = buf.count
        // Text without anything to escape (the common case for short strings) goes in with one copy.
        var i = 0
        while i &+ 8 <= n, !Self.hasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { i &+= 8 }
        while i < n, !Self.isSpecial(base[i]) { i &+= 1 }
        if i == n {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: buf)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        // Otherwise runs and escapes are gathered in a small stack buffer and appended in large pieces.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchSize) { scratch in
            let out = scratch.baseAddress!
            out[0] = UInt8(ascii: "\"")
            var used = 1
            var start = 0
            while true {
                let run = i &- start
                if run > 0 {
                    if used &+ run > Self.scratchSize {
                        bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used))
                        used = 0
                    }
                    if run > Self.scratchSize {
                        bytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: run))
                    } else {
                        UnsafeMutableRawPointer(out + used).copyMemory(from: base + start, byteCount: run)
                        used &+= run
                    }
                }
                guard i < n else { break }
                if used &+ 6 > Self.scratchSize {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used))
                    used = 0
                }
                used &+= Self.writeEscape(base[i], to: out + used)
                i &+= 1
                start = i
                while i &+ 8 <= n, !Self.hasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { i &+= 8 }
                while i < n, !Self.isSpecial(base[i]) { i &+= 1 }
            }
            if used == Self.scratchSize {
                bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used))
                used = 0
            }
            out[used] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: used &+ 1))
        }
    }

    /// Writes `buf` as a quoted, escaped JSON string at `out` (room: 6 × count + 2) and returns the bytes written.
    @inline(__always)
    static func writeQuoted(_ buf: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\"")
        var used = 1
        guard let base = buf.baseAddress else {
            out[1] = UInt8(ascii: "\"")
            return 2
        }
        let n = buf.count
        var i = 0
        while true {
            let start = i
            while i &+ 8 <= n, !hasSpecialByte(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { i &+= 8 }
            while i < n, !isSpecial(base[i]) { i &+= 1 }
            let run = i &- start
            if run > 0 {
                UnsafeMutableRawPointer(out + used).copyMemory(from: base + start, byteCount: run)
                used &+= run
            }
            guard i < n else { break }
            used &+= writeEscape(base[i], to: out + used)
            i &+= 1
        }
        out[used] = UInt8(ascii: "\"")
        return used &+ 1
    }

    /// Writes the escape of special byte `c` (a quote, backslash or control character) and returns its length.
    @inline(__always)
    private static func writeEscape(_ c: UInt8, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = 0x5C
        switch c {
        case 0x22: out[1] = 0x22; return 2
        case 0x5C: out[1] = 0x5C; return 2
        case 0x0A: out[1] = UInt8(ascii: "n"); return 2
        case 0x0D: out[1] = UInt8(ascii: "r"); return 2
        case 0x09: out[1] = UInt8(ascii: "t"); return 2
        case 0x08: out[1] = UInt8(ascii: "b"); return 2
        case 0x0C: out[1] = UInt8(ascii: "f"); return 2
        default:
            out[1] = UInt8(ascii: "u")
            out[2] = 0x30
            out[3] = 0x30
            out[4] = hexDigit(c >> 4)
            out[5] = hexDigit(c & 15)
            return 6
        }
    }

    /// Writes the decimal digits of `value` at `out` (room: 20) and returns their count.
    @inlinable @inline(__always)
    static func writeInt(_ value: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if UInt(bitPattern: value) < 100_000_000 { return ShortestDouble.writeSmall(UInt32(truncatingIfNeeded: value), to: out) }
        let v = UInt64(value.magnitude)
        var n = 0
        if value < 0 { out[0] = UInt8(ascii: "-"); n = 1 }
        let digits = ShortestDouble.decimalLength(v)
        ShortestDouble.writeDigits(v, count: digits, endingAt: out + (n &+ digits))
        return n &+ digits
    }

    /// Writes the decimal digits of `v` at `out` (room: 3) and returns how many.
    @inline(__always)
    static func writeDigits(_ v: UInt8, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if v >= 100 {
            out[0] = 0x30 &+ v / 100
            out[1] = 0x30 &+ (v / 10) % 10
            out[2] = 0x30 &+ v % 10
            return 3
        }
        if v >= 10 {
            out[0] = 0x30 &+ v / 10
            out[1] = 0x30 &+ v % 10
            return 2
        }
        out[0] = 0x30 &+ v
        return 1
    }

    /// Writes `[v0,v1,…]` at `out` (room: 2 + 4 × count) and returns the bytes written.
    @inline(__always)
    static func writeByteArray(_ values: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "[")
        var used = 1
        for i in 0..<values.count {
            if i > 0 { out[used] = UInt8(ascii: ","); used &+= 1 }
            used &+= writeDigits(values[i], to: out + used)
        }
        out[used] = UInt8(ascii: "]")
        return used &+ 1
    }

    private static let scratchSize = 512

    @inline(__always) private static func isSpecial(_ c: UInt8) -> Bool { c < 0x20 || c == 0x22 || c == 0x5C }

    @inline(__always) private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x57 &+ v }

    /// True when any byte of `w` is a control character (< 0x20), a quote or a backslash (SWAR: the classic
    /// "has a byte less than n" and "has a zero byte" bit tricks; bytes >= 0x80 never match).
    @inline(__always) private static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let control = (w &- ones &* 0x20) & ~w & high
        let q = w ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q & high
        let b = w ^ (ones &* 0x5C)
        let backslash = (b &- ones) & ~b & high
        return (control | quote | backslash) != 0
    }

    private mutating func appendInt(_ value: Int) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        var v = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &tmp) { p in
            while v > 0 {
                p[19 - count] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                count += 1
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[(20 - count)...]))
        }
    }

    private mutating func appendDouble(_ value: Double) {
        if value.isNaN {
            bytes.append(contentsOf: Self.nullBytes)
        } else if value.isInfinite {
            bytes.append(contentsOf: Array((value < 0 ? "-9999.0" : "9999.0").utf8))
        } else {
            ShortestDouble.append(value, to: &bytes)
        }
    }
}
