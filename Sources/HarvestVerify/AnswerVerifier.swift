import Foundation
import HarvestJSON

/// Judges a response's content against a prepared reference. Pure and thread-safe.
///
/// Only the content is read; the reasoning (`reasoning_content`, `<think>` blocks) never supplies the answer.
public enum AnswerVerifier {
    /// The verdict for `content` (the response's content field).
    public static func verify(content: String, against ref: PreparedReference) -> Verification {
        switch ref.prepared {
        case .none: return Verification(.unverifiable, extracted: nil, rule: nil, reason: "verifier none")
        case .missing: return Verification(.unverifiable, extracted: nil, rule: nil, reason: "the prompt has no reference answer")
        default: break
        }
        return VisibleAnswer.withVisible(content) { buf in judge(buf, ref.prepared) }
    }

    static func judge(_ buf: UnsafeBufferPointer<UInt8>, _ prepared: PreparedReference.Prepared) -> Verification {
        switch prepared {
        case .math(let reference):
            guard let a = AnswerExtractor.extract(visible: buf) else { return noAnswer() }
            let (verdict, reason) = MathEquivalence.judge(a.text, reference)
            return Verification(verdict, extracted: a.text, rule: a.rule, reason: reason)
        case .choice(let letter):
            guard let letter else { return Verification(.unverifiable, extracted: nil, rule: nil, reason: "the reference names no letter A–E") }
            let a = AnswerExtractor.extract(visible: buf, numberFallback: false)
            let found: Character?
            var rule = a?.rule
            if let a { found = ChoiceMatcher.letter(in: a.text) } else {
                found = ChoiceMatcher.lastParenthesised(buf)
                rule = .choiceLetter
            }
            guard let found else {
                return Verification(.noAnswer, extracted: a?.text, rule: a?.rule, reason: "no choice letter A–E in the final answer")
            }
            return Verification(found == letter ? .correct : .wrong, extracted: String(found), rule: rule,
                                reason: found == letter ? "letter \(found) is the reference" : "letter \(found), the reference is \(letter)")
        case .exact(let normalized):
            guard let a = shortAnswer(buf) else { return noAnswer() }
            let ok = ExactMatcher.normalize(a.text) == normalized
            return Verification(ok ? .correct : .wrong, extracted: a.text, rule: a.rule,
                                reason: ok ? "equal to the reference after normalization" : "differs from the reference after normalization")
        case .regex(let re):
            guard let re else { return Verification(.unverifiable, extracted: nil, rule: nil, reason: "the regex reference does not compile") }
            guard let a = shortAnswer(buf) else { return noAnswer() }
            let range = NSRange(a.text.startIndex..., in: a.text)
            let ok = re.firstMatch(in: a.text, range: range) != nil
            return Verification(ok ? .correct : .wrong, extracted: a.text, rule: a.rule,
                                reason: ok ? "the whole answer matches the pattern" : "the answer does not match the whole pattern")
        case .json(let schema, let unusable):
            if unusable { return Verification(.unverifiable, extracted: nil, rule: nil, reason: "the json reference is not a JSON Schema object") }
            return JSONAnswer.judge(buf, schema)
        case .none, .missing:
            return Verification(.unverifiable, extracted: nil, rule: nil, reason: "not verified")
        }
    }

    /// Labelled answer, else the whole visible text when it is one line of at most 200 bytes.
    static func shortAnswer(_ buf: UnsafeBufferPointer<UInt8>) -> ExtractedAnswer? {
        if let a = AnswerExtractor.extract(visible: buf, numberFallback: false) { return a }
        let text = AnswerText.clean(String(decoding: buf, as: UTF8.self))
        guard !text.isEmpty, text.utf8.count <= 200, !text.contains("\n") else { return nil }
        return ExtractedAnswer(text: text, rule: .whole)
    }

    static func noAnswer() -> Verification {
        Verification(.noAnswer, extracted: nil, rule: nil, reason: "no final answer outside the reasoning")
    }
}
