import CPostgres

extension PostgresConnection {
    /// Runs `sql`, a `COPY … FROM STDIN` statement, sending `data` as its input (``PostgresBinaryCopy/finish()`` for
    /// `(FORMAT binary)`), and returns the number of rows copied. Rows are checked by the server as `INSERT`s would be
    /// (types, constraints, triggers); an error refuses the whole `COPY` and is thrown with its SQLSTATE, the connection
    /// staying usable (inside a transaction, that transaction is then aborted, as after any failed statement).
    @discardableResult
    public func copyIn(_ sql: String, _ data: [UInt8]) throws(PostgresError) -> Int {
        try ensureConnected()
        guard let started = PQexec(conn, sql) else { return try check(nil, sql: sql).changed }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            // An error (thrown by `check`), or a statement that is not a COPY FROM STDIN.
            _ = try check(started, sql: sql)
            throw .unexpected(sql: sql, detail: "not a COPY … FROM STDIN statement")
        }
        PQclear(started)
        var failed = false
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, !failed {
                let n = min(raw.count - offset, Self.copyChunk)
                let p = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                failed = PQputCopyData(conn, p, Int32(n)) != 1
                offset += n
            }
        }
        if !failed { failed = PQputCopyEnd(conn, nil) != 1 }
        // The COPY's own result, then nil; every result is read so the connection is ready for the next statement.
        var outcome: OpaquePointer?
        while let r = PQgetResult(conn) {
            if outcome == nil { outcome = r } else { PQclear(r) }
        }
        return try check(outcome, sql: sql).changed
    }

    /// Bytes handed to libpq per `PQputCopyData` call.
    static var copyChunk: Int { 1 << 20 }
}
