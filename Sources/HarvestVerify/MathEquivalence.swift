/// A reference answer prepared once for the math verifier.
public struct MathReference: Sendable {
    /// The reference as given.
    public let text: String
    let canonical: String
    let value: MathValue?
    let isEmpty: Bool
    let variable: String?

    /// Normalizes and parses `text` (an unknown form keeps only the canonical text).
    public init(_ text: String) {
        self.text = text
        let tokens = MathNormalizer.normalize(AnswerText.clean(text))
        canonical = MathNormalizer.canonical(tokens)
        value = try? MathParser.parse(tokens)
        isEmpty = tokens.isEmpty
        variable = MathNormalizer.assignedVariable(text)
    }
}



/// Final-answer equivalence for math (rules in docs/verification.md). Symbolic equivalence is out of scope: a form
/// the parser does not understand is `unverifiable`, never `wrong`.
public enum MathEquivalence {
    /// Judges an extracted answer against a prepared reference.
    public static func judge(_ answer: String, _ reference: MathReference) -> (Verdict, String) {
        if reference.isEmpty { return (.unverifiable, "the reference is empty") }
        let tokens = MathNormalizer.normalize(answer)
        if tokens.isEmpty { return (.noAnswer, "the extracted answer is empty after normalization") }
        if let a = MathNormalizer.assignedVariable(answer), let r = reference.variable, a != r {
            return (.unverifiable, "the answer gives \(a), the reference \(r)")
        }
        let canonical = MathNormalizer.canonical(tokens)
        if canonical == reference.canonical { return (.correct, "same expression as the reference") }
        guard let ref = reference.value else {
            return (.unverifiable, "the reference is not a form the math verifier understands (symbolic equivalence is out of scope)")
        }
        guard let value = try? MathParser.parse(tokens) else {
            return (.unverifiable, "the answer is not a form the math verifier understands (symbolic equivalence is out of scope)")
        }
        if value.matches(ref) { return (.correct, "\(value.summary) equals the reference \(ref.summary)") }
        return (.wrong, "\(value.summary) differs from the reference \(ref.summary)")
    }

    /// Judges two strings (the reference prepared on the fly).
    public static func judge(_ answer: String, reference: String) -> (Verdict, String) {
        judge(answer, MathReference(reference))
    }
}
