/// A curation setting or input that cannot be used. Raised before anything is marked, and printed for people:
/// what is wrong, where, and what to do.
public struct CurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is.
    public enum Kind: String, Sendable, Equatable {
        /// An eval set file that cannot be read or parsed.
        case evalSet
        /// A regular expression that does not compile.
        case regex
        /// A parameter out of range.
        case parameter
        /// Stored data (a signature, a hash) that cannot be decoded.
        case storedData
    }

    /// What kind of problem this is.
    public var kind: Kind
    /// Where: `file:line`, a filter stage, or a parameter name.
    public var location: String
    /// The field or pattern at fault, if any.
    public var field: String?
    /// What is wrong.
    public var message: String
    /// What to do about it.
    public var hint: String

    /// Creates an error.
    public init(_ kind: Kind, location: String, field: String? = nil, _ message: String, hint: String) {
        self.kind = kind
        self.location = location
        self.field = field
        self.message = message
        self.hint = hint
    }

    /// `location: field "x": message (hint)`.
    public var description: String {
        var s = location
        if let field { s += ": field \"\(field)\"" }
        return s + ": " + message + " (" + hint + ")"
    }

    static func parameter(_ name: String, _ message: String) -> CurationError {
        CurationError(.parameter, location: name, message, hint: "fix the curation parameter; nothing was marked")
    }
}
