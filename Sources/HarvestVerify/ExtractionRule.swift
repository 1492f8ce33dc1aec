/// Which documented rule found a final answer (see docs/verification.md).
public enum ExtractionRule: String, Sendable, Hashable {
    /// The last `\boxed{…}` (or `\fbox{…}`), nested braces balanced.
    case boxed
    /// The last "final answer is …" / "final answer: …".
    case finalAnswer = "final_answer"
    /// The last "Answer: …" label.
    case answerLabel = "answer_label"
    /// The last number in the visible answer.
    case lastNumber = "last_number"
    /// A parenthesised choice letter such as "(C)" (verifier `choice` only).
    case choiceLetter = "choice_letter"
    /// A JSON fence or the whole visible answer (verifier `json` only).
    case json
    /// The whole visible answer when it is one short line (verifiers `exact` and `regex` only).
    case whole
}

/// A final answer found in a response, with the rule that found it.
public struct ExtractedAnswer: Sendable, Hashable {
    /// The answer text, trimmed of whitespace, `$` delimiters, `**` emphasis and a trailing period.
    public var text: String
    /// The rule that found it.
    public var rule: ExtractionRule

    /// Creates an extracted answer.
    public init(text: String, rule: ExtractionRule) {
        self.text = text
        self.rule = rule
    }
}
