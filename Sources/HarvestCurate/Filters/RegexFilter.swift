import HarvestCore
import HarvestJSON

/// Must-contain / must-not-contain regular expressions (NSRegularExpression/ICU syntax, matched as given) over the
/// answer content, the reasoning, or both. A response fails on the first required pattern that does not match,
/// else on the first forbidden pattern that does.
public struct RegexFilter: ResponseFilter {
    /// The text a filter looks at.
    public enum Field: String, Sendable, Hashable {
        /// Answer content.
        case content
        /// Reasoning text.
        case reasoning
        /// Reasoning, a newline, then content.
        case both
    }

    /// Patterns that must match.
    public let mustContain: [CompiledRegex]
    /// Patterns that must not match.
    public let mustNotContain: [CompiledRegex]
    /// Text searched.
    public let field: Field

    /// Compiles the patterns; an invalid one throws before anything runs.
    public init(mustContain: [String] = [], mustNotContain: [String] = [], field: Field = .content) throws(CurationError) {
        var yes = [CompiledRegex]()
        var no = [CompiledRegex]()
        for p in mustContain { yes.append(try CompiledRegex(p, stage: CurationStage.regex + ".must_contain")) }
        for p in mustNotContain { no.append(try CompiledRegex(p, stage: CurationStage.regex + ".must_not_contain")) }
        self.mustContain = yes
        self.mustNotContain = no
        self.field = field
    }

    /// `filter.regex`.
    public var stage: String { CurationStage.regex }

    /// Patterns in order, and the field.
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [
            ("field", .string(field.rawValue)), ("must_contain", .array(mustContain.map { .string($0.pattern) })),
            ("must_not_contain", .array(mustNotContain.map { .string($0.pattern) })),
        ])
    }

    /// The searched text of a response.
    func text(of response: StoredResponse) -> String {
        switch field {
        case .content: response.choice.content
        case .reasoning: response.choice.reasoning ?? ""
        case .both: (response.choice.reasoning ?? "") + "\n" + response.choice.content
        }
    }

    /// Marks a missing required or a present forbidden pattern.
    public func check(_ response: StoredResponse) -> CurationMark? {
        let text = text(of: response)
        for p in mustContain where p.firstMatch(in: text) == nil {
            return mark(response, "\(field.rawValue) does not match required /\(p.pattern)/",
                        [("must_contain", .string(p.pattern)), ("field", .string(field.rawValue))])
        }
        for p in mustNotContain {
            if let m = p.firstMatch(in: text) {
                return mark(response, "\(field.rawValue) matches forbidden /\(p.pattern)/: \"\(m.match)\"",
                            [("must_not_contain", .string(p.pattern)), ("match", .string(m.match)),
                             ("offset", .number(Double(m.offset))), ("field", .string(field.rawValue))])
            }
        }
        return nil
    }
}
