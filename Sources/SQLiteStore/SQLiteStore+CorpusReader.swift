import HarvestCore

/// SQLite reads the corpus with its existing queries: pages by response id on pooled read connections (each page
/// its own read transaction, as before), one writer, so answers become visible in id order.
extension SQLiteStore: CorpusReader {
    /// The database file (the export adds its `-wal`, `-shm` and `-journal`).
    public var localFiles: [String] { [path] }

    /// Whether prompt set `name` exists.
    public func setExists(_ name: String) throws -> Bool {
        try read { db in
            try db.queryOne("SELECT 1 FROM prompt_sets WHERE name = ?1", bind: { try $0.bind(name, at: 1) }, read: { $0.int(0) }) != nil
        }
    }

    /// Keyset pages of ``responses(query:)``.
    public func openResponsePages(query: ResponseQuery) throws -> any ResponsePages {
        KeysetResponsePages(query: query) { [self] q in try responses(query: q) }
    }

    /// Nil: one writer per database file commits answers in id order.
    public func settledResponseId() throws -> Int64? { nil }
}
