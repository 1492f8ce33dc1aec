/// Cleaning of an extracted answer's surroundings.
enum AnswerText {
    /// Trims whitespace, `$`, `\(`…`\)`, `\[`…`\]`, `**`, and a trailing period or comma, until nothing changes.
    static func clean(_ text: String) -> String {
        if let ascii = cleanASCII(text) { return ascii }
        var s = Substring(text)
        while true {
            let before = s
            s = s.drop(while: { $0.isWhitespace })
            while let l = s.last, l.isWhitespace { s = s.dropLast() }
            for (open, close) in [("\\(", "\\)"), ("\\[", "\\]"), ("**", "**")] where s.hasPrefix(open) && s.hasSuffix(close) && s.count >= 4 {
                s = s.dropFirst(2).dropLast(2)
            }
            while s.first == "$" { s = s.dropFirst() }
            while s.last == "$" { s = s.dropLast() }
            if s.hasSuffix("**") { s = s.dropLast(2) }
            if s.hasPrefix("**") { s = s.dropFirst(2) }
            if let l = s.last, l == "." || l == "," || l == ";" { s = s.dropLast() }
            if s == before { break }
        }
        return String(s)
    }

    /// ``clean(_:)`` on bytes for ASCII text without `\r` (each byte is then one `Character`, so the result is the
    /// same), nil for other text. Most extracted answers are short ASCII, and the `Character` walk was a large share
    /// of judging.
    static func cleanASCII(_ text: String) -> String? {
        var copy = text
        return copy.withUTF8 { buf -> String? in
            for b in buf where b >= 0x80 || b == 13 { return nil }
            var lo = 0, hi = buf.count
            func space(_ b: UInt8) -> Bool { b == 32 || (9...13).contains(b) }
            func has(_ a: UInt8, _ b: UInt8, atStart: Bool) -> Bool {
                guard hi - lo >= 2 else { return false }
                return atStart ? buf[lo] == a && buf[lo + 1] == b : buf[hi - 2] == a && buf[hi - 1] == b
            }
            while true {
                let before = (lo, hi)
                while lo < hi && space(buf[lo]) { lo += 1 }
                while hi > lo && space(buf[hi - 1]) { hi -= 1 }
                for (o, c) in [(UInt8(ascii: "("), UInt8(ascii: ")")), (UInt8(ascii: "["), UInt8(ascii: "]"))]
                where hi - lo >= 4 && has(92, o, atStart: true) && has(92, c, atStart: false) {
                    lo += 2
                    hi -= 2
                }
                if hi - lo >= 4 && has(42, 42, atStart: true) && has(42, 42, atStart: false) {
                    lo += 2
                    hi -= 2
                }
                while lo < hi && buf[lo] == UInt8(ascii: "$") { lo += 1 }
                while hi > lo && buf[hi - 1] == UInt8(ascii: "$") { hi -= 1 }
                if has(42, 42, atStart: false) { hi -= 2 }
                if has(42, 42, atStart: true) { lo += 2 }
                if hi > lo, buf[hi - 1] == UInt8(ascii: ".") || buf[hi - 1] == UInt8(ascii: ",") || buf[hi - 1] == UInt8(ascii: ";") { hi -= 1 }
                if before == (lo, hi) { break }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[lo..<hi]), as: UTF8.self)
        }
    }
}
