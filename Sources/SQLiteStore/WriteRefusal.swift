import CSQLite
import HarvestStore

/// The database refuses writes: the disk is full, or the file or its directory became read-only or unreachable.
///
/// While a store is in this state it claims no new jobs (claims return nothing), so nothing more is paid for that
/// could not be stored. ``SQLiteStore/retryWrites()`` ends the state once the disk has room again.
public struct WriteRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The refused write's error, for people.
    public var reason: String
    /// True when the error was a full disk (`SQLITE_FULL`), as opposed to a read-only or failing file system.
    public var diskFull: Bool
    /// Unix time of the first refused write.
    public var since: Double

    /// Creates a refusal.
    public init(reason: String, diskFull: Bool, since: Double) {
        self.reason = reason
        self.diskFull = diskFull
        self.since = since
    }

    /// One line for people.
    public var description: String { reason }

    /// True for the SQLite errors that mean "this database cannot take writes now" (full, read-only, I/O, permission),
    /// and for another backend's outage (``StoreOutageError``: e.g. PostgreSQL unreachable).
    public static func isRefusal(_ error: any Error) -> Bool {
        if let outage = error as? any StoreOutageError, outage.isOutage { return true }
        return refusalCode(error) != nil
    }

    static func refusalCode(_ error: any Error) -> Int32? {
        let sqlite: SQLiteError
        if let e = error as? SQLiteError {
            sqlite = e
        } else if case .sqlite(let e)? = error as? StoreError {
            sqlite = e
        } else {
            return nil
        }
        switch sqlite.code {
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM: return sqlite.code
        default: return nil
        }
    }
}
