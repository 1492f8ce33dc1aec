import Foundation
import SQLiteStore
import Testing
@testable import StoreCopy

/// The copier's table list covers SQLite's whole schema: a table or column added by a migration fails here until it
/// is copied (one entry in `CopyTable.all`) or named in `CopyTable.notCopied`.
@Suite struct CopyTableTests {
    @Test func everySQLiteTableAndColumnIsCopied() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("copy-tables-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h.sqlite").path
        try SQLiteStore(path: path).close()
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        let tables = try db.with("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") { s in
            var names: [String] = []
            while try s.step() { names.append(s.string(0)) }
            return names
        }
        let listed = Dictionary(uniqueKeysWithValues: CopyTable.all.map { ($0.name, $0) })
        #expect(Set(tables) == Set(listed.keys).union(CopyTable.notCopied), "tables: \(tables.sorted())")
        for table in tables where !CopyTable.notCopied.contains(table) {
            let columns = try db.with("SELECT name, pk FROM pragma_table_info('\(table)') ORDER BY pk") { s in
                var names: [(String, Int)] = []
                while try s.step() { names.append((s.string(0), s.int(1))) }
                return names
            }
            let spec = try #require(listed[table])
            #expect(Set(columns.map(\.0)) == Set(spec.columns.map(\.name)), "\(table): \(columns.map(\.0))")
            let key = columns.filter { $0.1 > 0 }.sorted { $0.1 < $1.1 }.map(\.0)
            #expect(key == spec.key, "\(table): primary key \(key)")
        }
    }

    @Test func leasedJobsArriveAsPending() throws {
        let jobs = try #require(CopyTable.all.first { $0.name == "jobs" })
        var row = [CopyValue](repeating: .null, count: jobs.columns.count)
        row[jobs.index(of: "state")!] = .text("leased")
        row[jobs.index(of: "lease_owner")!] = .text("host:1")
        row[jobs.index(of: "lease_expires")!] = .real(5)
        let out = StoreCopier.withoutLease(row, jobs)
        #expect(out[jobs.index(of: "state")!] == .text("pending"))
        #expect(out[jobs.index(of: "lease_owner")!] == .null && out[jobs.index(of: "lease_expires")!] == .null)
        row[jobs.index(of: "state")!] = .text("done")
        #expect(StoreCopier.withoutLease(row, jobs) == row)
    }
}
