import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct MigrationTests {
    @Test func migratesAnEmptyFile() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        #expect(try Fixtures.scalar(dir.db, "PRAGMA user_version") == Int64(Migrations.latestVersion))
        let counts = try store.counts()
        #expect(Set(counts.keys) == Set(SQLiteStore.tables))
        #expect(counts["jobs"] == 0)
        let db = try SQLiteDatabase(path: dir.db, mode: .readOnly)
        #expect(try db.queryOne("SELECT value FROM meta WHERE key = 'schema_version'") { $0.string(0) } == "\(Migrations.latestVersion)")
        #expect(try db.queryOne("SELECT value FROM meta WHERE key = 'created_by'") { $0.string(0) } == "harvest")
        #expect(try db.pragma("journal_mode") == "wal")
    }

    @Test func reopenIsIdempotent() throws {
        let dir = TempDir()
        do {
            let store = try SQLiteStore(path: dir.db, options: StoreOptions(createdBy: "first"))
            _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(3), sourceName: "a.jsonl")
            store.close()
        }
        let again = try SQLiteStore(path: dir.db, options: StoreOptions(createdBy: "second"))
        #expect(try again.counts()["set_members"] == 3)
        #expect(try Fixtures.scalar(dir.db, "PRAGMA user_version") == Int64(Migrations.latestVersion))
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM meta WHERE key = 'created_by' AND value = 'first'") == 1)
    }

    @Test func newerSchemaIsRefusedAndLeftAlone() throws {
        let dir = TempDir()
        try SQLiteStore(path: dir.db).close()
        do {
            let raw = try SQLiteDatabase(path: dir.db, mode: .readWrite)
            try raw.execute("PRAGMA user_version = 99")
        }
        #expect {
            _ = try SQLiteStore(path: dir.db)
        } throws: { error in
            guard case StoreError.schemaTooNew(_, 99, Migrations.latestVersion) = error else { return false }
            return "\(error)".contains("upgrade harvest")
        }
        #expect(try Fixtures.scalar(dir.db, "PRAGMA user_version") == 99)
    }

    @Test func foreignFilesAreRefused() throws {
        let dir = TempDir()
        do {
            let raw = try SQLiteDatabase(path: dir.db, mode: .readWriteCreate)
            try raw.execute("CREATE TABLE unrelated(x)")
        }
        #expect {
            _ = try SQLiteStore(path: dir.db)
        } throws: { error in
            guard case StoreError.notHarvest = error else { return false }
            return "\(error)".contains("is not a harvest database")
        }
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM sqlite_schema") == 1)
        // Not switched to WAL either: the file header still says rollback journal (bytes 18–19 are 1, WAL is 2).
        let header = try Data(contentsOf: URL(fileURLWithPath: dir.db)).prefix(20)
        #expect(header[18] == 1 && header[19] == 1)
    }

    @Test func notADatabaseGivesAReadableError() throws {
        let dir = TempDir()
        let fd = creat(dir.db, 0o644)
        let junk = Array(repeating: UInt8(ascii: "x"), count: 4096)
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect {
            _ = try SQLiteStore(path: dir.db)
        } throws: { error in
            guard case StoreError.sqlite(let e) = error else { return false }
            return e.codeName == "SQLITE_NOTADB" && "\(error)".contains(dir.db) && "\(error)".contains("not a harvest database")
        }
    }

    @Test func busyDatabaseSaysWhatToDo() throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db, options: StoreOptions(busyTimeoutMs: 50))
        let other = try SQLiteDatabase(path: dir.db, mode: .readWrite)
        try other.execute("BEGIN IMMEDIATE")
        #expect {
            _ = try store.importPrompts(setName: "s", prompts: Fixtures.prompts(1), sourceName: "a")
        } throws: { error in
            guard case StoreError.sqlite(let e) = error else { return false }
            return e.code == 5 && "\(error)".contains("another harvest process") && e.sql == "BEGIN IMMEDIATE"
        }
        try other.execute("ROLLBACK")
        #expect(try store.importPrompts(setName: "s", prompts: Fixtures.prompts(1), sourceName: "a").added == 1)
    }
}
