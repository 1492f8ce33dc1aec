import CSQLite

/// A failed SQLite call: result codes, SQLite's own message and the SQL being run.
///
/// `description` is written for people: what failed, where, and what to do about it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// Primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public var code: Int32
    /// Extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_IOERR_FSYNC`, ...).
    public var extendedCode: Int32
    /// The message from `sqlite3_errmsg` (or `sqlite3_errstr` when no connection exists).
    public var message: String
    /// The SQL statement being prepared or run, when known.
    public var sql: String?
    /// The database file, when known.
    public var path: String?

    /// Creates an error from its parts. `code` may be an extended code; its low byte is the primary code.
    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil, path: String? = nil) {
        self.code = code & 0xFF
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// Reads the current error of connection `db` after a call returned `result`.
    init(result: Int32, db: OpaquePointer?, sql: String?, path: String?) {
        var message = String(cString: sqlite3_errstr(result))
        var extended = result
        if let db {
            let ext = sqlite3_extended_errcode(db)
            // errmsg describes the most recent failing call; use it only when it matches the result we got.
            if ext & 0xFF == result & 0xFF {
                extended = ext
                message = String(cString: sqlite3_errmsg(db))
            }
        }
        self.init(code: result, extendedCode: extended, message: message, sql: sql, path: path)
    }

    /// The symbolic name of the primary code, e.g. `SQLITE_BUSY`.
    public var codeName: String {
        switch code {
        case SQLITE_ERROR: return "SQLITE_ERROR"
        case SQLITE_INTERNAL: return "SQLITE_INTERNAL"
        case SQLITE_PERM: return "SQLITE_PERM"
        case SQLITE_ABORT: return "SQLITE_ABORT"
        case SQLITE_BUSY: return "SQLITE_BUSY"
        case SQLITE_LOCKED: return "SQLITE_LOCKED"
        case SQLITE_NOMEM: return "SQLITE_NOMEM"
        case SQLITE_READONLY: return "SQLITE_READONLY"
        case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT"
        case SQLITE_IOERR: return "SQLITE_IOERR"
        case SQLITE_CORRUPT: return "SQLITE_CORRUPT"
        case SQLITE_FULL: return "SQLITE_FULL"
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL"
        case SQLITE_SCHEMA: return "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: return "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: return "SQLITE_MISMATCH"
        case SQLITE_MISUSE: return "SQLITE_MISUSE"
        case SQLITE_NOTADB: return "SQLITE_NOTADB"
        default: return "SQLite code \(code)"
        }
    }

    /// What the user can do about this class of error.
    public var hint: String {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "another harvest process may hold the database; retry, or stop the other process"
        case SQLITE_READONLY, SQLITE_PERM:
            return "check that the database file and its directory are writable by this user"
        case SQLITE_CANTOPEN:
            return "check that the directory exists and that the path is readable and writable"
        case SQLITE_FULL:
            return "the disk is full; free space and run again (committed responses are safe)"
        case SQLITE_IOERR:
            return "the disk reported an I/O error; check the disk and file system, then run again"
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return "the file is damaged or is not a harvest database; restore a backup or choose another path"
        case SQLITE_NOMEM:
            return "the process ran out of memory; lower concurrency or batch sizes"
        case SQLITE_CONSTRAINT:
            return "the data breaks a database rule; this is likely a harvest bug, please report it"
        case SQLITE_MISUSE, SQLITE_INTERNAL:
            return "this is a harvest bug, please report it"
        default:
            return "see the SQLite message for details"
        }
    }

    /// One line for people: what failed, where, and what to do.
    public var description: String {
        var s = "database error \(codeName)"
        if extendedCode != code { s += " (extended code \(extendedCode))" }
        s += ": \(message)"
        if let path { s += " — in \(path)" }
        if let sql { s += " — while running `\(Self.abbreviate(sql))`" }
        s += " — \(hint)"
        return s
    }

    private static func abbreviate(_ sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        let oneLine = words.joined(separator: " ")
        return oneLine.count > 200 ? String(oneLine.prefix(200)) + "…" : oneLine
    }
}
