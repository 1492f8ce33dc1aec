import Foundation
import HarvestCore
import HarvestJSON

/// One configured response filter. A filter measures one property of a response and returns a mark with the
/// measured value when the response fails; nil when it passes or when the property cannot be measured (for
/// example no logprobs were stored).
public protocol ResponseFilter: Sendable {
    /// Stage recorded in marks (`filter.length`, ...).
    var stage: String { get }
    /// Canonical parameters (a change replaces the stage's marks).
    var params: CurationParams { get }
    /// A mark when `response` fails, else nil.
    func check(_ response: StoredResponse) -> CurationMark?
}

extension ResponseFilter {
    /// A mark of this filter's stage.
    func mark(_ response: StoredResponse, _ reason: String, _ detail: [(String, JSONValue)]) -> CurationMark {
        CurationMark(responseId: response.id, stage: stage, reason: reason, detail: DetailJSON.make(detail))
    }
}

/// A compiled `NSRegularExpression`; compiling reports an invalid pattern as a ``CurationError`` naming the stage
/// and the pattern, before anything runs.
public struct CompiledRegex: @unchecked Sendable, Hashable {
    /// The pattern as given.
    public let pattern: String
    /// Whether matching ignores case.
    public let caseInsensitive: Bool
    // NSRegularExpression is immutable and documented as safe to share across threads.
    private let regex: NSRegularExpression

    /// Compiles `pattern` (ICU syntax) for `stage`.
    public init(_ pattern: String, stage: String, caseInsensitive: Bool = false) throws(CurationError) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw CurationError(.regex, location: stage, field: pattern, "is not a valid regular expression (\(error.localizedDescription))",
                                hint: "fix the pattern (ICU syntax; escape ( ) [ ] . * + ? with a backslash); nothing was run")
        }
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
    }

    /// The first match in `text`: its text and character offset.
    public func firstMatch(in text: String) -> (match: String, offset: Int)? {
        let ns = text as NSString
        guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)),
              let range = Range(m.range, in: text) else { return nil }
        return (String(text[range]), text.distance(from: text.startIndex, to: range.lowerBound))
    }

    /// Equal when pattern and options are equal.
    public static func == (a: CompiledRegex, b: CompiledRegex) -> Bool {
        a.pattern == b.pattern && a.caseInsensitive == b.caseInsensitive
    }

    /// Hashes pattern and options.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(caseInsensitive)
    }
}

/// Short number formatting for reasons.
enum Num {
    /// Up to 4 decimals, trailing zeros removed.
    static func text(_ d: Double) -> String {
        guard d.isFinite else { return "\(d)" }
        var s = String(format: "%.4f", d)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }
}
