/// Rewrites a lexed math answer into a plain form the parser reads (rules in docs/verification.md).
enum MathNormalizer {
    static let textCommands: Set<String> = ["text", "textbf", "textit", "textrm", "textnormal", "mathrm", "mbox", "mathit", "mathbf", "mathsf", "mathtt"]
    static let groupCommands: Set<String> = ["boxed", "fbox", "mathbb", "bm", "boldsymbol"]
    static let dropped: Set<String> = ["left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "bigg", "Bigg", "displaystyle", "textstyle",
                                       "quad", "qquad", ";", ":", " ", "$", "circ", "degree", "degrees", "limits", "middle"]
    static let renamed: [String: MathToken] = [
        "dfrac": .command("frac"), "tfrac": .command("frac"), "cfrac": .command("frac"),
        "cdot": .symbol(UInt8(ascii: "*")), "times": .symbol(UInt8(ascii: "*")), "ast": .symbol(UInt8(ascii: "*")),
        "div": .symbol(UInt8(ascii: "/")), "%": .symbol(UInt8(ascii: "%")), "varpi": .command("pi"),
        "lbrace": .command("{"), "rbrace": .command("}"), "infin": .command("infty"),
    ]

    static func normalize(_ text: String) -> [LexedToken] {
        var t = MathLexer.lex(text)
        t = unwrapCommands(t)
        t = dropAndRename(t)
        t = mergeThousands(t)
        t = stripEnds(t)
        return t
    }

    /// `\text{…}` → its contents (marked `fromText`); `\boxed{…}` → `{…}`.
    static func unwrapCommands(_ input: [LexedToken]) -> [LexedToken] {
        var t = input
        var i = 0
        while i < t.count {
            guard case .command(let name) = t[i].token, textCommands.contains(name) || groupCommands.contains(name) else { i += 1; continue }
            let isText = textCommands.contains(name)
            guard i + 1 < t.count, t[i + 1].token.isSymbol("{"), let close = matchingBrace(t, from: i + 1) else {
                t.remove(at: i)
                continue
            }
            if isText {
                for k in (i + 2)..<close { t[k].fromText = true }
                if i + 2 < close { t[i + 2].spaceBefore = true }
                t.remove(at: close)
                t.removeSubrange(i...(i + 1))
            } else {
                t.remove(at: i)
            }
        }
        return t
    }

    static func matchingBrace(_ t: [LexedToken], from: Int) -> Int? {
        var depth = 0
        for k in from..<t.count {
            if t[k].token.isSymbol("{") { depth += 1 }
            if t[k].token.isSymbol("}") {
                depth -= 1
                if depth == 0 { return k }
            }
        }
        return nil
    }

    static func dropAndRename(_ input: [LexedToken]) -> [LexedToken] {
        var out = [LexedToken]()
        out.reserveCapacity(input.count)
        var pendingSpace = false
        var i = 0
        while i < input.count {
            var lt = input[i]
            // `^\circ`, `^{\circ}`: degrees.
            if lt.token.isSymbol("^") {
                if i + 1 < input.count, input[i + 1].token == .command("circ") { i += 2; continue }
                if i + 3 < input.count, input[i + 1].token.isSymbol("{"), input[i + 2].token == .command("circ"), input[i + 3].token.isSymbol("}") {
                    i += 4
                    continue
                }
            }
            switch lt.token {
            case .command(let name) where dropped.contains(name):
                // Keep the separation a spacing command made.
                if name == " " || name == "quad" || name == "qquad" { pendingSpace = true }
                i += 1
                continue
            case .command(let name):
                if let r = renamed[name] { lt.token = r }
            case .symbol(let b) where b == UInt8(ascii: "$") || b == UInt8(ascii: "~"):
                i += 1
                continue
            case .word(let w) where w == "and" || w == "or":
                lt.token = .symbol(UInt8(ascii: ","))
            case .word(let w) where w == "pi":
                lt.token = .command("pi")
            default: break
            }
            if pendingSpace { lt.spaceBefore = true }
            pendingSpace = false
            out.append(lt)
            i += 1
        }
        return out
    }

