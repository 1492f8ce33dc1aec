import PostgresStore
import SQLiteStore

/// The one place that turns a ``StoreLocation`` into an opened, migrated database of either backend, for every
/// command and the daemon (as ``TeacherPipeline`` is for teachers). Callers hold `any HarvestDatabase` and never
/// name a backend; what only SQLite can do (backup, WAL checkpoint, the disk reserve) they ask of the concrete
/// `SQLiteStore`, and a PostgreSQL database skips or refuses it.
///
/// ```swift
/// let store = try StoreFactory.open(try StoreLocation.resolve(flag: global.db))
/// defer { store.close() }
/// ```
public enum StoreFactory {
    /// Pooled connections of a PostgreSQL store (claims, renewals and group commits in parallel).
    public static let postgresConnections = 4

    /// Opens the database at `location`, applying migrations (PostgreSQL: under an advisory lock, so daemons
    /// starting together do not race). `options` apply to SQLite (the disk reserve, a checkpoint on close) and are
    /// not needed on PostgreSQL. Throws `StoreError` (SQLite) or `PostgresError` (connection, URL).
    public static func open(_ location: StoreLocation, options: StoreOptions = StoreOptions()) throws -> any HarvestDatabase {
        switch location {
        case .sqlite(let path): try SQLiteStore(path: path, options: options)
        case .postgres(let url): try PostgresStore(url: url, connections: postgresConnections)
        }
    }
}
