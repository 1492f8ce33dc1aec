import Foundation

/// A prompt's reference answer and verifier kind, parsed once and reused for each of its samples.
// NSRegularExpression is immutable and documented as safe to share across threads; everything else is a value.
public struct PreparedReference: @unchecked Sendable {
    /// The verifier kind.
    public let kind: VerifierKind
    /// The reference as stored (nil when the prompt has none).
    public let reference: String?

    enum Prepared {
        case missing
        case none
        case math(MathReference)
        case choice(Character?)
        case exact(String)
        case regex(NSRegularExpression?)
        case json(JSONSchemaSubset?, unusable: Bool)
    }

    let prepared: Prepared

    /// Prepares `reference` for `kind`. A reference that cannot be used (a bad pattern or schema) makes every answer
    /// `unverifiable`; ``problem(kind:reference:)`` reports it at import time.
    public init(kind: VerifierKind, reference: String?) {
        self.kind = kind
        let ref = reference.flatMap { $0.isEmpty ? nil : $0 }
        self.reference = ref
        switch kind {
        case .none: prepared = .none
        case .json:
            let schema = ref.flatMap { try? JSONSchemaSubset(text: $0) }
            prepared = .json(schema, unusable: ref != nil && schema == nil)
        case _ where ref == nil: prepared = .missing
        case .math: prepared = .math(MathReference(ref!))
        case .choice: prepared = .choice(ChoiceMatcher.referenceLetter(ref!))
        case .exact: prepared = .exact(ExactMatcher.normalize(ref!))
        case .regex: prepared = .regex(try? NSRegularExpression(pattern: "^(?:" + ref! + ")$"))
        }
    }

    /// What is wrong with a reference for a verifier kind, nil when it is usable (a missing reference is usable:
    /// its answers are `unverifiable`).
    public static func problem(kind: VerifierKind, reference: String?) -> String? {
        guard let ref = reference, !ref.isEmpty else { return nil }
        switch kind {
        case .choice:
            return ChoiceMatcher.referenceLetter(ref) == nil ? "a choice reference must name a letter A–E (got \"\(ref)\")" : nil
        case .regex:
            do { _ = try NSRegularExpression(pattern: "^(?:" + ref + ")$") } catch {
                return "the regex reference \"\(ref)\" does not compile (ICU syntax)"
            }
            return nil
        case .json:
            do { _ = try JSONSchemaSubset(text: ref) } catch { return "the json reference is not a JSON Schema object: \(error)" }
            return nil
        case .math, .exact, .none:
            return nil
        }
    }
}
