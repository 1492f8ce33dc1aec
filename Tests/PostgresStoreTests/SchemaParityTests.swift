import Foundation
import PostgresStore
import SQLiteStore
import Testing

/// Every table, column and named index of SQLite's schema exists in PostgreSQL after its migrations, with a matching
/// type and nullability, except the intended differences listed here (each with its reason). A SQLite migration
/// that adds a table or column fails this test until PostgreSQL mirrors it (or the difference is listed).
@Suite struct SchemaParityTests {
    /// Columns only PostgreSQL has.
    static let postgresOnlyColumns: Set<String> = [
        // The fencing token of a job's latest claim: many daemons claim from one database (SQLite has one writer).
        "jobs.lease_token",
        // Heartbeats of the daemons sharing the database, dividing each teacher's limits (schema version 4, fleet);
        // a single SQLite writer has no fleet.
        "fleet_members.teacher", "fleet_members.owner", "fleet_members.heartbeat_at",
    ]

    /// SQLite indexes PostgreSQL replaces with another.
    static let sqliteOnlyIndexes: Set<String> = [
        // Claims read pending and leased jobs in id order through the partial index `jobs_open`.
        "jobs_state_lease",
    ]

    /// Indexes only PostgreSQL has.
    static let postgresOnlyIndexes: Set<String> = [
        "jobs_open",
    ]

    /// SQLite's declared type → the PostgreSQL types that hold the same values.
    static let typeMap: [String: Set<String>] = [
        "INTEGER": ["bigint", "integer"],
        "REAL": ["double precision"],
        "TEXT": ["text"],
        "BLOB": ["bytea"],
    ]

    struct Column: Hashable, CustomStringConvertible {
        let table: String
        let name: String
        var description: String { "\(table).\(name)" }
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func everySQLiteTableAndColumnExistsInPostgres() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h.sqlite").path
        try SQLiteStore(path: path).close()
        let lite = try SQLiteDatabase(path: path, mode: .readOnly)

        var liteColumns: [Column: (type: String, notNull: Bool)] = [:]
        let tables = try lite.with("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") { s in
            var names: [String] = []
            while try s.step() { names.append(s.string(0)) }
            return names
        }
        #expect(tables.count >= 20, "SQLite schema read: \(tables)")
        for table in tables {
            try lite.with("SELECT name, type, \"notnull\", pk FROM pragma_table_info('\(table)')") { s in
                while try s.step() {
                    // A primary-key column of a WITHOUT ROWID table is NOT NULL even when not declared so.
                    liteColumns[Column(table: table, name: s.string(0))] = (s.string(1).uppercased(), s.int(2) == 1 || s.int(3) > 0)
                }
            }
        }
        let liteIndexes = try lite.with("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'") { s in
            var names: Set<String> = []
            while try s.step() { names.insert(s.string(0)) }
            return names
        }

        let db = try PostgresTestDatabase()
        defer { db.drop() }
        try PostgresStore(url: db.url).close()
        let c = try PostgresConnection(url: PostgresURL(db.url))
        let rows = try c.execute("""
            SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
            """)
        var pgColumns: [Column: (type: String, notNull: Bool)] = [:]
        for i in 0..<rows.count {
            pgColumns[Column(table: try rows.text(i, 0), name: try rows.text(i, 1))] = (try rows.text(i, 2), try rows.text(i, 3) == "NO")
        }
        let indexRows = try c.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        let pgIndexes = Set(try (0..<indexRows.count).map { try indexRows.text($0, 0) })

        for (column, lite) in liteColumns.sorted(by: { $0.key.description < $1.key.description }) {
            guard let pg = pgColumns[column] else {
                Issue.record("PostgreSQL lacks column \(column) (SQLite \(lite.type)): add it in a PostgreSQL migration")
                continue
            }
            #expect(Self.typeMap[lite.type]?.contains(pg.type) == true, "\(column): SQLite \(lite.type), PostgreSQL \(pg.type)")
            #expect(lite.notNull == pg.notNull, "\(column): NOT NULL differs (SQLite \(lite.notNull), PostgreSQL \(pg.notNull))")
        }
        let extra = Set(pgColumns.keys.map(\.description)).subtracting(liteColumns.keys.map(\.description))
        #expect(extra == Self.postgresOnlyColumns, "PostgreSQL-only columns not listed as intended: \(extra.sorted())")

        let missingIndexes = liteIndexes.subtracting(pgIndexes).subtracting(Self.sqliteOnlyIndexes)
        #expect(missingIndexes.isEmpty, "PostgreSQL lacks SQLite's indexes \(missingIndexes.sorted())")
        for name in Self.postgresOnlyIndexes { #expect(pgIndexes.contains(name)) }
        #expect(Self.sqliteOnlyIndexes.isSubset(of: liteIndexes), "an intended difference no longer exists in SQLite")
    }
}
