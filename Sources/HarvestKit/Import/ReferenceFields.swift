import HarvestCore
import HarvestJSON
import HarvestVerify

/// Reading and checking a prompt's reference answer and verifier kind at import.
enum ReferenceFields {
    /// A JSONL `answer` value as stored text: strings as they are, numbers and booleans as written, objects and
    /// arrays (a JSON Schema for verifier `json`) as compact JSON; null is no reference.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let s): return s
        case .number: return value.intValue.map(String.init) ?? value.jsonString
        default: return value.jsonString
        }
    }

    /// Checks the verifier name and that the reference suits it; returns the verifier to store (nil: the set's
    /// default at verification time).
    static func check(reference: String?, verifier: String?, defaultVerifier: VerifierKind?, at loc: InputLocation,
                      answerField: String, verifierField: String) throws(ImportError) -> String? {
        var kind = defaultVerifier
        if let verifier, !verifier.isEmpty {
            guard let k = VerifierKind(name: verifier) else {
                throw ImportError(loc, field: verifierField, "unknown verifier \"\(verifier)\" (use one of \(VerifierKind.names))")
            }
            kind = k
        }
        if let kind, let problem = PreparedReference.problem(kind: kind, reference: reference) {
            throw ImportError(loc, field: answerField, problem)
        }
        return kind?.rawValue
    }
}
