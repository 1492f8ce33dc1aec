import HarvestCore
import HarvestJSON

/// Drops refusals: the answer content contains one of ``phrases`` (matched case-insensitively as literal text
/// after case folding, whitespace collapsing and straightening curly apostrophes) or matches one of ``patterns``
/// (user regular expressions, NSRegularExpression/ICU syntax, matched as given: add `(?i)` for case-insensitive).
public struct RefusalFilter: ResponseFilter {
    /// Common refusal openings and disclaimers shipped as the default list.
    public static let defaultPhrases = [
        "i'm sorry, but i can't", "i'm sorry, but i cannot", "i am sorry, but i cannot", "i'm sorry, i can't",
        "i apologize, but i cannot", "i apologize, but i can't", "as an ai language model", "as a language model, i",
        "i cannot assist with", "i can't assist with", "i cannot help with that", "i can't help with that",
        "i'm unable to help with", "i am unable to help with", "i'm not able to help with", "i cannot fulfill",
        "i can't fulfill", "i cannot comply", "i can't comply", "i must decline", "i won't be able to help",
        "i'm not able to provide", "i am not able to provide", "i cannot provide assistance",
    ]

    /// Literal phrases (lower case, straight apostrophes).
    public let phrases: [String]
    /// Compiled user patterns.
    public let patterns: [CompiledRegex]
    private let folded: [String]

    /// Creates the filter; an invalid pattern throws before anything runs.
    public init(phrases: [String] = RefusalFilter.defaultPhrases, patterns: [String] = []) throws(CurationError) {
        self.phrases = phrases
        folded = phrases.map(Self.fold)
        var compiled = [CompiledRegex]()
        for p in patterns { compiled.append(try CompiledRegex(p, stage: CurationStage.refusal)) }
        self.patterns = compiled
    }

    /// `filter.refusal`.
    public var stage: String { CurationStage.refusal }

    /// Phrases (sorted) and patterns (in order).
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [
            ("patterns", .array(patterns.map { .string($0.pattern) })),
            ("phrases", .array(Set(folded).sorted().map { .string($0) })),
        ])
    }

    static func fold(_ text: String) -> String {
        TextNormalizer().normalize(text).replacingOccurrences(of: "\u{2019}", with: "'")
            .replacingOccurrences(of: "\u{2018}", with: "'")
    }

    /// Marks the first phrase or pattern found.
    public func check(_ response: StoredResponse) -> CurationMark? {
        let content = response.choice.content
        if !folded.isEmpty {
            let text = Self.fold(content)
            for (phrase, original) in zip(folded, phrases) where !phrase.isEmpty && text.contains(phrase) {
                return mark(response, "refusal phrase \"\(original)\"", [("phrase", .string(original))])
            }
        }
        for p in patterns {
            if let m = p.firstMatch(in: content) {
                return mark(response, "refusal pattern /\(p.pattern)/ matched \"\(m.match)\"",
                            [("pattern", .string(p.pattern)), ("match", .string(m.match)), ("offset", .number(Double(m.offset)))])
            }
        }
        return nil
    }
}
