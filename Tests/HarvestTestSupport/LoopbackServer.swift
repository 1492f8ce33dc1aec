import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for transport tests: real sockets, one thread per
/// connection, keep-alive, and per-path behaviours. Counts connections and requests.
public final class LoopbackServer: @unchecked Sendable {
    /// How the server answers a path.
    public enum Behavior: Sendable {
        /// 200 with the request body echoed; reports what it saw in `x-echo-*` headers.
        case echo
        /// 200 with a fixed body.
        case ok(String)
        /// Waits (noticing a client hang-up), then answers 200 with `body`.
        case delay(milliseconds: Int, body: String)
        /// 200 with `bytes` bytes; without a declared length the body runs until the server closes.
        case huge(bytes: Int, declareLength: Bool)
        /// Declares 1,000 body bytes, sends 100, then closes the connection.
        case closeMidBody
        /// 429 with a `Retry-After` header.
        case tooManyRequests(retryAfter: Int)
        /// Declares 200 body bytes, sends 100, pauses (noticing a hang-up), then sends the other 100.
        case pauseMidBody(milliseconds: Int)
    }

    private struct Counters {
        var accepted = 0
        var requests = 0
        var hangupsDuringDelay = 0
        var lastHangupAt: ContinuousClock.Instant?
        var routes: [String: Behavior] = [:]
        var openSockets: Set<Int32> = []
        var stopped = false
    }

    /// The ephemeral port the server listens on.
    public let port: UInt16
    private let listener: Int32
    private let state = NSLock()
    private var counters = Counters()

    /// Binds an ephemeral port on 127.0.0.1 and starts accepting.
    public init() throws {
        let (listener, port) = try Self.bindLoopback()
        guard listen(listener, 1024) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        self.listener = listener
        self.port = port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit {
        stop()
    }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Sets how `path` is answered (unrouted paths echo).
    public func route(_ path: String, _ behavior: Behavior) { locked { $0.routes[path] = behavior } }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int { locked { $0.accepted } }
    /// Requests read so far.
    public var requestCount: Int { locked { $0.requests } }
    /// Connections the client closed while a `.delay` answer was pending.
    public var hangupsDuringDelay: Int { locked { $0.hangupsDuringDelay } }
    /// When the server last noticed a client hang up during a delay (seen on the server's own thread, so a test can
    /// time a cancellation without depending on when the cooperative pool runs it).
    public var lastHangupAt: ContinuousClock.Instant? { locked { $0.lastHangupAt } }

    /// Closes the listener and every open connection.
    public func stop() {
        let sockets = locked { counters -> Set<Int32> in
            guard !counters.stopped else { return [] }
            counters.stopped = true
            return counters.openSockets
        }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        for socket in sockets { Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private func locked<T>(_ body: (inout Counters) -> T) -> T {
        state.lock()
        defer { state.unlock() }
        return body(&counters)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let admitted = locked { counters -> Bool in
                guard !counters.stopped else { return false }
                counters.accepted += 1
                counters.openSockets.insert(client)
                return true
            }
            guard admitted else {
                close(client)
                break
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            Thread.detachNewThread { [self] in serve(client) }
        }
        close(listener)
    }

    // MARK: - One connection

    private func serve(_ socket: Int32) {
        var connection = LoopbackConnection(socket: socket)
        while let request = connection.readRequest() {
            let behavior = locked { counters -> Behavior in
                counters.requests += 1
                return counters.routes[request.path] ?? .echo
            }
            guard answer(request, behavior, &connection) else { break }
        }
        locked { _ = $0.openSockets.remove(socket) }
        close(socket)
    }

    /// Writes the answer; false when the connection must close afterwards.
    private func answer(_ request: LoopbackRequest, _ behavior: Behavior, _ connection: inout LoopbackConnection) -> Bool {
        switch behavior {
        case .echo:
            let probe = request.header("x-probe") ?? "-"
            let sawExpect = request.header("expect") == nil ? "no" : "yes"
            return connection.respond(
                status: "200 OK",
                headers: ["X-Echo-Probe: \(probe)", "X-Echo-Method: \(request.method)", "x-echo-expect: \(sawExpect)"],
                body: request.body)
        case .ok(let body):
            return connection.respond(status: "200 OK", headers: [], body: Array(body.utf8))
        case .delay(let milliseconds, let body):
            guard connection.waitWhileOpen(milliseconds: milliseconds) else {
                locked { $0.hangupsDuringDelay += 1; $0.lastHangupAt = .now }
                return false
            }
            return connection.respond(status: "200 OK", headers: [], body: Array(body.utf8))
        case .huge(let bytes, let declareLength):
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: bytes)
            if declareLength {
                return connection.respond(status: "200 OK", headers: [], body: body)
            }
            _ = connection.write(Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + body)
            return false
        case .closeMidBody:
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            _ = connection.write(Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 100))
            return false
        case .pauseMidBody(let milliseconds):
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"
            guard connection.write(Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 100)),
                  connection.waitWhileOpen(milliseconds: milliseconds) else {
                locked { $0.hangupsDuringDelay += 1; $0.lastHangupAt = .now }
                return false
            }
            return connection.write([UInt8](repeating: UInt8(ascii: "b"), count: 100))
        case .tooManyRequests(let retryAfter):
            return connection.respond(
                status: "429 Too Many Requests", headers: ["Retry-After: \(retryAfter)"], body: Array("slow down".utf8))
        }
    }
}

extension LoopbackServer {
    /// A port bound on 127.0.0.1 but not listening: connecting to it is refused.
    /// Close the returned socket when done.
    public static func reservedClosedPort() throws -> (socket: Int32, port: UInt16) {
        try bindLoopback()
    }

    /// A TCP socket bound to an ephemeral port on 127.0.0.1, and that port.
    private static func bindLoopback() throws -> (socket: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}
