import CSQLite

extension WriteRefusal {
    /// True for the SQLite errors that mean "this database cannot take writes now" (full, read-only, I/O, permission).
    public static func isRefusal(_ error: any Error) -> Bool {
        refusalCode(error) != nil
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
