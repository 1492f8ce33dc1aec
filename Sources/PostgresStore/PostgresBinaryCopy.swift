/// Rows in PostgreSQL's binary `COPY` format (`COPY table(columns…) FROM STDIN (FORMAT binary)`, sent with
/// ``PostgresConnection/copyIn(_:_:)``), built field by field. The columns' types are fixed up front and every
/// field must match its column's type exactly (the server reads `integer` as 4 bytes, `bigint` as 8): a
/// mismatch is a programming error and traps. Values travel as their binary form: nothing is formatted, escaped or
/// parsed as text, and a `double precision` or `bytea` arrives bit for bit.
///
/// Layout (big-endian): the 11-byte signature, flags (0), header extension length (0); per row its field count
/// (int16), then per field its byte length (-1 for NULL) and its bytes (as in ``PostgresBinaryArray``'s elements);
/// the trailer -1 (int16).
public struct PostgresBinaryCopy: Sendable {
    /// The columns' types, in the `COPY` statement's column order.
    public let columns: [PostgresBinaryArray.Element]
    private var buffer: [UInt8] = []
    /// The next field's column (0 at the start of a row).
    private var field = 0
    /// Rows started.
    public private(set) var rowCount = 0

    private static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    /// An empty row set for `columns`; `bytes` is a hint of the total size.
    public init(columns: [PostgresBinaryArray.Element], reservingBytes bytes: Int = 0) {
        precondition(!columns.isEmpty && columns.count <= Int(Int16.max), "a COPY needs 1…32767 columns")
        self.columns = columns
        buffer.reserveCapacity(19 + bytes)
        buffer.append(contentsOf: Self.signature)
        PostgresBinaryField.put(&buffer, UInt32(0))
        PostgresBinaryField.put(&buffer, UInt32(0))
    }

    /// Starts a row; the previous one must be complete.
    public mutating func startRow() {
        precondition(field == 0 || field == columns.count, "row \(rowCount) has \(field) of \(columns.count) fields")
        PostgresBinaryField.put(&buffer, UInt16(columns.count))
        field = 0
        rowCount += 1
    }

    /// Appends an integer field (`bigint` or `integer` column; an `integer` out of 32 bits traps); nil is NULL.
    public mutating func append(_ v: Int64?) {
        PostgresBinaryField.append(v, as: next(), to: &buffer)
    }

    /// Appends a `double precision` field; nil is NULL.
    public mutating func append(_ v: Double?) {
        PostgresBinaryField.append(v, as: next(), to: &buffer)
    }

    /// Appends a `text` field (UTF-8); nil is NULL. The server refuses text holding U+0000 (SQLSTATE 22021) and the
    /// whole `COPY` with it.
    public mutating func append(_ v: String?) {
        PostgresBinaryField.append(v, as: next(), to: &buffer)
    }

    /// Appends a `bytea` field; nil is NULL.
    public mutating func append(_ v: [UInt8]?) {
        PostgresBinaryField.append(v, as: next(), to: &buffer)
    }

    /// The complete input of the `COPY` (with its trailer); every row must be complete.
    public consuming func finish() -> [UInt8] {
        precondition(field == 0 || field == columns.count, "row \(rowCount) has \(field) of \(columns.count) fields")
        PostgresBinaryField.put(&buffer, UInt16(0xFFFF))
        return buffer
    }

    /// The next field's column type.
    private mutating func next() -> PostgresBinaryArray.Element {
        precondition(rowCount > 0 && field < columns.count, "field \(field + 1) appended to a row of \(columns.count) columns")
        defer { field += 1 }
        return columns[field]
    }
}
