/// How a prompt's reference answer is checked.
public enum VerifierKind: String, Sendable, Hashable, CaseIterable {
    /// Final-answer equivalence of numbers, fractions, simple LaTeX, intervals and tuples.
    case math
    /// A multiple-choice letter A–E.
    case choice
    /// Normalized string equality (case, whitespace, surrounding punctuation and markup ignored).
    case exact
    /// The reference is a regular expression (ICU syntax) the whole extracted answer must match.
    case regex
    /// The answer must be valid JSON; a non-empty reference is a JSON Schema (subset) it must satisfy.
    case json
    /// Not verified: every answer is `unverifiable`.
    case none

    /// Parses a verifier name as written in import files and flags (case-insensitive), nil when unknown.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    /// The names accepted, for error messages: `math, choice, exact, regex, json, none`.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
