/// One lexical unit of a math answer.
enum MathToken: Hashable {
    /// Digits with at most one decimal point (`12`, `0.5`).
    case number(String)
    /// A LaTeX command without its backslash (`frac`, `pi`, `,` for `\,`).
    case command(String)
    /// A run of letters (or one other non-ASCII character): variables, units, words.
    case word(String)
    /// Any other ASCII character.
    case symbol(UInt8)

    /// The token as text, for the canonical form.
    var text: String {
        switch self {
        case .number(let s), .word(let s): return s
        case .command(let c): return "\\" + c
        case .symbol(let b): return String(UnicodeScalar(b))
        }
    }

    func isSymbol(_ c: Unicode.Scalar) -> Bool { self == .symbol(UInt8(ascii: c)) }
}

/// A token with the layout facts normalization needs.
struct LexedToken: Hashable {
    /// The token.
    var token: MathToken
    /// Whether whitespace came right before it.
    var spaceBefore: Bool
    /// Whether it came from inside `\text{…}` (or `\mathrm`, `\mbox`).
    var fromText = false
}

/// Splits a math answer into tokens.
enum MathLexer {
    static func lex(_ text: String) -> [LexedToken] {
        var out = [LexedToken]()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        var space = false
        func push(_ t: MathToken) {
            out.append(LexedToken(token: t, spaceBefore: space))
            space = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if c.isASCII ? (c.value == 32 || (9...13).contains(c.value)) : c.properties.isWhitespace { space = true; i += 1; continue }
            if c == "\\" {
                var j = i + 1
                while j < scalars.count, isASCIILetter(scalars[j]) { j += 1 }
                if j > i + 1 {
                    push(.command(String(String.UnicodeScalarView(scalars[(i + 1)..<j]))))
                    i = j
                } else if j < scalars.count {
                    push(.command(String(scalars[j])))
                    i = j + 1
                } else {
                    i = j
                }
                continue
            }
            if isDigit(c) || (c == "." && i + 1 < scalars.count && isDigit(scalars[i + 1])) {
                var j = i
                var s = c == "." ? "0" : ""
                var dot = false
                while j < scalars.count {
                    let d = scalars[j]
                    if isDigit(d) { s.unicodeScalars.append(d) } else if d == ".", !dot, j + 1 < scalars.count, isDigit(scalars[j + 1]) {
                        dot = true
                        s.unicodeScalars.append(d)
                    } else { break }
                    j += 1
                }
                push(.number(s))
                i = j
                continue
            }
            if isASCIILetter(c) {
                var j = i
                while j < scalars.count, isASCIILetter(scalars[j]) { j += 1 }
                push(.word(String(String.UnicodeScalarView(scalars[i..<j]))))
                i = j
                continue
            }
            i += 1
            switch c {
            case "π": push(.command("pi"))
            case "∞": push(.command("infty"))
            case "−", "–", "—": push(.symbol(UInt8(ascii: "-")))
            case "°": push(.command("circ"))
            case "√": push(.word("sqrt"))
            case "×", "·", "⋅": push(.symbol(UInt8(ascii: "*")))
            case "÷": push(.symbol(UInt8(ascii: "/")))
            default:
                if c.isASCII { push(.symbol(UInt8(c.value))) } else { push(.word(String(c))) }
            }
        }
        return out
    }

    @inline(__always) static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
    @inline(__always) static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
    }
}
