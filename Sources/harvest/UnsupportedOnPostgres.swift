import PostgresStore

/// A command (or setting) that the PostgreSQL store does not do yet, refused before anything is read or written
/// (a setting that is parsed is applied or refused, never ignored). Exit code 4.
struct UnsupportedOnPostgres: Error, CustomStringConvertible {
    /// The command or setting refused, as the user typed it (e.g. `harvest curate`).
    var what: String
    /// Why, and what to do instead.
    var hint: String

    /// Throws when `location` (a `--db` value) is a PostgreSQL URL.
    static func check(_ location: String, what: String, hint: String) throws {
        if PostgresURL.isPostgres(location) { throw UnsupportedOnPostgres(what: what, hint: hint) }
    }

    var description: String { "\(what) does not work on a PostgreSQL database yet: \(hint)" }
}
