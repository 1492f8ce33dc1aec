import HarvestJSON
import Testing

/// The export hot path relies on `JSONWriter.string`'s word-at-a-time escaping; check it against a plain reference.
@Suite("JSONWriter string escaping")
struct JSONEscapeTests {
    static func reference(_ s: String) -> String {
        let hex = Array("0123456789abcdef")
        var out = "\""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0..<0x20: out += "\\u00" + String(hex[Int(u.value >> 4)]) + String(hex[Int(u.value & 15)])
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    @Test func matchesReferenceForEveryAsciiByteAtEveryOffset() throws {
        for b in UInt8(0)..<0x80 {
            for offset in 0..<17 {
                let s = String(repeating: "a", count: offset) + String(UnicodeScalar(b)) + String(repeating: "é", count: offset % 5) + "z"
                var w = JSONWriter()
                w.string(s)
                #expect(w.string == Self.reference(s), "byte \(b) at \(offset)")
                #expect(try JSONValue.parse(w.bytes) == .string(s))
            }
        }
    }

    @Test func randomStringsMatchReference() throws {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet: [String] = ["a", "Z", " ", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "é", "中", "🐄", "\u{7F}", "/"]
        for _ in 0..<2_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            var y = x
            var s = ""
            for _ in 0..<Int(x % 64) {
                y = y &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                s += alphabet[Int((y >> 33) % UInt64(alphabet.count))]
            }
            var w = JSONWriter()
            w.string(s)
            #expect(w.string == Self.reference(s))
            #expect(try JSONValue.parse(w.bytes) == .string(s))
        }
    }

    @Test func longRunsAndEscapeBurstsCrossTheScratchBuffer() throws {
        let pieces = [
            String(repeating: "x", count: 511), String(repeating: "y", count: 512), String(repeating: "z", count: 513),
            String(repeating: "\"", count: 300), String(repeating: "\u{02}", count: 200), String(repeating: "é\n", count: 400),
            String(repeating: "w", count: 5_000),
        ]
        for a in pieces {
            for b in pieces {
                for s in [a + b, "\\" + a + "\t" + b + "\"", b + "\u{1F}" + a] {
                    var w = JSONWriter()
                    w.key("k")
                    w.string(s)
                    #expect(w.string == "\"k\":" + Self.reference(s))
                }
            }
        }
    }
}
