/// A statement parameter. Numbers and text are sent in PostgreSQL's text format with their type, byte strings in
/// binary format as `bytea`; arrays of integers as `bigint[]` literals;
/// ``PostgresBinaryArray``s in binary format.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// A `bigint`.
    case int(Int64)
    /// A `double precision`.
    case double(Double)
    /// A `text`.
    case text(String)
    /// A `bytea` (sent in binary format, so any bytes go through unchanged).
    case bytes([UInt8])
    /// A `bigint[]`.
    case intArray([Int64])
    /// An array of any element type in binary format (a batch's column, unpacked by `unnest`).
    case binaryArray(PostgresBinaryArray)

    /// An optional integer (nil is NULL).
    public static func nullableInt(_ v: Int?) -> PostgresValue { v.map { .int(Int64($0)) } ?? .null }
    /// An optional 64-bit integer (nil is NULL).
    public static func nullableInt64(_ v: Int64?) -> PostgresValue { v.map { .int($0) } ?? .null }
    /// An optional double (nil is NULL).
    public static func nullableDouble(_ v: Double?) -> PostgresValue { v.map { .double($0) } ?? .null }
    /// An optional text (nil is NULL).
    public static func nullableText(_ v: String?) -> PostgresValue { v.map { .text($0) } ?? .null }
    /// Optional bytes (nil is NULL).
    public static func nullableBytes(_ v: [UInt8]?) -> PostgresValue { v.map { .bytes($0) } ?? .null }

    /// The type OID libpq is given (0 lets the server infer it, for NULL).
    var oid: UInt32 {
        switch self {
        case .null: 0
        case .int: 20
        case .double: 701
        case .text: 25
        case .bytes: 17
        case .intArray: 1016
        case .binaryArray(let a): a.element.arrayOid
        }
    }

    /// The wire bytes (text format NUL-terminated; `bytea` raw), nil for NULL.
    var wire: [UInt8]? {
        switch self {
        case .null: return nil
        case .int(let v): return Array("\(v)".utf8) + [0]
        case .double(let v):
            if v.isNaN { return Array("NaN".utf8) + [0] }
            if v.isInfinite { return Array((v < 0 ? "-Infinity" : "Infinity").utf8) + [0] }
            return Array("\(v)".utf8) + [0]
        case .text(let v): return Array(v.utf8) + [0]
        case .bytes(let v): return v
        case .intArray(let v): return Array(("{" + v.map(String.init).joined(separator: ",") + "}").utf8) + [0]
        case .binaryArray(let a): return a.wire
        }
    }

    /// 1 (binary) for `bytea` and binary arrays, else 0 (text).
    var format: Int32 {
        switch self {
        case .bytes, .binaryArray: 1
        default: 0
        }
    }
}
