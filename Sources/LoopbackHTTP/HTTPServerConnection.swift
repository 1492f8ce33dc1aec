#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves one accepted TCP connection on its own thread with blocking I/O: reads requests (head within the
/// deadline, `Content-Length` body, `Expect: 100-continue`), hands each to the responder, and keeps the
/// connection for the next one while both sides want keep-alive.
final class HTTPServerConnection {
    private let fd: Int32
    private let server: HTTPServer
    private let responder: any HTTPResponder
    private let channel: HTTPChannel
    private let buffer = ReceiveBuffer()
    private var isFirstRequest = true

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(fd: Int32, server: HTTPServer, responder: any HTTPResponder) {
        self.fd = fd
        self.server = server
        self.responder = responder
        channel = HTTPChannel(fd: fd, stop: server.stopSignal)
    }

    /// Serves requests until the peer closes, an error occurs, or the server stops; then closes.
    func run() {
        defer { server.unregisterAndClose(fd) }
        while serveOne() {}
    }

    /// Reads and answers one request. Returns whether to keep the connection.
    private func serveOne() -> Bool {
        let options = server.options
        var deadline: Double? = isFirstRequest ? options.headDeadline.map { Self.now() + $0 } : nil
        isFirstRequest = false
        let headLength: Int
        while true {
            if let length = buffer.headLength(), length <= options.maxHeadBytes {
                headLength = length
                break
            }
            if buffer.count > options.maxHeadBytes {
                server.countRequest()
                responder.refuse(status: 431, message: "The request head is too large.", on: channel)
                return false
            }
            if deadline == nil, buffer.count > 0, let limit = options.headDeadline { deadline = Self.now() + limit }
            if let deadline, !waitReadable(until: deadline) {
                if !channel.isStopping { server.countMissedDeadline() }
                return false
            }
            if buffer.receive(from: fd) <= 0 { return false }
        }
        server.countRequest()
        let head: HTTPRequestHead
        do {
            head = try HTTPRequestHead.parse(UnsafeBufferPointer(rebasing: buffer.bytes[0..<headLength]))
        } catch {
            responder.refuse(status: 400, message: "Malformed HTTP request: \(error.reason).", on: channel)
            return false
        }
        if head.chunked {
            responder.refuse(status: 411, message: "Chunked request bodies are not supported; send Content-Length.", on: channel)
            return false
        }
        let bodyLength = head.contentLength ?? 0
        if bodyLength > options.maxBodyBytes {
            responder.refuse(status: 413, message: "The request body is too large.", on: channel)
            return false
        }
        let total = headLength + bodyLength
        if buffer.count < total {
            if head.expectsContinue {
                guard Self.continueLine.withUnsafeBytes({ SocketIO.sendAll(fd, $0) }) else { return false }
            }
            buffer.makeRoom(forTotal: total)
            while buffer.count < total {
                if buffer.receive(from: fd) <= 0 { return false }
            }
        }
        let keep = responder.respond(to: head, body: UnsafeBufferPointer(rebasing: buffer.bytes[headLength..<total]), on: channel)
        buffer.consume(total)
        return keep && head.keepAlive && !channel.isStopping
    }

    /// Waits until the socket is readable (or closed), the server stops, or `deadline` passes (false).
    private func waitReadable(until deadline: Double) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: server.stopSignal.wakeFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let remaining = deadline - Self.now()
            if remaining <= 0 { return false }
            let rc = poll(&fds, nfds_t(fds.count), Int32(min((remaining * 1000).rounded(.up), 3_600_000)))
            if rc > 0 { return fds[1].revents == 0 }
            if rc < 0 && errno != EINTR { return true }
        }
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
