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
        VisibleAnswer.withVisible(content) { extract(visible: $0) }
    }

    /// The final answer of already-visible bytes.
    ///
    /// One backward pass finds every candidate of rules 1–3 (each `\\boxed`/`\\fbox` and each "answer", which
    /// also reveals each "final answer"); the first valid one of each rule from the end is the last in the text.
    /// A valid box ends the pass at once (it wins over every label); otherwise the pass runs to the start and the
    /// last number is looked for only when no label was found.
    public static func extract(visible buf: UnsafeBufferPointer<UInt8>, numberFallback: Bool = true) -> ExtractedAnswer? {
        var final: Range<Int>?
        var label: Range<Int>?
        var i = buf.count - 1
        while i >= 0 {
            let c = buf[i]
            if c == 0x5C {
                if let r = boxed(buf, at: i) { return finish(buf, r, .boxed) }
            } else if c | 0x20 == 0x61, final == nil, ByteSearch.matches(buf, "answer", at: i, caseInsensitive: true) {
                if label == nil { label = labelled(buf, at: i, length: 6, allowIs: false) }
                if i >= 6, ByteSearch.matches(buf, "final ", at: i - 6, caseInsensitive: true) {
                    final = labelled(buf, at: i - 6, length: 12, allowIs: true)
                }
            }
            i -= 1
        }
        if let r = final { return finish(buf, r, .finalAnswer) }
        if let r = label { return finish(buf, r, .answerLabel) }
        if numberFallback, let r = lastNumber(buf) { return finish(buf, r, .lastNumber) }
        return nil
    }

    static func finish(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ rule: ExtractionRule) -> ExtractedAnswer? {
        let text = AnswerText.clean(String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self))
        return text.isEmpty ? nil : ExtractedAnswer(text: text, rule: rule)
    }

    /// Contents of a complete `\\boxed{…}` / `\\fbox{…}` (or `\\boxed 5`) starting at `at`, nil when there is none.
    static func boxed(_ buf: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        let n: Int
        if ByteSearch.matches(buf, "\\boxed", at: at) { n = 6 } else if ByteSearch.matches(buf, "\\fbox", at: at) { n = 5 } else { return nil }
        var i = at + n
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
            // `\\boxed 5`: one token.
            var j = i
            while j < buf.count && !ByteSearch.isSpace(buf[j]) && buf[j] != UInt8(ascii: "$") { j += 1 }
            if j > i { return i..<j }
        }
        return nil
    }

    /// Text after the label of `length` bytes at `at` (then optional "is", ":"), to the end of the line or
    /// sentence; nil when the label is part of a word, has no marker, or nothing follows.
    static func labelled(_ buf: UnsafeBufferPointer<UInt8>, at: Int, length: Int, allowIs: Bool) -> Range<Int>? {
        if at > 0 && ByteSearch.isLetter(buf[at - 1]) { return nil }
        var i = at + length
        if i < buf.count && ByteSearch.isLetter(buf[i]) { return nil }
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
        guard sawMarker else { return nil }
        i = skip(buf, i, "*")
        i = skipSpaces(buf, i)
        let end = sentenceEnd(buf, from: i)
        return end > i ? i..<end : nil
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
