/// One value in PostgreSQL's binary wire form, as both an array element (``PostgresBinaryArray``) and a binary
/// `COPY` field (``PostgresBinaryCopy``) carry it: its byte length as a big-endian int32 (-1 for NULL), then its
/// bytes (`bigint` 8 and `integer` 4 big-endian bytes, `double precision` its 8 IEEE bytes, `text` its UTF-8,
/// `bytea` as is).
enum PostgresBinaryField {
    /// Appends an integer as `type` (`int8` or `int4`; a value outside 32 bits traps for `int4`); nil is NULL.
    static func append(_ v: Int64?, as type: PostgresBinaryArray.Element, to out: inout [UInt8]) {
        guard let v else { return put(&out, UInt32(bitPattern: -1)) }
        switch type {
        case .int8:
            put(&out, UInt32(8))
            put(&out, UInt64(bitPattern: v))
        case .int4:
            precondition(Int64(Int32.min)...Int64(Int32.max) ~= v, "\(v) does not fit an integer")
            put(&out, UInt32(4))
            put(&out, UInt32(bitPattern: Int32(v)))
        default:
            preconditionFailure("an integer given for a \(type) value")
        }
    }

    /// Appends a `double precision`; nil is NULL.
    static func append(_ v: Double?, as type: PostgresBinaryArray.Element, to out: inout [UInt8]) {
        precondition(type == .float8, "a double given for a \(type) value")
        guard let v else { return put(&out, UInt32(bitPattern: -1)) }
        put(&out, UInt32(8))
        put(&out, v.bitPattern)
    }

    /// Appends a `text` (its UTF-8 bytes); nil is NULL.
    static func append(_ v: String?, as type: PostgresBinaryArray.Element, to out: inout [UInt8]) {
        precondition(type == .text, "a string given for a \(type) value")
        guard var v else { return put(&out, UInt32(bitPattern: -1)) }
        v.withUTF8 { appendBytes($0, to: &out) }
    }

    /// Appends a `bytea`; nil is NULL.
    static func append(_ v: [UInt8]?, as type: PostgresBinaryArray.Element, to out: inout [UInt8]) {
        precondition(type == .bytea, "bytes given for a \(type) value")
        guard let v else { return put(&out, UInt32(bitPattern: -1)) }
        v.withUnsafeBufferPointer { appendBytes($0, to: &out) }
    }

    private static func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        put(&out, UInt32(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// Appends `v` big-endian.
    static func put(_ out: inout [UInt8], _ v: UInt16) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Appends `v` big-endian.
    static func put(_ out: inout [UInt8], _ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Appends `v` big-endian.
    static func put(_ out: inout [UInt8], _ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }
}
