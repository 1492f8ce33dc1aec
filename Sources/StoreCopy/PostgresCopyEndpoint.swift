import PostgresStore

/// A PostgreSQL harvest database as a copy's source or target (one connection; migrated to the current schema by
/// opening it as a ``PostgresStore`` first). Reads run in one `REPEATABLE READ` snapshot; writes insert many rows per
/// statement with `ON CONFLICT DO NOTHING`.
final class PostgresCopyEndpoint: CopyEndpoint {
    let location: String
    private let c: PostgresConnection
    /// Per teacher: entry key → index (target side).
    private var targetVocabulary: [Int64: [[UInt8]: Int]] = [:]
    /// Parameters per statement (PostgreSQL allows 65,535).
    private static let maxParameters = 30_000

    init(url: String) throws {
        let parsed = try PostgresURL(url)
        location = parsed.value
        try PostgresStore(url: url, connections: 1).close()
        c = try PostgresConnection(url: parsed)
        // Shortest exact text for doubles (the default since PostgreSQL 12; explicit for older servers' sake).
        try c.execute("SET extra_float_digits = 3")
    }

    func beginRead() throws { try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }

    func endRead() { _ = try? c.execute("COMMIT") }

    func readPage(_ table: CopyTable, after: [CopyValue]?, limit: Int) throws -> [[CopyValue]] {
        var sql = "SELECT " + table.columns.map(\.name).joined(separator: ", ")
        if table.logprobs { sql += ", (SELECT teacher_id FROM jobs WHERE jobs.id = \(table.name).job_id)" }
        sql += " FROM \(table.name)"
        if after != nil {
            sql += " WHERE (" + table.key.joined(separator: ", ") + ") > ("
                + table.key.indices.map { "$\($0 + 1)" }.joined(separator: ", ") + ")"
        }
        sql += " ORDER BY " + table.key.joined(separator: ", ") + " LIMIT \(limit)"
        let r = try c.execute(sql, (after ?? []).map(Self.parameter))
        var rows: [[CopyValue]] = []
        rows.reserveCapacity(r.count)
        for i in 0..<r.count {
            var row = try table.columns.enumerated().map { j, col in try Self.value(r, i, j, col.kind) }
            if table.logprobs { row.append(try Self.value(r, i, table.columns.count, .int)) }
            rows.append(row)
        }
        return rows
    }

    func identities(_ table: CopyTable, first: Int64, last: Int64) throws -> [Int64: [UInt8]] {
        guard let identity = table.identity else { return [:] }
        let r = try c.execute("SELECT id, \(identity) FROM \(table.name) WHERE id BETWEEN $1 AND $2", [.int(first), .int(last)])
        var out: [Int64: [UInt8]] = [:]
        for i in 0..<r.count { out[try r.int64(i, 0)] = try r.bytes(i, 1) ?? [] }
        return out
    }

    func count(_ table: String) throws -> Int { try c.execute("SELECT count(*) FROM \(table)").int(0, 0) }

    func maxId(_ table: CopyTable) throws -> Int64? { try c.execute("SELECT max(id) FROM \(table.name)").optionalInt64(0, 0) }

    func meta(_ key: String) throws -> String? {
        let r = try c.execute("SELECT value FROM meta WHERE key = $1", [.text(key)])
        return r.count == 1 ? r.string(0, 0) : nil
    }

    func vocabulary(teacherId: Int64) throws -> [Int: [UInt8]] {
        let r = try c.execute("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1", [.int(teacherId)])
        var out: [Int: [UInt8]] = [:]
        for i in 0..<r.count { out[try r.int(i, 0)] = try r.bytes(i, 1) ?? [] }
        return out
    }

    func write(_ body: () throws -> Void) throws {
        do {
            try c.transaction(body)
        } catch {
            targetVocabulary.removeAll()
            throw error
        }
    }

    func insert(_ table: CopyTable, rows: [[CopyValue]]) throws -> Int {
        let names = table.columns.map(\.name)
        let perStatement = max(1, Self.maxParameters / names.count)
        var start = 0, inserted = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            var params: [PostgresValue] = []
            params.reserveCapacity(chunk.count * names.count)
            var tuples: [String] = []
            for row in chunk {
                let base = params.count
                tuples.append("(" + names.indices.map { "$\(base + $0 + 1)" }.joined(separator: ", ") + ")")
                for i in names.indices { params.append(Self.parameter(row[i])) }
            }
            inserted += try c.execute("INSERT INTO \(table.name)(" + names.joined(separator: ", ") + ") VALUES " + tuples.joined(separator: ", ")
                                      + " ON CONFLICT DO NOTHING", params).changed
            start += chunk.count
        }
        return inserted
    }

    func setMeta(_ key: String, _ value: String) throws {
        try c.execute("INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      [.text(key), .text(value)])
    }

    func vocabularyIndices(teacherId: Int64, keys: [[UInt8]]) throws -> [Int] {
        var known: [[UInt8]: Int]
        if let k = targetVocabulary[teacherId] {
            known = k
        } else {
            known = Dictionary(try vocabulary(teacherId: teacherId).map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        }
        defer { targetVocabulary[teacherId] = known }
        let missing = Array(Set(keys.filter { known[$0] == nil })).sorted { $0.lexicographicallyPrecedes($1) }
        var start = 0
        while start < missing.count {
            let chunk = Array(missing[start..<min(missing.count, start + 1000)])
            let params: [PostgresValue] = [.int(teacherId)] + chunk.map { .bytes($0) }
            let slots = (2...chunk.count + 1).map { "$\($0)" }
            try c.execute("INSERT INTO logprob_vocab(teacher_id, idx, entry) VALUES "
                          + slots.map { "($1, nextval('logprob_vocab_idx'), \($0))" }.joined(separator: ", ")
                          + " ON CONFLICT(teacher_id, entry) DO NOTHING", params)
            let r = try c.execute("SELECT idx, entry FROM logprob_vocab WHERE teacher_id = $1 AND entry IN (\(slots.joined(separator: ", ")))",
                                  params)
            for i in 0..<r.count { known[try r.bytes(i, 1) ?? []] = try r.int(i, 0) }
            start += chunk.count
        }
        return try keys.map { key in
            guard let i = known[key] else {
                throw CopyError.badRow(location: location, table: "logprob_vocab", key: "teacher \(teacherId)", detail: "a key has no index")
            }
            return i
        }
    }

    func finishWrites() throws {
        try c.transaction {
            for table in CopyTable.all where table.serialId {
                try c.execute("""
                    SELECT setval(pg_get_serial_sequence('\(table.name)', 'id'), COALESCE(max(id), 1), max(id) IS NOT NULL)
                    FROM \(table.name)
                    """)
            }
        }
    }

    func close() {}

    private static func parameter(_ v: CopyValue) -> PostgresValue {
        switch v {
        case .null: .null
        case .int(let x): .int(x)
        case .real(let x): .double(x)
        case .text(let x): .text(x)
        case .blob(let x): .bytes(x)
        }
    }

    private static func value(_ r: PostgresResult, _ row: Int, _ column: Int, _ kind: CopyColumn.Kind) throws -> CopyValue {
        if r.isNull(row, column) { return .null }
        switch kind {
        case .int: return .int(try r.int64(row, column))
        case .real: return .real(try r.optionalDouble(row, column) ?? 0)
        case .text: return .text(try r.text(row, column))
        case .blob: return .blob(try r.bytes(row, column) ?? [])
        }
    }
}
