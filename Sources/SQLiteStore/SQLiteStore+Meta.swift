import HarvestCore

extension SQLiteStore {
    /// The `meta` value for `key`, or nil. Keys in use: `schema_version`, `created_by`, `created_at`,
    /// `export.watermark.<name>` (highest response id written by the incremental export `<name>`).
    public func metaValue(_ key: String) throws -> String? {
        try read { db in
            try db.queryOne("SELECT value FROM meta WHERE key = ?1", bind: { try $0.bind(key, at: 1) }, read: { $0.string(0) })
        }
    }

    /// Sets a `meta` value (through the writer; returns after commit).
    public func setMetaValue(_ key: String, _ value: String) throws {
        try writeSync { db in
            try db.with("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value") { s in
                try s.bind(key, at: 1); try s.bind(value, at: 2)
                try s.run()
            }
        }
    }
}
