#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite

/// One SQLite connection.
///
/// Not thread-safe: a connection is opened in "multi-thread" mode (`SQLITE_OPEN_NOMUTEX`) and must be
/// used by one thread at a time. ``SQLiteStore`` confines its writer connection to the writer thread
/// and lends each reader connection to one caller at a time.
public final class SQLiteDatabase {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Read and write; create the file when missing.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read only (writes fail with `SQLITE_READONLY`).
        case readOnly
    }

    /// Kinds of `BEGIN`.
    public enum TransactionKind: String, Sendable {
        /// Takes the write lock at the first write (or never, for a read transaction).
        case deferred = "BEGIN DEFERRED"
        /// Takes the write lock at once, so a busy database fails early instead of at the first write.
        case immediate = "BEGIN IMMEDIATE"
    }

    /// The connection handle.
    let handle: OpaquePointer
    /// The file path as given.
    public let path: String
    private var cache: [String: SQLiteStatement] = [:]
    private let busyWait: BusyWait

    /// Opens `path` in `mode`. `busyTimeoutMs` sets how long a call waits for another connection's lock.
    public init(path: String, mode: Mode, busyTimeoutMs: Int = 5000) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        busyWait = BusyWait(timeoutMs: busyTimeoutMs)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let err = SQLiteError(result: rc, db: db, sql: nil, path: path)
            sqlite3_close_v2(db)
            throw err
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_handler(db, { context, count in
            Unmanaged<BusyWait>.fromOpaque(context!).takeUnretainedValue().shouldRetry(count: count) ? 1 : 0
        }, Unmanaged.passUnretained(busyWait).toOpaque())
    }

    /// Waits for another connection's lock by polling every 0.5–1 ms (jittered) until the timeout has passed.
    ///
    /// SQLite's own `sqlite3_busy_timeout` backs off to 100 ms sleeps. Against a busy daemon, whose writer holds
    /// the write lock most of the time and releases it only between group commits, such sparse attempts keep
    /// missing the gaps: a short `harvest sweep NAME` waited up to 1.3 s (p90 0.9 s) where polling finds a gap
    /// within milliseconds. A failed attempt costs one `fcntl`, so polling is cheap. Used by one thread at a time,
    /// like its connection.
    final class BusyWait {
        let timeout: Double
        var started = 0.0

        init(timeoutMs: Int) { timeout = Double(max(0, timeoutMs)) / 1000 }

        /// Called by SQLite with the number of earlier calls for this wait; sleeps and says whether to try again.
        func shouldRetry(count: Int32) -> Bool {
            let now = unixNow()
            if count == 0 { started = now }
            guard now - started < timeout else { return false }
            usleep(UInt32.random(in: 500...1000))
            return true
        }
    }

    deinit {
        cache.removeAll()
        sqlite3_busy_handler(handle, nil, nil)
        sqlite3_close_v2(handle)
    }

    /// Builds an error for result `rc` of this connection.
    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(result: rc, db: handle, sql: sql, path: path)
    }

    /// Runs one or more statements separated by semicolons, ignoring any rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            var err = error(rc, sql: sql)
            if let errmsg { err.message = String(cString: errmsg) }
            sqlite3_free(errmsg)
            throw err
        }
    }

    /// Prepares a new statement owned by the caller.
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(db: self, sql: sql)
    }

    /// Returns this connection's cached statement for `sql`, prepared on first use, reset and unbound.
    public func cached(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        let s = try SQLiteStatement(db: self, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs `body` with the cached statement for `sql` and resets it afterwards (so no read stays open).
    public func with<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let s = try cached(sql)
        defer { s.reset() }
        return try body(s)
    }

    /// Reads one value: runs `sql` with `bind`, returns `read` of the first row or nil when there is none.
    public func queryOne<T>(_ sql: String, bind: (SQLiteStatement) throws -> Void = { _ in },
                            read: (SQLiteStatement) throws -> T) throws -> T? {
        try with(sql) { s in
            try bind(s)
            return try s.step() ? try read(s) : nil
        }
    }

    /// Reads the text value of a pragma, e.g. `pragma("journal_mode")`.
    public func pragma(_ name: String) throws(SQLiteError) -> String? {
        let s = try prepare("PRAGMA \(name)")
        return try s.step() ? s.optionalString(0) : nil
    }

    /// Runs `body` inside a transaction: commits when it returns, rolls back when it throws.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try execute(kind.rawValue)
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// True when no transaction is open (SQLite rolls a transaction back by itself after some errors).
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
}
