import Foundation
import HarvestCore
import PostgresStore
import Testing

/// Binary `COPY … FROM STDIN` (``PostgresConnection/copyIn(_:_:)``, ``PostgresBinaryCopy``) against a real server:
/// every column type the answers use, NULLs, edge values, large blobs; errors name their SQLSTATE and leave the
/// connection usable.
@Suite struct PostgresCopyTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func everyColumnTypeNullsAndLargeBlobsArriveExactly() throws {
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let c = try PostgresConnection(url: PostgresURL(database.url))
        try c.execute("CREATE TABLE t(n integer PRIMARY KEY, a bigint, b integer, c double precision, d text, e bytea)")
        let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let doubles: [Double] = [-0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.05]
        var rows = PostgresBinaryCopy(columns: [.int4, .int8, .int4, .float8, .text, .bytea])
        for (i, d) in doubles.enumerated() {
            rows.startRow()
            rows.append(Int64(i))
            rows.append(i % 2 == 0 ? Int64.max : Int64.min)
            rows.append(i % 2 == 0 ? Int64(Int32.max) : Int64(Int32.min))
            rows.append(d)
            rows.append("héllo 🌍 \(i) \\ \t \"quoted\"")
            rows.append([0, 1, 0x5C, 0xFF, UInt8(i)])
        }
        rows.startRow()  // all NULLs but the key
        rows.append(Int64(100))
        rows.append(nil as Int64?)
        rows.append(nil as Int64?)
        rows.append(nil as Double?)
        rows.append(nil as String?)
        rows.append(nil as [UInt8]?)
        rows.startRow()  // empty text and bytea are not NULL; a large blob
        rows.append(Int64(101))
        rows.append(Int64(0))
        rows.append(Int64(0))
        rows.append(0.0)
        rows.append("")
        rows.append(large)
        #expect(rows.rowCount == doubles.count + 2)
        let copied = try c.copyIn("COPY t(n, a, b, c, d, e) FROM STDIN (FORMAT binary)", rows.finish())
        #expect(copied == doubles.count + 2)

        let r = try c.execute("""
            SELECT n, a, b, encode(float8send(c), 'hex'), d, e, a IS NULL, b IS NULL, c IS NULL, d IS NULL, e IS NULL FROM t ORDER BY n
            """)
        #expect(r.count == doubles.count + 2)
        for (i, d) in doubles.enumerated() {
            #expect(try r.int64(i, 0) == Int64(i))
            #expect(try r.int64(i, 1) == (i % 2 == 0 ? Int64.max : Int64.min))
            #expect(try r.int64(i, 2) == (i % 2 == 0 ? Int64(Int32.max) : Int64(Int32.min)))
            #expect(try r.text(i, 3) == String(d.bitPattern, radix: 16).leftPadded(to: 16), "double \(d) bit for bit")
            #expect(try r.text(i, 4) == "héllo 🌍 \(i) \\ \t \"quoted\"")
            #expect(try r.bytes(i, 5) == [0, 1, 0x5C, 0xFF, UInt8(i)])
        }
        let nulls = doubles.count
        for column in 6...10 { #expect(r.string(nulls, column) == "t") }
        let last = doubles.count + 1
        #expect(try r.text(last, 4) == "")
        #expect(r.string(last, 10) == "f")
        #expect(try r.bytes(last, 5) == large)
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func aRefusedCopyStoresNothingAndTheConnectionGoesOn() throws {
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let c = try PostgresConnection(url: PostgresURL(database.url))
        try c.execute("CREATE TABLE t(n bigint PRIMARY KEY CHECK(n < 10), d text)")
        func rows(_ values: [(Int64, String)]) -> [UInt8] {
            var rows = PostgresBinaryCopy(columns: [.int8, .text])
            for (n, d) in values {
                rows.startRow()
                rows.append(n)
                rows.append(d)
            }
            return rows.finish()
        }
        let copy = "COPY t(n, d) FROM STDIN (FORMAT binary)"
        // The server refuses U+0000 in text (22021), a CHECK (23514), a duplicate key (23505): the whole COPY each time.
        for (bad, state) in [((Int64(1), "nul \u{0}"), "22021"), ((Int64(11), "big"), "23514"), ((Int64(0), "again"), "23505")] {
            let input = rows([(0, "zero"), (2, "two")] + (state == "23505" ? [bad] : [bad, (3, "three")]))
            let refusal = Result { try c.copyIn(copy, input) }
            guard case .failure(let error) = refusal, case .query(let sql, let sqlstate, _, _) = error as? PostgresError else {
                Issue.record("a COPY with a bad row was not refused by the server: \(refusal)")
                continue
            }
            #expect(sqlstate == state)
            #expect(sql.hasPrefix("COPY t"))
            #expect(try c.execute("SELECT count(*) FROM t").int(0, 0) == 0, "nothing of a refused COPY is stored")
        }
        // In a transaction: the failure aborts it; the connection still works after the rollback.
        #expect(throws: PostgresError.self) {
            try c.transaction { try c.copyIn(copy, rows([(5, "five"), (12, "twelve")])) }
        }
        #expect(try c.copyIn(copy, rows([(1, "one"), (2, "two")])) == 2)
        #expect(throws: PostgresError.self) { try c.copyIn("SELECT 1", []) }
        #expect(try c.execute("SELECT string_agg(d, ',' ORDER BY n) FROM t").text(0, 0) == "one,two")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
