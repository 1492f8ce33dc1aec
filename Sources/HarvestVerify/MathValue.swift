/// The meaning of a math answer, as far as the verifier understands it.
indirect enum MathValue: Equatable, Sendable {
    /// A real number (±∞ allowed for interval ends).
    case number(Double)
    /// A number written with `%` (compared both as written and divided by 100).
    case percent(Double)
    /// `(a, b]`, `(1, 2, 3)`: an interval or tuple; brackets and order matter.
    case bracketed(open: UInt8, close: UInt8, [MathValue])
    /// `\{1, 2\}` or `1, 2` / `1 and 2`: order does not matter.
    case set([MathValue])

    /// Relative tolerance of number comparison.
    static let relativeTolerance = 1e-12

    /// Whether two values are the same answer.
    func matches(_ other: MathValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): return MathValue.close(a, b)
        case (.percent(let a), .number(let b)), (.number(let b), .percent(let a)):
            return MathValue.close(a, b) || MathValue.close(a / 100, b)
        case (.percent(let a), .percent(let b)): return MathValue.close(a, b)
        case (.bracketed(let o1, let c1, let x), .bracketed(let o2, let c2, let y)):
            return o1 == o2 && c1 == c2 && x.count == y.count && zip(x, y).allSatisfy { $0.matches($1) }
        case (.set(let x), .set(let y)):
            guard x.count == y.count else { return false }
            var unused = y
            for v in x {
                guard let k = unused.firstIndex(where: { v.matches($0) }) else { return false }
                unused.remove(at: k)
            }
            return true
        default: return false
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        if a == b { return true }
        guard a.isFinite && b.isFinite else { return false }
        return abs(a - b) <= relativeTolerance * max(abs(a), abs(b)) + 1e-15
    }

    /// A short rendering for reasons (`0.75`, `(1, 2]`).
    var summary: String {
        switch self {
        case .number(let v): return MathValue.format(v)
        case .percent(let v): return MathValue.format(v) + "%"
        case .bracketed(let o, let c, let items):
            return String(UnicodeScalar(o)) + items.map(\.summary).joined(separator: ", ") + String(UnicodeScalar(c))
        case .set(let items): return "{" + items.map(\.summary).joined(separator: ", ") + "}"
        }
    }

    static func format(_ v: Double) -> String {
        if v.isInfinite { return v < 0 ? "-∞" : "∞" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
