extension Migrations {
    /// Throws ``StoreError/notHarvest(path:detail:)`` when `db` is a SQLite file with tables but no harvest schema
    /// version: such a file is left exactly as it was (no migration, no change of journal mode).
    static func checkNotForeign(_ db: SQLiteDatabase) throws {
        guard try version(of: db) == 0 else { return }
        let tables = try db.queryOne("SELECT count(*) FROM sqlite_schema") { $0.int(0) } ?? 0
        if tables > 0 {
            throw StoreError.notHarvest(path: db.path, detail: "it holds \(tables) schema objects but no harvest schema version")
        }
    }
}
