import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as parsed by ``LoopbackConnection``.
public struct LoopbackRequest {
    /// `GET`, `POST`, …
    public var method: String
    /// The request target as sent.
    public var path: String
    /// Header fields in order.
    public var headers: [(name: String, value: String)]
    /// The `Content-Length` body.
    public var body: [UInt8]

    /// The first header named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Blocking HTTP/1.1 framing over one accepted socket (Content-Length bodies only).
public struct LoopbackConnection {
    /// The accepted socket.
    public let socket: Int32
    private var buffer: [UInt8] = []

    /// Frames requests on `socket`.
    public init(socket: Int32) {
        self.socket = socket
    }

    /// Reads the next request, or nil when the peer closed or sent garbage.
    public mutating func readRequest() -> LoopbackRequest? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find(separator, in: buffer)
            if headEnd == nil && !fill() { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + separator.count)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var request = LoopbackRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: [])
        let length = Int(request.header("content-length") ?? "0") ?? 0
        while buffer.count < length {
            if !fill() { return nil }
        }
        request.body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return request
    }

    /// Sends a complete response with Content-Length; false when the write failed.
    public func respond(status: String, headers: [String], body: [UInt8]) -> Bool {
        var head = "HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        head += "\r\n"
        return write(Array(head.utf8) + body)
    }

    /// Writes all bytes; false on error.
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Waits up to `milliseconds`; false as soon as the peer hangs up.
    public func waitWhileOpen(milliseconds: Int) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return true }
            let leftMilliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, leftMilliseconds)
            guard ready > 0 else { continue }
            var byte: UInt8 = 0
            if recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) <= 0 { return false }
            // Unexpected early bytes: just sleep out the rest.
            usleep(UInt32(leftMilliseconds) * 1000)
            return true
        }
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[..<count])
            return true
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
