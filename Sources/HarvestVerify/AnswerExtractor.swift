/// Finds the final answer in a response's visible content (reasoning removed, see ``VisibleAnswer``).
///
/// Rules, first that applies wins:
/// 1. the last `\boxed{…}` or `\fbox{…}` with balanced braces (an unclosed one is skipped);
/// 2. the last "final answer is X" / "final answer: X" (case-insensitive), X up to the end of the line or sentence;
/// 3. the last "Answer: X" label (case-insensitive, not preceded by a letter), X up to the end of the line;
/// 4. the last number (`-1,234.5`, `3/4`, `0.25`).
/// The text is then trimmed of whitespace, `$`/`\(`/`\)` delimiters, `**` emphasis and a trailing period.
public enum AnswerExtractor {
    /// The final answer of `content`, nil when none is found (`no_answer`).
    public static func extract(from content: String) -> ExtractedAnswer? {
        let bytes = VisibleAnswer.bytes(of: content)
        return bytes.withUnsafeBufferPointer { extract(visible: $0) }
    }

    /// The final answer of already-visible bytes.
    public static func extract(visible buf: UnsafeBufferPointer<UInt8>, numberFallback: Bool = true) -> ExtractedAnswer? {
        if let r = boxed(buf) { return finish(buf, r, .boxed) }
        if let r = labelled(buf, "final answer", allowIs: true) { return finish(buf, r, .finalAnswer) }
        if let r = labelled(buf, "answer", allowIs: false) { return finish(buf, r, .answerLabel) }
        if numberFallback, let r = lastNumber(buf) { return finish(buf, r, .lastNumber) }
        return nil
    }

    static func finish(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ rule: ExtractionRule) -> ExtractedAnswer? {
        let text = AnswerText.clean(String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self))
        return text.isEmpty ? nil : ExtractedAnswer(text: text, rule: rule)
    }

    /// Contents of the last complete `\boxed{…}` / `\fbox{…}`.
    static func boxed(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var before = buf.count
        while true {
            let b = ByteSearch.findLast(buf, "\\boxed", before: before)
            let f = ByteSearch.findLast(buf, "\\fbox", before: before)
            let at = max(b ?? -1, f ?? -1)
            guard at >= 0 else { return nil }
            var i = at + (at == b ? 6 : 5)
            while i < buf.count && buf[i] == 32 { i += 1 }
            if i < buf.count && buf[i] == UInt8(ascii: "{") {
                var depth = 0
                var j = i
                while j < buf.count {
                    let c = buf[j]
                    if c == UInt8(ascii: "\\") { j += 2; continue }
                    if c == UInt8(ascii: "{") { depth += 1 }
                    if c == UInt8(ascii: "}") {
                        depth -= 1
                        if depth == 0 { return (i + 1)..<j }
                    }
                    j += 1
                }
            } else if i < buf.count, i > at + 5, buf[i - 1] == 32 {
                // `\boxed 5`: one token.
                var j = i
                while j < buf.count && !ByteSearch.isSpace(buf[j]) && buf[j] != UInt8(ascii: "$") { j += 1 }
                if j > i { return i..<j }
            }
            before = at
        }
    }

    /// Text after the last `label` (then optional "is", ":"), to the end of the line or sentence.
    static func labelled(_ buf: UnsafeBufferPointer<UInt8>, _ label: StaticString, allowIs: Bool) -> Range<Int>? {
        var before = buf.count
        while let at = ByteSearch.findLast(buf, label, before: before, caseInsensitive: true) {
            before = at
            if at > 0 && ByteSearch.isLetter(buf[at - 1]) { continue }
            var i = at + label.utf8CodeUnitCount
            if i < buf.count && ByteSearch.isLetter(buf[i]) { continue }
            i = skip(buf, i, "*")
            i = skipSpaces(buf, i)
            var sawMarker = false
            if allowIs, i + 1 < buf.count, ByteSearch.lower(buf[i]) == UInt8(ascii: "i"),
               ByteSearch.lower(buf[i + 1]) == UInt8(ascii: "s"), i + 2 == buf.count || !ByteSearch.isLetter(buf[i + 2]) {
                i += 2
                sawMarker = true
            }
            i = skipSpaces(buf, i)
            if i < buf.count && buf[i] == UInt8(ascii: ":") {
                i += 1
                sawMarker = true
            }
            guard sawMarker else { continue }
            i = skip(buf, i, "*")
            i = skipSpaces(buf, i)
            let end = sentenceEnd(buf, from: i)
            if end > i { return i..<end }
        }
        return nil
    }

    /// End of the answer: a newline, or `. `/`! `/`? ` (a period between digits is a decimal point), or the end.
    static func sentenceEnd(_ buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var j = from
        var depth = 0
        while j < buf.count {
            let c = buf[j]
            if c == 10 { return j }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "(") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: ")") || c == UInt8(ascii: "]") { depth = max(0, depth - 1) }
            if depth == 0, c == UInt8(ascii: ".") || c == UInt8(ascii: "!") || c == UInt8(ascii: "?"),
               j + 1 == buf.count || ByteSearch.isSpace(buf[j + 1]) {
                return j
            }
            j += 1
        }
        return j
    }

    /// The last number: `-?digits` with thousands groups, a decimal part, or `/digits`.
    static func lastNumber(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var last: Range<Int>?
        var i = 0
        while i < buf.count {
            guard ByteSearch.isDigit(buf[i]) else { i += 1; continue }
            var start = i
            if start > 0 && buf[start - 1] == UInt8(ascii: "-") { start -= 1 }
            var j = i
            while j < buf.count && ByteSearch.isDigit(buf[j]) { j += 1 }
            // Thousands groups: `,ddd` not followed by a digit.
            while j + 3 < buf.count, buf[j] == UInt8(ascii: ","), ByteSearch.isDigit(buf[j + 1]),
                  ByteSearch.isDigit(buf[j + 2]), ByteSearch.isDigit(buf[j + 3]),
                  j + 4 == buf.count || !ByteSearch.isDigit(buf[j + 4]) {
                j += 4
            }
            if j + 1 < buf.count, buf[j] == UInt8(ascii: ".") || buf[j] == UInt8(ascii: "/"), ByteSearch.isDigit(buf[j + 1]) {
                j += 1
                while j < buf.count && ByteSearch.isDigit(buf[j]) { j += 1 }
            }
            last = start..<j
            i = j
        }
        return last
    }

    static func skip(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int, _ c: Unicode.Scalar) -> Int {
        var i = from
        while i < buf.count && buf[i] == UInt8(ascii: c) { i += 1 }
        return i
    }

    static func skipSpaces(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int) -> Int {
        var i = from
        while i < buf.count && (buf[i] == 32 || buf[i] == 9) { i += 1 }
        return i
    }
}
