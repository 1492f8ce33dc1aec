/// One column value of a copied row, as both backends hold it (SQLite's storage classes; PostgreSQL's `bigint`/
/// `integer`, `double precision`, `text`, `bytea`).
public enum CopyValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// An integer.
    case int(Int64)
    /// A double, bit for bit.
    case real(Double)
    /// A text.
    case text(String)
    /// A byte string.
    case blob([UInt8])

    /// The integer, or nil.
    var intValue: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    /// The bytes, or nil.
    var blobValue: [UInt8]? {
        if case .blob(let v) = self { return v }
        return nil
    }

    /// Appends an unambiguous encoding (a type tag, then a fixed width or length-prefixed payload) for digests.
    func appendCanonical(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(0)
        case .int(let v):
            out.append(1)
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        case .real(let v):
            out.append(2)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .text(let v):
            out.append(3)
            Self.appendLength(v.utf8.count, &out)
            out.append(contentsOf: v.utf8)
        case .blob(let v):
            out.append(4)
            Self.appendLength(v.count, &out)
            out.append(contentsOf: v)
        }
    }

    /// Appends an `HLP2` blob's relabeled form (``LogprobCodec/appendRelabeledVersion2(_:to:label:)``) under its own
    /// type tag, so it never equals a stored blob's encoding.
    static func appendRelabeledLogprobs(_ relabeled: [UInt8], to out: inout [UInt8]) {
        out.append(5)
        appendLength(relabeled.count, &out)
        out.append(contentsOf: relabeled)
    }

    /// Payload bytes (for MB/s figures).
    var byteCount: Int {
        switch self {
        case .null: 0
        case .int, .real: 8
        case .text(let v): v.utf8.count
        case .blob(let v): v.count
        }
    }

    private static func appendLength(_ n: Int, _ out: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(n).littleEndian) { out.append(contentsOf: $0) }
    }
}
