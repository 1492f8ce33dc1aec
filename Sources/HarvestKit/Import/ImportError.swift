import HarvestCore

/// A prompt file that cannot be imported. Names the file, line and field; the database is left unchanged.
public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var location: InputLocation
    /// The field at fault (`prompt`, `messages[1].role`, a CSV column), if any.
    public var field: String?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ location: InputLocation, field: String? = nil, _ message: String) {
        self.location = location
        self.field = field
        self.message = message
    }

    /// `file:line: field "x": message`.
    public var description: String {
        var s = "\(location)"
        if let field { s += ": field \"\(field)\"" }
        return s + ": " + message + " (nothing was imported)"
    }
}
