#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A tiny HTTP/1.1 server for `/metrics` and `/healthz` on Glibc sockets: one thread accepts and answers each
/// request in turn (`Connection: close`), which is plenty for a scraper on loopback. GET and HEAD only.
public final class MetricsServer: Sendable {
    /// An answer.
    public struct Response: Sendable {
        /// HTTP status.
        public var status: Int
        /// `Content-Type`.
        public var contentType: String
        /// Body.
        public var body: String

        /// Creates a response.
        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// Answers a request path (query string removed).
    public typealias Handler = @Sendable (_ path: String) -> Response

    /// Why the server could not start.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        /// One line for people.
        public var description: String
    }

    private let address: MetricsAddress
    private let handler: Handler
    private let state = Mutex<(fd: Int32, port: Int, stopped: Bool)>((-1, 0, false))
    private let finished = DispatchSemaphore(value: 0)

    /// Creates a server; nothing listens until ``start()``.
    public init(address: MetricsAddress, handler: @escaping Handler) {
        self.address = address
        self.handler = handler
    }

    /// Binds, listens and starts the serving thread; returns the bound port.
    @discardableResult
    public func start() throws(StartError) -> Int {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(address.port).bigEndian)
        guard inet_pton(AF_INET, address.host, &addr.sin_addr) == 1 else {
            throw StartError(description: "metrics address \(address): not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "metrics endpoint: socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw StartError(description: "cannot listen on \(address) for metrics: \(reason) — choose another server.metrics_address or stop the other process")
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: bound.sin_port))
        state.withLock { $0 = (fd, port, false) }
        let thread = Thread { [self] in serve(fd) }
        thread.name = "harvest-metrics"
        thread.start()
        return port
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { state.withLock { $0.port } }

    /// Stops listening and waits for the serving thread. Idempotent.
    public func stop() {
        let fd = state.withLock { s -> Int32 in
            guard !s.stopped, s.fd >= 0 else { return -1 }
            s.stopped = true
            return s.fd
        }
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        finished.wait()
        close(fd)
    }

    private func serve(_ listener: Int32) {
        defer { finished.signal() }
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 {
                if state.withLock({ $0.stopped }) { return }
                if errno == EINTR || errno == ECONNABORTED { continue }
                usleep(10_000)
                continue
            }
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            answer(c)
            close(c)
        }
    }

    private func answer(_ fd: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16384 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request += buffer[0..<n]
            if Self.hasHeadEnd(request) { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let response: Response
        var head = false
        if line.count < 2 {
            response = Response(status: 400, body: "bad request\n")
        } else if line[0] != "GET" && line[0] != "HEAD" {
            response = Response(status: 405, body: "only GET and HEAD\n")
        } else {
            head = line[0] == "HEAD"
            let target = line[1]
            response = handler(String(target.split(separator: "?", maxSplits: 1).first ?? target))
        }
        let body = Array(response.body.utf8)
        var text = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        text += "Content-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(text.utf8)
        if !head { bytes += body }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    private static func hasHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return true
        }
        return false
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
