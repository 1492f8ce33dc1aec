import HarvestKit
import Testing
@testable import HarvestDaemon

/// How `--db`, `$HARVEST_DB`, `database.url` and `database.path` choose the database and its backend.
@Suite struct DatabaseLocationTests {
    static func parse(_ database: String) throws(DaemonConfigError) -> DaemonConfig {
        try DaemonConfig.parse(Array("{\"database\": \(database)}".utf8), file: "/etc/harvest/harvest.json")
    }

    @Test func databaseURLSelectsPostgresAndTheRescueFileSitsBesideTheConfig() throws {
        let c = try Self.parse("{\"url\": \"postgres://harvest@db.internal:5432/harvest?sslmode=require\"}")
        #expect(c.databaseURL == "postgres://harvest@db.internal:5432/harvest?sslmode=require" && c.databasePath == nil)
        let chosen = c.resolveDatabase(flag: nil, environment: ["HARVEST_DB": "/elsewhere.sqlite"])
        #expect(try StoreLocation(parsing: chosen) == .postgres(url: "postgres://harvest@db.internal:5432/harvest?sslmode=require"))
        #expect(c.resolveRescueFile(database: chosen) == "/etc/harvest/harvest-rescue.jsonl")
        #expect(try c.resolveLocation(flag: "x.sqlite", environment: [:]) == .sqlite(path: "x.sqlite"), "--db wins over database.url")
    }

    @Test func pathAndURLTogetherAPasswordOrAnotherSchemeAreRefusedNamingTheField() {
        #expect {
            _ = try Self.parse("{\"path\": \"h.sqlite\", \"url\": \"postgres://u@h/db\"}")
        } throws: { "\($0)".contains("database.url") && "\($0)".contains("not both") }
        #expect {
            _ = try Self.parse("{\"url\": \"postgresql://u:secret@h/db\"}")
        } throws: { "\($0)".contains("database.url") && "\($0)".contains("PGPASSWORD") && !"\($0)".contains("secret@") }
        #expect {
            _ = try Self.parse("{\"url\": \"mysql://u@h/db\"}")
        } throws: { "\($0)".contains("database.url") && "\($0)".contains("postgres://") }
    }

    @Test func storeLocationTellsTheBackendsApart() throws {
        #expect(try StoreLocation(parsing: "harvest.sqlite") == .sqlite(path: "harvest.sqlite"))
        #expect(try StoreLocation(parsing: "postgresql://u@127.0.0.1/h").isPostgres)
        #expect(try StoreLocation.resolve(flag: nil, environment: [:]) == .sqlite(path: StoreLocation.defaultPath))
        #expect(try StoreLocation.resolve(flag: nil, environment: ["HARVEST_DB": "postgres://u@h/d"]) == .postgres(url: "postgres://u@h/d"))
        #expect(throws: StoreLocationError.sqliteOnly(command: "backup", url: "postgres://u@h/d")) {
            _ = try StoreLocation.postgres(url: "postgres://u@h/d").sqlitePath(for: "backup")
        }
        #expect(StoreLocation.sqlite(path: "/data/h.sqlite").defaultRescueFile() == "/data/harvest-rescue.jsonl")
        #expect(StoreLocation.postgres(url: "postgres://u@h/d").defaultRescueFile(directory: "/srv/harvest") == "/srv/harvest/harvest-rescue.jsonl")
    }
}
