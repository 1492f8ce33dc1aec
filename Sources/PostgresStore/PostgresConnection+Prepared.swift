import CPostgres

extension PostgresConnection {
    /// Runs `sql` as a prepared statement of this connection: parsed and analysed once, at its first use here
    /// (named `harvest_1`, `harvest_2`, …), then only bound and executed, and the server may keep one generic plan
    /// for it instead of planning every execution. For the statements a process runs over and over (a batch's
    /// statements have the same text whatever the batch size). A statement the server no longer knows (the
    /// connection was reset) is prepared again.
    @discardableResult
    public func executePrepared(_ sql: String, _ params: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        try ensureConnected()
        try Self.refuseNUL(params, sql: sql)
        do {
            return try runPrepared(sql, params)
        } catch let error {
            // 26000: the prepared statement does not exist (a reset connection forgets its statements).
            guard case .query(_, "26000", _, _) = error else { throw error }
            _ = try? script("DEALLOCATE ALL")
            prepared = [:]
            return try runPrepared(sql, params)
        }
    }

    private func runPrepared(_ sql: String, _ params: [PostgresValue]) throws(PostgresError) -> PostgresResult {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "harvest_\(prepared.count + 1)"
            let types = params.map(\.oid)
            let made = types.withUnsafeBufferPointer { PQprepare(conn, name, sql, Int32(params.count), $0.baseAddress) }
            _ = try check(made, sql: sql)
            prepared[sql] = name
        }
        let raw = Self.withParameters(params) { n, _, values, lengths, formats in
            PQexecPrepared(conn, name, n, values, lengths, formats, 0)
        }
        return try check(raw, sql: sql)
    }

    /// Refuses text holding U+0000 before it is sent: text goes as a C string, where an inner NUL would cut it short
    /// without a word; PostgreSQL text cannot hold U+0000 anyway, so this is the server's own refusal (SQLSTATE 22021).
    static func refuseNUL(_ params: [PostgresValue], sql: String) throws(PostgresError) {
        for (i, p) in params.enumerated() {
            if case .text(let t) = p, t.utf8.contains(0) {
                throw .query(sql: sql, sqlstate: "22021", message: "parameter $\(i + 1) holds U+0000, which PostgreSQL text cannot store",
                             detail: nil)
            }
        }
    }

    /// Calls `body` with libpq's parameter arrays (count, type OIDs, values, lengths, formats) for `params`; the
    /// values live until `body` returns (nil entries are NULLs).
    static func withParameters<R>(_ params: [PostgresValue],
                                  _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                                           UnsafePointer<Int32>?) -> R) -> R {
        let wires = params.map(\.wire)
        let types = params.map(\.oid)
        let formats = params.map(\.format)
        let lengths = wires.map { Int32($0?.count ?? 0) }
        let buffers: [UnsafeMutablePointer<UInt8>?] = wires.map { w in
            guard let w else { return nil }
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, w.count))
            p.initialize(from: w, count: w.count)
            return p
        }
        defer { for b in buffers { b?.deallocate() } }
        let values: [UnsafePointer<CChar>?] = buffers.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } }
        return values.withUnsafeBufferPointer { v in
            types.withUnsafeBufferPointer { t in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in body(Int32(params.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress) }
                }
            }
        }
    }
}
