import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies bound text and blobs before the bind call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement of one ``SQLiteDatabase``.
///
/// Not thread-safe: use it only on the thread that uses its connection. Parameter and column
/// indexes follow SQLite: binds are 1-based, columns 0-based. Text is bound and read with explicit
/// lengths, so strings may contain NUL characters; an empty string or blob is stored as empty, not NULL.
public final class SQLiteStatement {
    /// The statement handle.
    let handle: OpaquePointer
    /// The SQL text, for error messages.
    public let sql: String
    /// The connection handle (closed with `sqlite3_close_v2`, so it outlives its statements).
    private let dbHandle: OpaquePointer
    private let path: String

    init(db: SQLiteDatabase, sql: String) throws(SQLiteError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw db.error(rc, sql: sql)
        }
        self.handle = stmt
        self.sql = sql
        self.dbHandle = db.handle
        self.path = db.path
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding

    /// Binds an integer to parameter `index` (1-based).
    public func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds an integer to parameter `index` (1-based).
    public func bind(_ value: Int, at index: Int32) throws(SQLiteError) {
        try bind(Int64(value), at: index)
    }

    /// Binds a double to parameter `index` (1-based).
    public func bind(_ value: Double, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_double(handle, index, value))
    }

    /// Binds UTF-8 text to parameter `index` (1-based).
    public func bind(_ value: String, at index: Int32) throws(SQLiteError) {
        var s = value
        let rc = s.withUTF8 { buf -> Int32 in
            if buf.isEmpty { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
            return buf.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), sqliteTransient)
            }
        }
        try check(rc)
    }

    /// Binds a blob to parameter `index` (1-based). An empty array binds a zero-length blob.
    public func bind(blob value: [UInt8], at index: Int32) throws(SQLiteError) {
        let rc = value.withUnsafeBytes { buf -> Int32 in
            guard let base = buf.baseAddress, !buf.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return sqlite3_bind_blob(handle, index, base, Int32(buf.count), sqliteTransient)
        }
        try check(rc)
    }

    /// Binds NULL to parameter `index` (1-based).
    public func bindNull(at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds an optional integer (nil → NULL).
    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds an optional integer (nil → NULL).
    public func bind(_ value: Int?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(Int64(value), at: index) } else { try bindNull(at: index) }
    }

    /// Binds an optional double (nil → NULL).
    public func bind(_ value: Double?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds optional text (nil → NULL).
    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds an optional blob (nil → NULL).
    public func bind(blob value: [UInt8]?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(blob: value, at: index) } else { try bindNull(at: index) }
    }

    // MARK: Stepping

    /// Advances the statement: true when a row is available, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(result: rc, db: dbHandle, sql: sql, path: path)
        }
    }

    /// Runs a statement that returns no rows (or whose rows are ignored) and resets it.
    public func run() throws(SQLiteError) {
        defer { reset() }
        while try step() {}
    }

    /// Resets the statement so it can run again and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns

    /// True when column `index` (0-based) of the current row is NULL.
    public func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// Column `index` as an integer (NULL reads as 0).
    public func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` as an Int (NULL reads as 0).
    public func int(_ index: Int32) -> Int { Int(sqlite3_column_int64(handle, index)) }

    /// Column `index` as a double (NULL reads as 0).
    public func double(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// Column `index` as text (NULL reads as "").
    public func string(_ index: Int32) -> String {
        guard let p = sqlite3_column_text(handle, index) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Column `index` as a blob (NULL and empty read as []).
    public func blob(_ index: Int32) -> [UInt8] {
        let p = sqlite3_column_blob(handle, index)
        let n = Int(sqlite3_column_bytes(handle, index))
        guard let p, n > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Column `index` as an optional integer (NULL → nil).
    public func optionalInt64(_ index: Int32) -> Int64? { isNull(index) ? nil : int64(index) }

    /// Column `index` as an optional Int (NULL → nil).
    public func optionalInt(_ index: Int32) -> Int? { isNull(index) ? nil : int(index) }

    /// Column `index` as an optional double (NULL → nil).
    public func optionalDouble(_ index: Int32) -> Double? { isNull(index) ? nil : double(index) }

    /// Column `index` as optional text (NULL → nil).
    public func optionalString(_ index: Int32) -> String? { isNull(index) ? nil : string(index) }

    /// Column `index` as an optional blob (NULL → nil).
    public func optionalBlob(_ index: Int32) -> [UInt8]? { isNull(index) ? nil : blob(index) }

    private func check(_ rc: Int32) throws(SQLiteError) {
        if rc != SQLITE_OK { throw SQLiteError(result: rc, db: dbHandle, sql: sql, path: path) }
    }
}
