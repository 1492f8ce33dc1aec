/// A PostgreSQL connection URL as harvest accepts it: `postgres://` or `postgresql://` (libpq's URI form), without a
/// password. The password comes from `PGPASSWORD`, a `.pgpass` file or a service file (`PGSERVICE`), all read by
/// libpq itself, so it is never stored in a config, printed or logged.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as given (it holds no password: ``init(_:)`` refuses one).
    public let value: String

    /// Checks `text`: the scheme must be `postgres://` or `postgresql://`; a password in the user-info or a `password=`
    /// parameter is refused with ``PostgresError/badURL(reason:)``.
    public init(_ text: String) throws(PostgresError) {
        guard Self.isPostgres(text) else {
            throw .badURL(reason: "'\(Self.redact(text))' does not start with postgres:// or postgresql://")
        }
        let rest = text.drop(while: { $0 != "/" }).dropFirst(2)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
            throw .badURL(reason: "'\(Self.redact(text))' carries a password; remove it and set PGPASSWORD or use a .pgpass file")
        }
        if let query = text.firstIndex(of: "?") {
            let params = text[text.index(after: query)...].split(separator: "&")
            if params.contains(where: { $0.lowercased().hasPrefix("password=") }) {
                throw .badURL(reason: "'\(Self.redact(text))' carries a password parameter; set PGPASSWORD or use a .pgpass file")
            }
        }
        value = text
    }

    /// Whether `text` looks like a PostgreSQL URL (how `--db` tells it from a SQLite path).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// `text` with any password removed (user-info password and `password=` parameters), for messages.
    public static func redact(_ text: String) -> String {
        var out = text
        if let scheme = out.range(of: "://") {
            let start = scheme.upperBound
            let end = out[start...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? out.endIndex
            let authority = out[start..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                out.replaceSubrange(colon..<at, with: ":***")
            }
        }
        if let query = out.firstIndex(of: "?") {
            let params = out[out.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { p in
                p.lowercased().hasPrefix("password=") ? "password=***" : String(p)
            }
            out = String(out[...query]) + params.joined(separator: "&")
        }
        return out
    }

    /// The URL for messages (it holds no password).
    public var description: String { value }
}
