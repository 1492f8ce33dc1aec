/// A config file (daemon, sweep or curation config) that cannot be used: names the file, the field path (`teachers[0].limits.rpm`) and what to do.
public struct ConfigFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file.
    public var file: String
    /// The dotted field path with array indexes, or nil for the whole file.
    public var field: String?
    /// What is wrong, and what to do about it.
    public var message: String

    /// Creates an error.
    public init(file: String, field: String?, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    /// `file: field "teachers[0].model": what is wrong`.
    public var description: String {
        if let field { return "\(file): field \"\(field)\": \(message)" }
        return "\(file): \(message)"
    }
}
