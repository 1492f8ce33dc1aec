/// A one-dimensional PostgreSQL array in the binary wire format (`array_recv`), built element by element, sent as one
/// parameter (``PostgresValue/binaryArray(_:)``). A batch of rows travels as one array per column and is unpacked by
/// `unnest($1::bigint[], $2::text[], …)`: one short statement whatever the batch size, nothing escaped or parsed
/// as text on either side (a `bytea` goes as its bytes, a `double precision` as its 8 IEEE bytes, so values are exact).
///
/// Layout (big-endian): dimensions (1), has-NULLs flag, element type OID, length, lower bound (1), then per element
/// its byte length (-1 for NULL) and its bytes.
public struct PostgresBinaryArray: Sendable, Equatable {
    /// The element type.
    public enum Element: Sendable, Equatable {
        /// `bigint` elements.
        case int8
        /// `integer` elements.
        case int4
        /// `double precision` elements.
        case float8
        /// `text` elements (UTF-8).
        case text
        /// `bytea` elements.
        case bytea

        /// The element type's OID.
        var oid: UInt32 {
            switch self {
            case .int8: 20
            case .int4: 23
            case .float8: 701
            case .text: 25
            case .bytea: 17
            }
        }

        /// The array type's OID (`bigint[]`, …).
        var arrayOid: UInt32 {
            switch self {
            case .int8: 1016
            case .int4: 1007
            case .float8: 1022
            case .text: 1009
            case .bytea: 1001
            }
        }
    }

    /// The element type.
    public let element: Element
    /// The elements' bytes (after the header, which ``wire`` prepends).
    private var body: [UInt8] = []
    /// Elements appended.
    public private(set) var count = 0
    private var hasNulls = false

    /// An empty array of `element`s; `bytes` is a hint of the elements' total size.
    public init(_ element: Element, reservingBytes bytes: Int = 0) {
        self.element = element
        body.reserveCapacity(bytes)
    }

    /// Appends a NULL.
    public mutating func appendNull() {
        PostgresBinaryField.put(&body, UInt32(bitPattern: -1))
        appended(isNull: true)
    }

    /// Appends a `bigint` (or `integer`) element; nil is NULL. A value outside 32 bits traps in an `integer` array
    /// (a programming error: use `bigint` and let the server narrow it, refusing what is out of range).
    public mutating func append(_ v: Int64?) {
        precondition(element == .int8 || element == .int4, "an integer appended to a \(element) array")
        PostgresBinaryField.append(v, as: element, to: &body)
        appended(isNull: v == nil)
    }

    /// Appends a `double precision` element; nil is NULL.
    public mutating func append(_ v: Double?) {
        precondition(element == .float8, "a double appended to a \(element) array")
        PostgresBinaryField.append(v, as: element, to: &body)
        appended(isNull: v == nil)
    }

    /// Appends a `text` element (its UTF-8 bytes); nil is NULL. The server refuses text holding U+0000 (SQLSTATE 22021).
    public mutating func append(_ v: String?) {
        precondition(element == .text, "a string appended to a \(element) array")
        PostgresBinaryField.append(v, as: element, to: &body)
        appended(isNull: v == nil)
    }

    /// Appends a `bytea` element; nil is NULL.
    public mutating func append(_ v: [UInt8]?) {
        precondition(element == .bytea, "bytes appended to a \(element) array")
        PostgresBinaryField.append(v, as: element, to: &body)
        appended(isNull: v == nil)
    }

    private mutating func appended(isNull: Bool) {
        if isNull { hasNulls = true }
        count += 1
    }

    /// The array's wire bytes (binary format).
    var wire: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20 + body.count)
        PostgresBinaryField.put(&out, UInt32(1))
        PostgresBinaryField.put(&out, UInt32(hasNulls ? 1 : 0))
        PostgresBinaryField.put(&out, element.oid)
        PostgresBinaryField.put(&out, UInt32(count))
        PostgresBinaryField.put(&out, UInt32(1))
        out.append(contentsOf: body)
        return out
    }
}
