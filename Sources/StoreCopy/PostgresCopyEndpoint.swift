import PostgresStore

/// A PostgreSQL harvest database as a copy's source or target (one connection; migrated to the current schema by
/// opening it as a ``PostgresStore`` first). Reads run in one `REPEATABLE READ` snapshot. Writes go as binary
/// `COPY … FROM STDIN` (``PostgresBinaryCopy``: no value formatted or parsed as text) under a savepoint; a batch
/// that meets rows already there (a resumed copy) is rolled back to the savepoint and inserted again with
/// `ON CONFLICT DO NOTHING`.
final class PostgresCopyEndpoint: CopyEndpoint {
    let location: String
    private let c: PostgresConnection
    /// Per table: the binary `COPY` type of each column (nil: a column type `COPY` is not used for here).
    private var copyTypes: [String: [PostgresBinaryArray.Element]?] = [:]
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

    func vocabularyTeachers() throws -> [Int64] {
        let r = try c.execute("SELECT DISTINCT teacher_id FROM logprob_vocab ORDER BY teacher_id")
        return try (0..<r.count).map { try r.int64($0, 0) }
    }

    var denseVocabulary: Bool { false }

    func write(_ body: () throws -> Void) throws {
        try c.transaction(body)
    }

    func insert(_ table: CopyTable, rows: [[CopyValue]]) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        guard let types = try copyTypes(table) else { return try insertValues(table, rows: rows) }
        let size = rows.reduce(0) { $0 + 2 + $1.reduce(0) { $0 + 4 + $1.byteCount } }
        var data = PostgresBinaryCopy(columns: types, reservingBytes: size)
        for row in rows {
            data.startRow()
            for (i, type) in types.enumerated() { try Self.append(row[i], type, to: &data, table: table, row: row) }
        }
        try c.execute("SAVEPOINT copy_batch")
        let sql = "COPY \(table.name)(" + table.columns.map(\.name).joined(separator: ", ") + ") FROM STDIN (FORMAT binary)"
        if let n = try copyUnlessPresent(sql, data.finish()) {
            try c.execute("RELEASE SAVEPOINT copy_batch")
            return n
        }
        // Some of the rows are there already (a resumed copy): this batch again, skipping them.
        try c.execute("ROLLBACK TO SAVEPOINT copy_batch")
        try c.execute("RELEASE SAVEPOINT copy_batch")
        return try insertValues(table, rows: rows)
    }

    /// Runs a `COPY`; nil when it met a row whose key is there already (unique violation).
    private func copyUnlessPresent(_ sql: String, _ data: [UInt8]) throws -> Int? {
        do {
            return try c.copyIn(sql, data)
        } catch {
            if error.sqlstate == "23505" { return nil }
            throw error
        }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try c.execute("INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      [.text(key), .text(value)])
    }

    func addVocabulary(teacherId: Int64, entries: [(index: Int, key: [UInt8])]) throws {
        guard let largest = entries.map(\.index).max() else { return }
        var data = PostgresBinaryCopy(columns: [.int8, .int8, .bytea], reservingBytes: entries.count * 40)
        for e in entries {
            data.startRow()
            data.append(teacherId)
            data.append(Int64(e.index))
            data.append(e.key)
        }
        try c.copyIn("COPY logprob_vocab(teacher_id, idx, entry) FROM STDIN (FORMAT binary)", data.finish())
        // Writers take new indices from the sequence: move it past every copied one.
        try c.execute("""
            SELECT setval('logprob_vocab_idx', $1) FROM logprob_vocab_idx
            WHERE (is_called AND last_value < $1) OR (NOT is_called AND last_value <= $1)
            """, [.int(Int64(largest))])
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

    /// Inserts with `INSERT … VALUES … ON CONFLICT DO NOTHING`, many rows per statement.
    private func insertValues(_ table: CopyTable, rows: [[CopyValue]]) throws -> Int {
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

    /// The `COPY` types of `table`'s columns, read from the catalog once; nil when a column has a type `COPY` is not
    /// used for here (its rows then go as `INSERT`s).
    private func copyTypes(_ table: CopyTable) throws -> [PostgresBinaryArray.Element]? {
        if let known = copyTypes[table.name] { return known }
        let r = try c.execute("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1
            """, [.text(table.name)])
        var byName: [String: String] = [:]
        for i in 0..<r.count { byName[try r.text(i, 0)] = try r.text(i, 1) }
        var types: [PostgresBinaryArray.Element]? = []
        for column in table.columns {
            switch (byName[column.name], column.kind) {
            case ("bigint", .int): types?.append(.int8)
            case ("integer", .int): types?.append(.int4)
            case ("double precision", .real): types?.append(.float8)
            case ("text", .text): types?.append(.text)
            case ("bytea", .blob): types?.append(.bytea)
            default: types = nil
            }
        }
        copyTypes[table.name] = .some(types)
        return types
    }

    /// Appends one field of a `COPY` row.
    private static func append(_ v: CopyValue, _ type: PostgresBinaryArray.Element, to data: inout PostgresBinaryCopy,
                               table: CopyTable, row: [CopyValue]) throws {
        switch (v, type) {
        case (.null, .int8), (.null, .int4): data.append(nil as Int64?)
        case (.null, .float8): data.append(nil as Double?)
        case (.null, .text): data.append(nil as String?)
        case (.null, .bytea): data.append(nil as [UInt8]?)
        case (.int(let x), .int8): data.append(x)
        case (.int(let x), .int4):
            guard Int64(Int32.min)...Int64(Int32.max) ~= x else {
                throw CopyError.badRow(location: "the source", table: table.name, key: "\(row[0])",
                                       detail: "\(x) does not fit the target's integer column")
            }
            data.append(x)
        case (.real(let x), .float8): data.append(x)
        case (.text(let x), .text): data.append(x)
        case (.blob(let x), .bytea): data.append(x)
        default:
            throw CopyError.badRow(location: "the source", table: table.name, key: "\(row[0])", detail: "a value of another type than its column's")
        }
    }

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
