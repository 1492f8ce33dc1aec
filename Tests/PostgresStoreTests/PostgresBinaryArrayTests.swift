import Foundation
import PostgresStore
import Testing

/// Batches travel as binary arrays unpacked by `unnest`: every element type arrives exactly, NULLs included.
@Suite struct PostgresBinaryArrayTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func everyElementTypeRoundTripsExactly() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let c = try PostgresConnection(url: PostgresURL(db.url))
        var ids = PostgresBinaryArray(.int8), small = PostgresBinaryArray(.int4), doubles = PostgresBinaryArray(.float8)
        var texts = PostgresBinaryArray(.text), blobs = PostgresBinaryArray(.bytea)
        let none64: Int64? = nil, noDouble: Double? = nil, noText: String? = nil, noBytes: [UInt8]? = nil
        ids.append(Int64.min); ids.append(none64); ids.append(Int64(42))
        small.append(Int64(-7)); small.append(Int64(Int32.max)); small.append(none64)
        doubles.append(Double(0.1)); doubles.append(Double(-1e300)); doubles.append(noDouble)
        texts.append("héllo, \"quoted\" \\ {braces}"); texts.append(noText); texts.append("")
        blobs.append([UInt8]([0, 1, 255, 0])); blobs.append([UInt8]()); blobs.append(noBytes)
        #expect(ids.count == 3 && blobs.count == 3)
        let r = try c.execute("""
            SELECT a, b, c::text, d, encode(e, 'hex'), e IS NULL
            FROM unnest($1::bigint[], $2::int[], $3::float8[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(a, b, c, d, e, n)
            ORDER BY n
            """, [.binaryArray(ids), .binaryArray(small), .binaryArray(doubles), .binaryArray(texts), .binaryArray(blobs)])
        #expect(r.count == 3)
        #expect(try r.optionalInt64(0, 0) == Int64.min)
        #expect(try r.optionalInt64(1, 0) == nil)
        #expect(try r.optionalInt64(2, 0) == 42)
        #expect(try r.optionalInt64(0, 1) == -7)
        #expect(try r.optionalInt64(1, 1) == Int64(Int32.max))
        #expect(try r.optionalInt64(2, 1) == nil)
        #expect(try r.optionalDouble(0, 2) == 0.1, "a double goes as its IEEE bytes: exact")
        #expect(try r.optionalDouble(1, 2) == -1e300)
        #expect(try r.optionalDouble(2, 2) == nil)
        #expect(r.string(0, 3) == "héllo, \"quoted\" \\ {braces}")
        #expect(r.string(1, 3) == nil)
        #expect(r.string(2, 3) == "")
        #expect(r.string(0, 4) == "0001ff00")
        #expect(r.string(1, 4) == "", "an empty bytea is not NULL")
        #expect(r.string(2, 5) == "t")
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func textWithNULIsRefusedByTheServer() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let c = try PostgresConnection(url: PostgresURL(db.url))
        var texts = PostgresBinaryArray(.text)
        texts.append(String("fine")); texts.append(String("nul \u{0} inside"))
        let error = #expect(throws: PostgresError.self) { try c.execute("SELECT unnest($1::text[])", [.binaryArray(texts)]) }
        guard case .query(_, let state, _, _)? = error else {
            Issue.record("wrong error \(String(describing: error))")
            return
        }
        #expect(state == "22021")
    }

    /// `bytea` results arrive as hex text and are decoded by a table: every byte value, both letter cases, an empty
    /// value, and a digit that is not hex refused.
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func byteaHexDecodesEveryByteAndRefusesBadDigits() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let c = try PostgresConnection(url: PostgresURL(db.url))
        let all = [UInt8](0...255) + [UInt8](255...255) + [0, 0x10, 0xab]
        let r = try c.execute("SELECT $1::bytea, ''::bytea, '\\xABcdEf'::text, '\\x0g'::text, '\\xag'::text",
                              [.bytes(all)])
        #expect(try r.bytes(0, 0) == all)
        #expect(try r.bytes(0, 1) == [])
        #expect(try r.bytes(0, 2) == [0xab, 0xcd, 0xef], "upper and lower case digits")
        #expect(throws: PostgresError.self) { try r.bytes(0, 3) }
        #expect(throws: PostgresError.self) { try r.bytes(0, 4) }
    }
}
