#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves one accepted TCP connection on its own thread with blocking I/O: reads requests
/// (Content-Length bodies, keep-alive, `Expect: 100-continue`), answers them, and carries out
/// injected faults.
final class HTTPConnection {
    private let fd: Int32
    private let state: ServerState
    private let buffer = ReceiveBuffer()
    private let handler: RequestHandler
    private var head: [UInt8] = []

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Largest accepted request head.
    static let maxHeadBytes = 64 * 1024

    init(fd: Int32, state: ServerState) {
        self.fd = fd
        self.state = state
        handler = RequestHandler(state: state)
        head.reserveCapacity(256)
    }

    /// Serves requests until the peer closes, an error occurs, or the server stops; then closes.
    func run() {
        defer { state.close(connection: fd) }
        while serveOne() {}
    }

    /// Reads and answers one request. Returns whether to keep the connection.
    private func serveOne() -> Bool {
        var headLength: Int
        while true {
            if let length = buffer.headLength() {
                headLength = length
                break
            }
            if buffer.count > Self.maxHeadBytes {
                state.recordRequest()
                return send(handler.error(431, "The request head is too large."), keepAlive: false)
            }
            if buffer.receive(from: fd) <= 0 { return false }
        }
        state.recordRequest()
        let parsed: HTTPRequestHead
        do {
            parsed = try HTTPRequestHead.parse(UnsafeBufferPointer(rebasing: buffer.bytes[0..<headLength]))
        } catch {
            return send(handler.error(400, "Malformed HTTP request: \(error.reason)."), keepAlive: false)
        }
        if parsed.chunked {
            return send(handler.error(411, "Chunked request bodies are not supported; send Content-Length."), keepAlive: false)
        }
        let bodyLength = parsed.contentLength ?? 0
        if bodyLength > state.configuration.maxRequestBodyBytes {
            return send(handler.error(413, "The request body is too large."), keepAlive: false)
        }
        let total = headLength + bodyLength
        if buffer.count < total {
            if parsed.expectsContinue {
                guard Self.continueLine.withUnsafeBytes({ SocketIO.sendAll(fd, $0) }) else { return false }
            }
            buffer.makeRoom(forTotal: total)
            while buffer.count < total {
                if buffer.receive(from: fd) <= 0 { return false }
            }
        }
        let action = handler.handle(parsed, body: UnsafeBufferPointer(rebasing: buffer.bytes[headLength..<total]))
        buffer.consume(total)
        return send(action, keepAlive: parsed.keepAlive)
    }

    /// Carries out `action`. Returns whether to keep the connection.
    private func send(_ action: ConnectionAction, keepAlive: Bool) -> Bool {
        switch action {
        case .reset:
            SocketIO.setLingerZero(fd)
            return false
        case .stall(let seconds):
            SocketIO.interruptibleSleep(seconds: seconds, wakeFD: state.wakeFD, peerFD: fd)
            return false
        case .reply(let reply):
            let keep = keepAlive && !reply.closeConnection && !state.isStopping
            let body = handler.writer.bytes
            reply.writeHead(contentLength: body.count, keepAlive: keep, into: &head)
            let bodyCount = reply.delivery == .truncated ? body.count / 2 : body.count
            let sent = head.withUnsafeBytes { headBytes in
                body.withUnsafeBytes { bodyBytes in
                    SocketIO.sendAll(fd, headBytes, UnsafeRawBufferPointer(rebasing: bodyBytes[0..<bodyCount]))
                }
            }
            if !sent, let fingerprint = reply.servedFingerprint { state.retractServed(fingerprint) }
            return sent && keep && reply.delivery == .complete
        }
    }
}
