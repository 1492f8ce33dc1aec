import HarvestJSON

/// Prompt ids written as JSON numbers, kept exactly as written.
///
/// A `Double` holds integers exactly only up to 2^53, so `12345678901234567890` and `12345678901234567891` would
/// both become `1.2345678901234567e+19` and two prompts would share one id. The id is therefore taken from the
/// number's source text: an integer (`-?digits`) is its digits as written (`-0` is `0`); a number written with a
/// fraction or exponent whose value is an integer up to 2^53 is that integer (`1.0` and `1e3` are `1` and `1000`,
/// as before); any other number is its source text as written.
enum NumericPromptId {
    /// The id for the top-level member `key` of the JSON object `line` when it is a number; nil otherwise.
    static func id(in line: ArraySlice<UInt8>, key: String) -> String? {
        guard let text = sourceText(in: line, key: key) else { return nil }
        return id(forNumberText: text)
    }

    /// The id for a number written as `text` (valid JSON number syntax).
    static func id(forNumberText text: String) -> String {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return digits.allSatisfy { $0 == "0" } ? "0" : text
        }
        if let d = Double(text), d == d.rounded(), abs(d) <= 9_007_199_254_740_992 { return String(Int(d)) }
        return text
    }

    /// The source text of the first top-level member `key` when its value is a number.
    static func sourceText(in line: ArraySlice<UInt8>, key: String) -> String? {
        let bytes = Array(line)
        return bytes.withUnsafeBufferPointer { buf -> String? in
            var p = JSONParser(buf)
            do throws(JSONError) {
                p.skipWhitespace()
                guard p.consume(UInt8(ascii: "{")) else { return nil }
                p.skipWhitespace()
                if p.consume(UInt8(ascii: "}")) { return nil }
                repeat {
                    p.skipWhitespace()
                    let name = try p.parseString()
                    p.skipWhitespace()
                    try p.expect(UInt8(ascii: ":"))
                    p.skipWhitespace()
                    if name == key {
                        guard p.pos < buf.count, buf[p.pos] == UInt8(ascii: "-") || (buf[p.pos] >= 0x30 && buf[p.pos] <= 0x39) else { return nil }
                        let start = p.pos
                        _ = try p.parseNumber()
                        return String(decoding: UnsafeBufferPointer(rebasing: buf[start..<p.pos]), as: UTF8.self)
                    }
                    try p.skipValue()
                    p.skipWhitespace()
                } while p.consume(UInt8(ascii: ","))
                return nil
            } catch {
                return nil
            }
        }
    }
}
