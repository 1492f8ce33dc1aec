import Foundation

/// The form is not one the math verifier understands (symbols, unknown commands, mixed numbers).
struct UnknownMathForm: Error {}

/// Reads normalized math tokens into a ``MathValue``: numbers, `+ - * / ^`, `\frac`, `\sqrt`, π, ∞, `%`, intervals,
/// tuples and sets. Anything else throws ``UnknownMathForm``.
struct MathParser {
    private let t: [MathToken]
    private var i = 0

    static func parse(_ tokens: [LexedToken]) throws(UnknownMathForm) -> MathValue {
        var p = MathParser(t: tokens.map(\.token))
        return try p.top(0, tokens.count)
    }

    private init(t: [MathToken]) { self.t = t }

    private func isOpen(_ k: Int) -> Bool { t[k].isSymbol("(") || t[k].isSymbol("[") || t[k].isSymbol("{") || t[k] == .command("{") }
    private func isClose(_ k: Int) -> Bool { t[k].isSymbol(")") || t[k].isSymbol("]") || t[k].isSymbol("}") || t[k] == .command("}") }

    /// Index of the bracket closing the one at `k` (any bracket kind), before `end`.
    private func closing(_ k: Int, _ end: Int) -> Int? {
        var depth = 0
        for j in k..<end {
            if isOpen(j) { depth += 1 }
            if isClose(j) {
                depth -= 1
                if depth == 0 { return j }
            }
        }
        return nil
    }

    /// Top-level comma positions in `start..<end`.
    private func commas(_ start: Int, _ end: Int) -> [Int] {
        var depth = 0
        var out = [Int]()
        for j in start..<end {
            if isOpen(j) { depth += 1 }
            if isClose(j) { depth -= 1 }
            if depth == 0 && t[j].isSymbol(",") { out.append(j) }
        }
        return out
    }

    private mutating func items(_ start: Int, _ end: Int) throws(UnknownMathForm) -> [MathValue] {
        var out = [MathValue]()
        var s = start
        for c in commas(start, end) + [end] {
            guard c > s else { throw UnknownMathForm() }
            out.append(try top(s, c))
            s = c + 1
        }
        return out
    }

    private mutating func top(_ start: Int, _ end: Int) throws(UnknownMathForm) -> MathValue {
        guard start < end else { throw UnknownMathForm() }
        let first = t[start], last = t[end - 1]
        if first == .command("{"), last == .command("}"), closing(start, end) == end - 1 {
            return .set(try items(start + 1, end - 1))
        }
        if first.isSymbol("(") || first.isSymbol("["), last.isSymbol(")") || last.isSymbol("]"), closing(start, end) == end - 1,
           !commas(start + 1, end - 1).isEmpty, case .symbol(let o) = first, case .symbol(let c) = last {
            return .bracketed(open: o, close: c, try items(start + 1, end - 1))
        }
        if !commas(start, end).isEmpty { return .set(try items(start, end)) }
        var e = end
        var percent = false
        if t[e - 1].isSymbol("%") { percent = true; e -= 1 }
        i = start
        let v = try expression(e)
        guard i == e else { throw UnknownMathForm() }
        return percent ? .percent(v) : .number(v)
    }

    private mutating func expression(_ end: Int) throws(UnknownMathForm) -> Double {
        var v = try term(end)
        while i < end {
            if t[i].isSymbol("+") { i += 1; v += try term(end) } else if t[i].isSymbol("-") { i += 1; v -= try term(end) } else { break }
        }
        return v
    }

    private mutating func term(_ end: Int) throws(UnknownMathForm) -> Double {
        var v = try unary(end)
        while i < end {
            if t[i].isSymbol("*") { i += 1; v *= try unary(end); continue }
            if t[i].isSymbol("/") { i += 1; v /= try unary(end); continue }
            // Implicit product: 2\sqrt{3}, 3\pi, 2(1+x). A number before \frac is a mixed number: unknown.
            switch t[i] {
            case .command("sqrt"), .command("pi"), .symbol(UInt8(ascii: "(")):
                v *= try power(end)
            case .command("frac"), .symbol(UInt8(ascii: "{")):
                throw UnknownMathForm()
            default:
                return v
            }
        }
        return v
    }

    private mutating func unary(_ end: Int) throws(UnknownMathForm) -> Double {
        guard i < end else { throw UnknownMathForm() }
        if t[i].isSymbol("-") { i += 1; return -(try unary(end)) }
        if t[i].isSymbol("+") { i += 1; return try unary(end) }
        return try power(end)
    }

    private mutating func power(_ end: Int) throws(UnknownMathForm) -> Double {
        let base = try primary(end)
        guard i < end, t[i].isSymbol("^") else { return base }
        i += 1
        guard i < end else { throw UnknownMathForm() }
        let exponent: Double
        if t[i].isSymbol("-") { i += 1; exponent = -(try argument(end)) } else { exponent = try argument(end) }
        return pow(base, exponent)
    }

    /// A `{…}` group, or a single token (`\frac12` reads one digit at a time).
    private mutating func argument(_ end: Int, oneDigit: Bool = false) throws(UnknownMathForm) -> Double {
        guard i < end else { throw UnknownMathForm() }
        if case .number(let s) = t[i], oneDigit, s.count > 1 {
            // Split `12` into `1` and `2`: consume the first digit only.
            var rest = t
            rest[i] = .number(String(s.dropFirst()))
            let d = Double(String(s.prefix(1)))!
            self = MathParser(t: rest, i: i)
            return d
        }
        return try primary(end)
    }

    private init(t: [MathToken], i: Int) {
        self.t = t
        self.i = i
    }

    private mutating func primary(_ end: Int) throws(UnknownMathForm) -> Double {
        guard i < end else { throw UnknownMathForm() }
        switch t[i] {
        case .number(let s):
            i += 1
            guard let v = Double(s) else { throw UnknownMathForm() }
            return v
        case .symbol(let b) where b == UInt8(ascii: "(") || b == UInt8(ascii: "{") || b == UInt8(ascii: "["):
            guard let c = closing(i, end) else { throw UnknownMathForm() }
            i += 1
            let v = try expression(c)
            guard i == c else { throw UnknownMathForm() }
            i = c + 1
            return v
        case .command("pi"):
            i += 1
            return Double.pi
        case .command("infty"):
            i += 1
            return .infinity
        case .command("frac"):
            i += 1
            let n = try argument(end, oneDigit: true)
            let d = try argument(end, oneDigit: true)
            return n / d
        case .command("sqrt"), .word("sqrt"):
            let latex = t[i] == .command("sqrt")
            i += 1
            var root = 2.0
            if i < end, t[i].isSymbol("["), let c = closing(i, end) {
                i += 1
                root = try expression(c)
                guard i == c else { throw UnknownMathForm() }
                i = c + 1
            }
            let x = try argument(end, oneDigit: latex)
            return pow(x, 1 / root)
        default:
            throw UnknownMathForm()
        }
    }
}
