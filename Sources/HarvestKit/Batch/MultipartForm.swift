/// A `multipart/form-data` body (RFC 7578) of text fields and one file, as `POST /v1/files` takes it.
public struct MultipartForm: Sendable {
    /// The boundary (random; never occurs in JSONL of harvest's own making, and checked anyway).
    public let boundary: String
    private var body: [UInt8] = []

    /// Creates an empty form with a random boundary.
    public init() {
        boundary = "harvest-" + (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
    }

    /// The `Content-Type` header value.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Appends a text field.
    public mutating func field(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    /// Appends a file part.
    public mutating func file(_ name: String, filename: String, contentType: String, bytes: [UInt8]) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n".utf8)
    }

    /// The finished body (closing delimiter appended).
    public func encoded() -> [UInt8] {
        body + Array("--\(boundary)--\r\n".utf8)
    }
}
