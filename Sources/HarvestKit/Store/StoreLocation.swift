import Foundation
import PostgresStore

/// Where the harvest database is: a SQLite file (the embedded default) or a PostgreSQL database (many daemons on
/// many machines), told apart by the `postgres://` / `postgresql://` prefix of `--db`, `$HARVEST_DB`,
/// `database.url` or `database.path`. A URL with a password is refused (``PostgresURL``): the password comes from
/// `PGPASSWORD`, a `.pgpass` file or a service file, never from a flag or a config.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A PostgreSQL database (the URL holds no password).
    case postgres(url: String)

    /// The database when nothing names one.
    public static let defaultPath = "harvest.sqlite"

    /// Reads `text`: a PostgreSQL URL (checked) or else a SQLite file path. Throws `PostgresError.badURL` for a URL
    /// with a password.
    public init(parsing text: String) throws {
        if PostgresURL.isPostgres(text) {
            self = .postgres(url: try PostgresURL(text).value)
        } else {
            self = .sqlite(path: text)
        }
    }

    /// Whether `text` names PostgreSQL (`postgres://` or `postgresql://`) rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool { PostgresURL.isPostgres(text) }

    /// The database of a command: `flag` (`--db`), else `$HARVEST_DB`, else ``defaultPath``.
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreLocation {
        try StoreLocation(parsing: flag ?? environment["HARVEST_DB"] ?? defaultPath)
    }

    /// The path or URL, for messages.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }

    /// True for PostgreSQL.
    public var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// The SQLite file, for a command that works on SQLite only; a PostgreSQL URL is refused naming `command`.
    public func sqlitePath(for command: String) throws(StoreLocationError) -> String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): throw .sqliteOnly(command: command, url: url)
        }
    }

    /// The SQLite file, for a command that exists for the embedded database only (backup, demo): a PostgreSQL URL
    /// is refused with `why` the command is SQLite's and `instead`, what to do on PostgreSQL.
    public func sqliteFile(for command: String, why: String, instead: String) throws(StoreLocationError) -> String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): throw .notForPostgres(command: command, url: url, why: why, instead: instead)
        }
    }

    /// Where paid answers the database refuses are saved unless configured: `harvest-rescue.jsonl` beside a SQLite
    /// file; for PostgreSQL (no file of its own) in `directory` (the config file's directory, or the working
    /// directory of a foreground sweep).
    public func defaultRescueFile(directory: String = ".") -> String {
        switch self {
        case .sqlite(let path): return RescueLog.defaultPath(database: path)
        case .postgres: return URL(fileURLWithPath: directory).appendingPathComponent("harvest-rescue.jsonl").path
        }
    }
}

/// A database location a command cannot use.
public enum StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command works on SQLite only so far, and a PostgreSQL URL was given.
    case sqliteOnly(command: String, url: String)
    /// The command exists for the embedded SQLite database only (`why`), and a PostgreSQL URL was given; `instead`
    /// says what to do there.
    case notForPostgres(command: String, url: String, why: String, instead: String)

    /// One line for people.
    public var description: String {
        switch self {
        case .sqliteOnly(let command, let url):
            return "harvest \(command) works on a SQLite database only so far, and --db names PostgreSQL (\(url)) — "
                + "give a SQLite file with --db, or copy the data over (docs/OPERATIONS.md, PostgreSQL)"
        case .notForPostgres(let command, let url, let why, let instead):
            return "harvest \(command) \(why), and the database is PostgreSQL (\(url), from --db or $HARVEST_DB): \(instead)"
        }
    }
}
