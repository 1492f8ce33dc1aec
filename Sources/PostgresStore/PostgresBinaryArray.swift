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
        Self.put(&body, UInt32(bitPattern: -1))
        hasNulls = true
        count += 1
    }

    /// Appends a `bigint` (or `integer`) element; nil is NULL. A value outside 32 bits traps in an `integer` array
    /// (a programming error: use `bigint` and let the server narrow it, refusing what is out of range).
    public mutating func append(_ v: Int64?) {
        guard let v else { return appendNull() }
        switch element {
        case .int8:
            Self.put(&body, UInt32(8))
            Self.put(&body, UInt64(bitPattern: v))
        case .int4:
            precondition(Int64(Int32.min)...Int64(Int32.max) ~= v, "\(v) does not fit an integer element")
            Self.put(&body, UInt32(4))
            Self.put(&body, UInt32(bitPattern: Int32(v)))
        default:
            preconditionFailure("an integer appended to a \(element) array")
        }
        count += 1
    }

    /// Appends a `double precision` element; nil is NULL.
    public mutating func append(_ v: Double?) {
        precondition(element == .float8, "a double appended to a \(element) array")
        guard let v else { return appendNull() }
        Self.put(&body, UInt32(8))
        Self.put(&body, v.bitPattern)
        count += 1
    }

    /// Appends a `text` element (its UTF-8 bytes); nil is NULL. The server refuses text holding U+0000 (SQLSTATE 22021).
    public mutating func append(_ v: String?) {
        precondition(element == .text, "a string appended to a \(element) array")
        guard var v else { return appendNull() }
        v.withUTF8 { appendBytes($0) }
    }

    /// Appends a `bytea` element; nil is NULL.
    public mutating func append(_ v: [UInt8]?) {
        precondition(element == .bytea, "bytes appended to a \(element) array")
        guard let v else { return appendNull() }
        v.withUnsafeBufferPointer { appendBytes($0) }
    }

    private mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        Self.put(&body, UInt32(bytes.count))
        body.append(contentsOf: bytes)
        count += 1
    }

    /// The array's wire bytes (binary format).
    var wire: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20 + body.count)
        Self.put(&out, UInt32(1))
        Self.put(&out, UInt32(hasNulls ? 1 : 0))
        Self.put(&out, element.oid)
        Self.put(&out, UInt32(count))
        Self.put(&out, UInt32(1))
        out.append(contentsOf: body)
        return out
    }

    private static func put(_ out: inout [UInt8], _ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func put(_ out: inout [UInt8], _ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }
}
