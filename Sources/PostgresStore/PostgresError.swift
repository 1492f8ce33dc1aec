import HarvestStore

/// What went wrong talking to PostgreSQL, printed for people: what failed, where (the URL without secrets, the SQL),
/// and what to do. A password never appears in it.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible, StoreOutageError {
    /// The database URL is not usable (not `postgres://`/`postgresql://`, or it carries a password).
    case badURL(reason: String)
    /// The connection could not be made (server down, wrong host or port, authentication refused).
    case connect(url: String, message: String)
    /// A statement failed on the server; `sqlstate` is PostgreSQL's five-character code (e.g. `23505`).
    case query(sql: String, sqlstate: String?, message: String, detail: String?)
    /// The connection broke and could not be re-established.
    case connectionLost(url: String, message: String)
    /// A result did not have the shape the code expects (a column missing, a value not a number).
    case unexpected(sql: String, detail: String)
    /// The store was closed.
    case closed(url: String)

    /// The SQLSTATE of a failed statement, nil for other errors.
    public var sqlstate: String? {
        if case .query(_, let state, _, _) = self { return state }
        return nil
    }

    /// True when the database cannot take writes now and may later: the connection is lost or cannot be made, the
    /// server is shutting down or starting (SQLSTATE class 08, 57P01–57P03), its disk is full (53100), or it became a
    /// read-only standby (25006). The runner then stops claiming and rescues paid answers (``StoreOutageError``).
    public var isOutage: Bool {
        switch self {
        case .connect, .connectionLost: return true
        case .query(_, let state?, _, _):
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53100" || state == "25006"
        default: return false
        }
    }

    /// A text for people.
    public var description: String {
        switch self {
        case .badURL(let reason):
            return "bad PostgreSQL URL: \(reason)"
        case .connect(let url, let message):
            return "cannot connect to PostgreSQL at \(url): \(message) — check that the server runs and accepts this user "
                + "(the password comes from PGPASSWORD, a .pgpass file or a service file)"
        case .query(let sql, let state, let message, let detail):
            let code = state.map { " [SQLSTATE \($0)]" } ?? ""
            let more = detail.map { " (\($0))" } ?? ""
            return "PostgreSQL refused a statement\(code): \(message)\(more) — SQL: \(Self.shorten(sql))"
        case .connectionLost(let url, let message):
            return "lost the connection to PostgreSQL at \(url): \(message) — check the server; nothing of the failed statement was kept"
        case .unexpected(let sql, let detail):
            return "unexpected result from PostgreSQL: \(detail) — SQL: \(Self.shorten(sql))"
        case .closed(let url):
            return "the PostgreSQL store at \(url) is closed"
        }
    }

    /// One line of at most 300 characters.
    static func shorten(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
        return line.count > 300 ? String(line.prefix(297)) + "..." : line
    }
}
