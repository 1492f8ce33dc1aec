#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestJSON

/// A response as read off the wire by ``TestHTTPClient``.
public struct TestHTTPResponse {
    /// HTTP status.
    public var status: Int
    /// Header fields in order.
    public var headers: [(name: String, value: String)]
    /// The body bytes that arrived.
    public var body: [UInt8]
    /// The announced Content-Length.
    public var contentLength: Int
    /// Whether the whole announced body arrived.
    public var complete: Bool { body.count == contentLength }

    /// The first header named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    public func json() throws -> JSONValue { try JSONValue.parse(body) }
}

/// A test client failure (connect, send, or an unreadable answer).
public struct TestClientError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String

    /// Creates an error.
    public init(description: String) { self.description = description }
}

/// What one `recv` saw.
public enum ReceiveOutcome: Equatable {
    case data(Int)
    case closed
    case timedOut
    case failed(Int32)
}

/// A minimal blocking HTTP/1.1 client over Glibc sockets, for tests only.
public final class TestHTTPClient {
    /// The connected socket.
    public let fd: Int32
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int, timeout: Double = 5) throws {
        fd = try Self.connectedSocket(port: port)
        setTimeout(timeout)
    }

    /// A connected socket (closed again on failure, so the failing init never owns it).
    private static func connectedSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let code = errno
            close(fd)
            throw TestClientError(description: "connect: \(String(cString: strerror(code)))")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    deinit { close(fd) }

    /// Sets the receive timeout.
    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends raw bytes.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw TestClientError(description: "send failed: \(errno)") }
            offset += n
        }
    }

    /// The raw bytes of a request.
    public static func requestBytes(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for header in headers { text += header + "\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        return Array(text.utf8)
    }

    /// Sends a request and reads its response.
    public func request(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) throws -> TestHTTPResponse {
        try send(Self.requestBytes(method, path, body: body, headers: headers))
        return try readResponse()
    }

    /// One `recv` into the pending buffer.
    public func receiveOnce() -> ReceiveOutcome {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n > 0 {
            pending.append(contentsOf: chunk[0..<n])
            return .data(n)
        }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .failed(errno)
    }

    /// Reads one response. A body cut short by EOF is returned incomplete.
    public func readResponse() throws -> TestHTTPResponse {
        var headEnd: Int? = nil
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: pending)
            if headEnd == nil {
                let outcome = receiveOnce()
                guard case .data = outcome else { throw TestClientError(description: "no response head: \(outcome)") }
            }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestClientError(description: "bad status line in \(head)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            headers.append((name: String(parts[0]), value: String(parts[1]).trimmingSpaces()))
        }
        pending.removeFirst(headEnd! + 4)
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        if status == 100 { return try readResponse() }
        while pending.count < length {
            if case .data = receiveOnce() { continue }
            break
        }
        let body = Array(pending.prefix(length))
        pending.removeFirst(body.count)
        return TestHTTPResponse(status: status, headers: headers, body: body, contentLength: length)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}

extension String {
    /// Without leading and trailing spaces.
    public func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
