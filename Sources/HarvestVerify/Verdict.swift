/// The judgement of one answer against its reference.
public enum Verdict: String, Sendable, Hashable, CaseIterable {
    /// The extracted answer matches the reference.
    case correct
    /// The extracted answer is in a form the verifier understands and does not match.
    case wrong
    /// The verifier cannot decide (unknown form, symbolic expression, missing reference, verifier `none`).
    case unverifiable
    /// No final answer could be found outside the reasoning.
    case noAnswer = "no_answer"
}

/// The outcome of verifying one answer: the verdict, what was extracted and how, and a short reason.
public struct Verification: Sendable, Hashable {
    /// The verdict.
    public var verdict: Verdict
    /// The extracted final answer (at most ``Verification/maxExtractedBytes`` bytes), nil when none was found.
    public var extracted: String?
    /// The extraction rule that produced `extracted`.
    public var rule: ExtractionRule?
    /// One sentence saying why (e.g. "3/4 = 0.75 equals the reference").
    public var reason: String

    /// The longest extracted answer kept, in UTF-8 bytes.
    public static let maxExtractedBytes = 400

    /// Creates a verification, truncating `extracted` to ``maxExtractedBytes`` at a character boundary.
    public init(_ verdict: Verdict, extracted: String?, rule: ExtractionRule?, reason: String) {
        self.verdict = verdict
        self.extracted = extracted.map(Verification.truncate)
        self.rule = rule
        self.reason = reason
    }

    static func truncate(_ s: String) -> String {
        guard s.utf8.count > maxExtractedBytes else { return s }
        var out = ""
        for ch in s {
            if out.utf8.count + ch.utf8.count > maxExtractedBytes { break }
            out.append(ch)
        }
        return out
    }
}
