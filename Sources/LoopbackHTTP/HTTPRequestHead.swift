/// The request line and the headers the loopback servers care about.
public struct HTTPRequestHead: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The target path without its query string.
    public var path: String
    /// The `Content-Length`, if sent.
    public var contentLength: Int?
    /// `Transfer-Encoding: chunked` was sent.
    public var chunked = false
    /// `Expect: 100-continue` was sent.
    public var expectsContinue = false
    /// Whether the connection stays open after the answer.
    public var keepAlive = true

    /// A request the server cannot parse; answered with 400 and a closed connection.
    public struct Malformed: Error, Sendable {
        /// What is wrong, e.g. "malformed request line".
        public var reason: String
    }

    /// Parses the head (request line and headers, CRLF-terminated lines).
    public static func parse(_ head: UnsafeBufferPointer<UInt8>) throws(Malformed) -> HTTPRequestHead {
        var lineStart = 0
        func nextLine() -> Range<Int>? {
            guard lineStart < head.count else { return nil }
            var i = lineStart
            while i < head.count && head[i] != 0x0A { i += 1 }
            var lineEnd = i
            if lineEnd > lineStart && head[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { lineStart = i + 1 }
            return lineStart..<lineEnd
        }
        guard let requestLine = nextLine(), !requestLine.isEmpty else { throw Malformed(reason: "empty request line") }
        let parts = head[requestLine].split(separator: 0x20, omittingEmptySubsequences: true)
        guard parts.count == 3 else { throw Malformed(reason: "malformed request line") }
        let version = parts[2]
        guard version.starts(with: "HTTP/1.".utf8), version.count == 8 else {
            throw Malformed(reason: "unsupported HTTP version")
        }
        let minor = version[version.startIndex + 7]
        let target = parts[1]
        let pathEnd = target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
        var result = HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self),
            path: String(decoding: target[target.startIndex..<pathEnd], as: UTF8.self))
        var connectionClose = false
        var connectionKeepAlive = false
        while let line = nextLine() {
            if line.isEmpty { break }
            let field = head[line]
            guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { throw Malformed(reason: "malformed header line") }
            let name = field[field.startIndex..<colon]
            var valueStart = colon + 1
            var valueEnd = field.endIndex
            while valueStart < valueEnd && (head[valueStart] == 0x20 || head[valueStart] == 0x09) { valueStart += 1 }
            while valueEnd > valueStart && (head[valueEnd - 1] == 0x20 || head[valueEnd - 1] == 0x09) { valueEnd -= 1 }
            let value = head[valueStart..<valueEnd]
            if equalsIgnoringCase(name, "content-length") {
                guard !value.isEmpty, value.count <= 15, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw Malformed(reason: "invalid Content-Length")
                }
                let length = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                if let previous = result.contentLength, previous != length {
                    throw Malformed(reason: "conflicting Content-Length headers")
                }
                result.contentLength = length
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                result.chunked = containsIgnoringCase(value, "chunked")
            } else if equalsIgnoringCase(name, "connection") {
                connectionClose = connectionClose || containsIgnoringCase(value, "close")
                connectionKeepAlive = connectionKeepAlive || containsIgnoringCase(value, "keep-alive")
            } else if equalsIgnoringCase(name, "expect") {
                result.expectsContinue = containsIgnoringCase(value, "100-continue")
            }
        }
        result.keepAlive = minor == UInt8(ascii: "0") ? connectionKeepAlive && !connectionClose : !connectionClose
        return result
    }

    private static func lower(_ c: UInt8) -> UInt8 {
        c >= 0x41 && c <= 0x5A ? c | 0x20 : c
    }

    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        var i = 0
        for c in bytes {
            if lower(c) != w[i] { return false }
            i += 1
        }
        return true
    }

    private static func containsIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        let w = word.utf8Start
        var s = bytes.startIndex
        while s + n <= bytes.endIndex {
            var i = 0
            while i < n && lower(bytes.base[s + i]) == w[i] { i += 1 }
            if i == n { return true }
            s += 1
        }
        return false
    }
}
