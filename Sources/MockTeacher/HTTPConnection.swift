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
            let sent: Bool
            if let trickle = reply.trickle {
                sent = sendSlowly(head: head, body: body[0..<bodyCount], chunks: trickle.chunks, seconds: trickle.seconds)
            } else {
                sent = head.withUnsafeBytes { headBytes in
                    body.withUnsafeBytes { bodyBytes in
                        SocketIO.sendAll(fd, headBytes, UnsafeRawBufferPointer(rebasing: bodyBytes[0..<bodyCount]))
                    }
                }
            }
            if !sent, let fingerprint = reply.servedFingerprint { state.retractServed(fingerprint) }
            return sent && keep && reply.delivery == .complete
        }
    }

    /// The slow-body fault: the head, then `body` in `chunks` pieces with equal pauses in between, over
    /// `seconds`. Returns false (sending no more) when the peer hangs up or the server stops meanwhile.
    private func sendSlowly(head: [UInt8], body: ArraySlice<UInt8>, chunks: Int, seconds: Double) -> Bool {
        let pieces = max(2, chunks)
        let pause = max(0, seconds) / Double(pieces - 1)
        guard head.withUnsafeBytes({ SocketIO.sendAll(fd, $0) }) else { return false }
        let size = (body.count + pieces - 1) / pieces
        var offset = body.startIndex
        var index = 0
        while offset < body.endIndex {
            if index > 0, SocketIO.interruptibleSleep(seconds: pause, wakeFD: state.wakeFD, peerFD: fd) { return false }
            let end = min(body.endIndex, offset + max(1, size))
            let ok = body[offset..<end].withUnsafeBytes { SocketIO.sendAll(fd, $0) }
            guard ok else { return false }
            offset = end
            index += 1
        }
        return true
    }
}
