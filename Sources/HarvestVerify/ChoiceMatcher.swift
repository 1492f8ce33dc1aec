/// Multiple-choice letters (A–E).
public enum ChoiceMatcher {
    /// The letter of a reference such as `C`, `(C)`, `c`, `C) 42`; nil when it names none.
    public static func referenceLetter(_ reference: String) -> Character? {
        letter(in: AnswerText.clean(reference), allowLowercase: true)
    }

    /// The letter an extracted answer names: `C`, `(C)`, `C.`, `C) 42`, `\text{(C)}`, `option C`; nil when none.
    public static func letter(in answer: String, allowLowercase: Bool = false) -> Character? {
        var s = Substring(answer)
        for wrapper in ["\\text{", "\\textbf{", "\\mathrm{", "\\mathbf{"] where s.hasPrefix(wrapper) && s.hasSuffix("}") {
            s = s.dropFirst(wrapper.count).dropLast()
        }
        s = s.drop(while: { $0 == " " || $0 == "*" })
        for prefix in ["option ", "Option ", "choice ", "Choice "] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count) }
        if s.first == "(" { s = s.dropFirst() }
        guard let c = s.first else { return nil }
        let rest = s.dropFirst()
        let upper = Character(c.uppercased())
        guard "ABCDE".contains(upper), c.isUppercase || allowLowercase || rest.isEmpty else { return nil }
        guard let next = rest.first else { return upper }
        return next == ")" || next == "." || next == ":" || next == " " || next == "*" || next == "}" ? upper : nil
    }

    /// The last standalone `(X)` in visible bytes, for answers without a final-answer label.
    static func lastParenthesised(_ buf: UnsafeBufferPointer<UInt8>) -> Character? {
        var i = buf.count - 3
        while i >= 0 {
            let c = buf[i + 1]
            if buf[i] == UInt8(ascii: "("), buf[i + 2] == UInt8(ascii: ")"), c >= UInt8(ascii: "A"), c <= UInt8(ascii: "E") {
                return Character(UnicodeScalar(c))
            }
            i -= 1
        }
        return nil
    }
}

/// Normalized string equality for the `exact` verifier.
public enum ExactMatcher {
    /// Unwraps `\text{…}`, drops `$`, `**`, quotes and surrounding punctuation, folds case, collapses whitespace.
    public static func normalize(_ s: String) -> String {
        var t = AnswerText.clean(s)
        for wrapper in ["\\text{", "\\textbf{", "\\mathrm{"] where t.hasPrefix(wrapper) && t.hasSuffix("}") {
            t = String(t.dropFirst(wrapper.count).dropLast())
        }
        let trimSet: Set<Character> = ["\"", "'", "“", "”", "‘", "’", "`", ".", "!", "?", ",", ";", ":", " ", "*"]
        var sub = Substring(t.lowercased())
        while let f = sub.first, trimSet.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, trimSet.contains(l) { sub = sub.dropLast() }
        return sub.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
