import HarvestStore
import PostgresStore
import SQLiteStore

/// Opens the store that `--db` names for the read commands (export, inspect, stats): a `postgres://` or
/// `postgresql://` URL opens PostgreSQL (password from `PGPASSWORD`, `.pgpass` or a service file), anything else the
/// SQLite file. Both are migrated to this version's schema on open, as every command does.
enum CorpusStoreOpener {
    /// The reader for `location`; the caller closes it with ``close(_:)``.
    static func open(_ location: String) throws -> any CorpusReader {
        if PostgresURL.isPostgres(location) { return try PostgresStore(url: location, connections: 1) }
        return try SQLiteStore(path: location)
    }

    /// Closes a reader opened by ``open(_:)``.
    static func close(_ reader: any CorpusReader) {
        switch reader {
        case let s as SQLiteStore: s.close()
        case let p as PostgresStore: p.close()
        default: break
        }
    }
}
