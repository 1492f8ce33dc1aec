import Foundation
import SQLiteStore

/// A SQLite harvest file as a copy's source or target (one connection; the file is migrated to the current
/// schema by opening it as a ``SQLiteStore`` first).
final class SQLiteCopyEndpoint: CopyEndpoint {
    let location: String
    private let db: SQLiteDatabase

    /// Opens `path`. A source must exist; a target is created (with harvest's schema) when missing.
    init(path: String, create: Bool) throws {
        location = path
        if !create {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CopyError.badSource(location: path, reason: "the file does not exist — check --from")
            }
        }
        try SQLiteStore(path: path).close()
        db = try SQLiteDatabase(path: path, mode: .readWrite)
        // A target commits each batch without an fsync (WAL, synchronous=NORMAL: a crash of the process loses
        // nothing, a power cut at most the last batches, which a re-run copies again); ``finishWrites()`` makes the
        // last commit durable.
        if create { try db.execute("PRAGMA synchronous = NORMAL") }
    }

    func beginRead() throws {
        try db.execute("BEGIN DEFERRED")
        // The snapshot starts with the first read.
        _ = try db.queryOne("SELECT count(*) FROM meta") { $0.int(0) }
    }

    func endRead() { try? db.execute("COMMIT") }

    func readPage(_ table: CopyTable, after: [CopyValue]?, limit: Int) throws -> [[CopyValue]] {
        var sql = "SELECT " + table.columns.map(\.name).joined(separator: ", ")
        if table.logprobs { sql += ", (SELECT teacher_id FROM jobs WHERE jobs.id = \(table.name).job_id)" }
        sql += " FROM \(table.name)"
        let keyList = "(" + table.key.joined(separator: ", ") + ")"
        if after != nil {
            sql += " WHERE \(keyList) > (" + table.key.indices.map { "?\($0 + 1)" }.joined(separator: ", ") + ")"
        }
        sql += " ORDER BY " + table.key.joined(separator: ", ") + " LIMIT \(limit)"
        return try db.with(sql) { s in
            if let after { for (i, v) in after.enumerated() { try bind(v, s, Int32(i + 1)) } }
            var rows: [[CopyValue]] = []
            while try s.step() {
                var row = table.columns.enumerated().map { i, c in value(s, Int32(i), c.kind) }
                if table.logprobs { row.append(value(s, Int32(table.columns.count), .int)) }
                rows.append(row)
            }
            return rows
        }
    }

    func identities(_ table: CopyTable, first: Int64, last: Int64) throws -> [Int64: [UInt8]] {
        guard let identity = table.identity else { return [:] }
        return try db.with("SELECT id, \(identity) FROM \(table.name) WHERE id BETWEEN ?1 AND ?2") { s in
            try s.bind(first, at: 1); try s.bind(last, at: 2)
            var out: [Int64: [UInt8]] = [:]
            while try s.step() { out[s.int64(0)] = s.blob(1) }
            return out
        }
    }

    func count(_ table: String) throws -> Int {
        try db.queryOne("SELECT count(*) FROM \(table)") { $0.int(0) } ?? 0
    }

    func maxId(_ table: CopyTable) throws -> Int64? {
        try db.queryOne("SELECT max(id) FROM \(table.name)") { $0.optionalInt64(0) } ?? nil
    }

    func meta(_ key: String) throws -> String? {
        try db.queryOne("SELECT value FROM meta WHERE key = ?1", bind: { try $0.bind(key, at: 1) }) { $0.string(0) }
    }

    func vocabulary(teacherId: Int64) throws -> [Int: [UInt8]] {
        try db.with("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = ?1") { s in
            try s.bind(teacherId, at: 1)
            var out: [Int: [UInt8]] = [:]
            while try s.step() { out[s.int(0)] = s.blob(1) }
            return out
        }
    }

    func vocabularyTeachers() throws -> [Int64] {
        try db.with("SELECT DISTINCT teacher_id FROM logprob_vocab ORDER BY teacher_id") { s in
            var out: [Int64] = []
            while try s.step() { out.append(s.int64(0)) }
            return out
        }
    }

    var denseVocabulary: Bool { true }

    func write(_ body: () throws -> Void) throws {
        try db.transaction(.immediate, body)
    }

    func insert(_ table: CopyTable, rows: [[CopyValue]]) throws -> Int {
        let names = table.columns.map(\.name)
        let sql = "INSERT OR IGNORE INTO \(table.name)(" + names.joined(separator: ", ") + ") VALUES("
            + names.indices.map { "?\($0 + 1)" }.joined(separator: ", ") + ")"
        return try db.with(sql) { s in
            var inserted = 0
            for row in rows {
                for i in names.indices { try bind(row[i], s, Int32(i + 1)) }
                try s.run()
                inserted += db.changes
            }
            return inserted
        }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try db.with("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value") { s in
            try s.bind(key, at: 1); try s.bind(value, at: 2); try s.run()
        }
    }

    func addVocabulary(teacherId: Int64, entries: [(index: Int, key: [UInt8])]) throws {
        try db.with("INSERT INTO logprob_vocab(teacher_id, idx, entry) VALUES(?1, ?2, ?3)") { s in
            for e in entries {
                try s.bind(teacherId, at: 1); try s.bind(e.index, at: 2); try s.bind(blob: e.key, at: 3); try s.run()
            }
        }
    }

    func finishWrites() throws {
        // The next commit (the copy marked done) syncs the WAL, and with it every batch before.
        try db.execute("PRAGMA synchronous = FULL")
    }

    func close() {}

    private func value(_ s: SQLiteStatement, _ i: Int32, _ kind: CopyColumn.Kind) -> CopyValue {
        if s.isNull(i) { return .null }
        switch kind {
        case .int: return .int(s.int64(i))
        case .real: return .real(s.double(i))
        case .text: return .text(s.string(i))
        case .blob: return .blob(s.blob(i))
        }
    }

    private func bind(_ v: CopyValue, _ s: SQLiteStatement, _ i: Int32) throws {
        switch v {
        case .null: try s.bindNull(at: i)
        case .int(let x): try s.bind(x, at: i)
        case .real(let x): try s.bind(x, at: i)
        case .text(let x): try s.bind(x, at: i)
        case .blob(let x): try s.bind(blob: x, at: i)
        }
    }
}