    /// `1,000`, `1{,}000`, `1\,000` → one number (outside brackets only); other `\,` are dropped.
    static func mergeThousands(_ input: [LexedToken]) -> [LexedToken] {
        var out = [LexedToken]()
        out.reserveCapacity(input.count)
        var depth = 0
        var i = 0
        while i < input.count {
            let lt = input[i]
            if depth == 0, case .number(let left) = out.last?.token, !left.utf8.contains(UInt8(ascii: ".")),
               let (right, used) = groupAfterSeparator(input, i) {
                out[out.count - 1].token = .number(left + right)
                i += used
                continue
            }
            if lt.token.isSymbol("(") || lt.token.isSymbol("[") { depth += 1 }
            if lt.token.isSymbol(")") || lt.token.isSymbol("]") { depth -= 1 }
            if lt.token != .command(","), lt.token != .command("!") { out.append(lt) }
            i += 1
        }
        return out
    }

    /// A thousands separator at `i` (`\,`, an unspaced `,`, or `{,}`) followed by a three-digit group: the group and
    /// the number of tokens used.
    static func groupAfterSeparator(_ t: [LexedToken], _ i: Int) -> (String, Int)? {
        func group(_ k: Int) -> String? {
            guard k < t.count, !t[k].spaceBefore, case .number(let r) = t[k].token, isGroup(r) else { return nil }
            return r
        }
        if t[i].token == .command(",") || t[i].token == .command("!"), let r = group(i + 1) { return (r, 2) }
        if t[i].token.isSymbol(","), !t[i].spaceBefore, let r = group(i + 1) { return (r, 2) }
        if t[i].token.isSymbol("{"), i + 2 < t.count, t[i + 1].token.isSymbol(","), t[i + 2].token.isSymbol("}"),
           let r = group(i + 3) {
            return (r, 4)
        }
        return nil
    }

    /// Three digits, optionally followed by a decimal part.
    static func isGroup(_ s: String) -> Bool {
        let intPart = s.split(separator: ".", maxSplits: 1).first ?? ""
        return intPart.utf8.count == 3
    }

    /// Drops a leading `x =`, a trailing period, and trailing unit words (from `\text{}` or spaced words of 2+ letters).
    static func stripEnds(_ input: [LexedToken]) -> [LexedToken] {
        var t = input
        if t.count > 2, case .word = t[0].token, t[1].token.isSymbol("=") { t.removeFirst(2) }
        if t.count > 2, case .command(let c) = t[0].token, c.count > 1, t[1].token.isSymbol("=") { t.removeFirst(2) }
        while let last = t.last, last.token.isSymbol(".") { t.removeLast() }
        while t.count > 1 {
            var n = t.count
            // `cm^2`, `m^{3}` after a unit word.
            if n >= 3, t[n - 2].token.isSymbol("^"), case .number = t[n - 1].token, isUnit(t[n - 3]) { t.removeLast(2); n -= 2 }
            if n >= 5, t[n - 4].token.isSymbol("^"), t[n - 3].token.isSymbol("{"), case .number = t[n - 2].token, t[n - 1].token.isSymbol("}"),
               isUnit(t[n - 5]) {
                t.removeLast(4)
                n -= 4
            }
            guard isUnit(t[n - 1]) else { break }
            // The unit run must follow a value, not another word (`\text{no solution}` stays as it is).
            var k = n - 1
            while k > 0 && isUnit(t[k - 1]) { k -= 1 }
            guard k > 0, !isWordLike(t[k - 1]) else { break }
            t.removeLast(n - k)
        }
        return t
    }

    /// The variable of a leading `x =` (a word or a command), nil when there is none.
    static func assignedVariable(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "=")) else { return nil }
        var t = MathLexer.lex(text)
        t = unwrapCommands(t)
        guard t.count > 2, t[1].token.isSymbol("=") else { return nil }
        switch t[0].token {
        case .word(let w): return w
        case .command(let c) where c.count > 1: return "\\" + c
        default: return nil
        }
    }

    static func isWordLike(_ lt: LexedToken) -> Bool {
        if case .word = lt.token { return true }
        return lt.fromText
    }

    static func isUnit(_ lt: LexedToken) -> Bool {
        switch lt.token {
        case .word(let w): return lt.fromText || (lt.spaceBefore && w.utf8.count >= 2)
        case .symbol(let b): return lt.fromText && (b == UInt8(ascii: "/") || b == UInt8(ascii: "."))
        default: return false
        }
    }

    /// The canonical text of a token list (spaces only between words), for the same-expression check.
    static func canonical(_ t: [LexedToken]) -> String {
        var s = ""
        var lastWasWord = false
        for lt in t {
            var isWord = false
            if case .word = lt.token { isWord = true }
            if isWord && lastWasWord { s += " " }
            s += lt.token.text
            lastWasWord = isWord
        }
        return s
    }
}
