import CPostgres
import HarvestCore

/// The rows of one statement's result (text format), read by row and column index. Owns the libpq result and
/// frees it when released. Used on the connection's thread only; copy values out before handing them on.
public final class PostgresResult {
    private let result: OpaquePointer
    /// The SQL that produced it (for errors).
    let sql: String

    init(_ result: OpaquePointer, sql: String) {
        self.result = result
        self.sql = sql
    }

    deinit { PQclear(result) }

    /// Number of rows.
    public var count: Int { Int(PQntuples(result)) }

    /// Rows changed by an INSERT/UPDATE/DELETE (0 for other statements).
    public var changed: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    /// Whether the value is NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The value as text, nil when NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column) else { return nil }
        return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    /// The value as text; NULL throws.
    public func text(_ row: Int, _ column: Int) throws(PostgresError) -> String {
        guard let s = string(row, column) else { throw .unexpected(sql: sql, detail: "column \(column) of row \(row) is NULL") }
        return s
    }

    /// The value as an integer, nil when NULL; a value that is not an integer throws.
    public func optionalInt64(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        guard let s = string(row, column) else { return nil }
        guard let v = Int64(s) else { throw .unexpected(sql: sql, detail: "column \(column) is '\(s)', not an integer") }
        return v
    }

    /// The value as an integer; NULL throws.
    public func int64(_ row: Int, _ column: Int) throws(PostgresError) -> Int64 {
        guard let v = try optionalInt64(row, column) else { throw .unexpected(sql: sql, detail: "column \(column) of row \(row) is NULL") }
        return v
    }

    /// The value as an `Int`; NULL throws.
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int { Int(try int64(row, column)) }

    /// The value as a double, nil when NULL.
    public func optionalDouble(_ row: Int, _ column: Int) throws(PostgresError) -> Double? {
        guard let s = string(row, column) else { return nil }
        guard let v = Double(s) else { throw .unexpected(sql: sql, detail: "column \(column) is '\(s)', not a number") }
        return v
    }

    /// A `bytea` value (PostgreSQL's hex text form `\x…`), nil when NULL.
    public func bytes(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8]? {
        guard !isNull(row, column) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let raw = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return try raw.withMemoryRebound(to: UInt8.self, capacity: length) { (p) throws(PostgresError) -> [UInt8] in
            let text = UnsafeBufferPointer(start: p, count: length)
            guard length >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), length % 2 == 0 else {
                throw .unexpected(sql: sql, detail: "column \(column) is not a bytea in hex form")
            }
            // A table lookup per digit, without a branch: a bad digit sets bit 7 of `bad`, checked once at the end (the
            // megabytes of logprob blobs an export page holds went through a branch per digit: 17 % of a `kd` export).
            var bad: UInt8 = 0
            let out = Self.hexValues.withUnsafeBufferPointer { table in
                [UInt8](unsafeUninitializedCapacity: (length - 2) / 2) { buffer, count in
                    let n = (length - 2) / 2
                    for k in 0..<n {
                        let hi = table[Int(text[2 &+ 2 &* k])], lo = table[Int(text[3 &+ 2 &* k])]
                        bad |= hi | lo
                        buffer[k] = hi &<< 4 | (lo & 0x0F)
                    }
                    count = n
                }
            }
            guard bad & 0x80 == 0 else { throw .unexpected(sql: sql, detail: "column \(column) holds a bad hex digit") }
            return out
        }
    }

    @inline(__always)
    /// The value of each hex digit by its byte; 0x80 for a byte that is not one.
    private static let hexValues: [UInt8] = (0...255).map { (c: Int) -> UInt8 in
        switch c {
        case 0x30...0x39: UInt8(c - 0x30)
        case 0x61...0x66: UInt8(c - 0x61 + 10)
        case 0x41...0x46: UInt8(c - 0x41 + 10)
        default: 0x80
        }
    }
}
