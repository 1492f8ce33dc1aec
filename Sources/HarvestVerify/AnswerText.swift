/// Cleaning of an extracted answer's surroundings.
enum AnswerText {
    /// Trims whitespace, `$`, `\(`…`\)`, `\[`…`\]`, `**`, and a trailing period or comma, until nothing changes.
    static func clean(_ text: String) -> String {
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
}
