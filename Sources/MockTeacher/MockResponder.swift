import LoopbackHTTP

/// Answers the requests of one mock-teacher connection (called on that connection's thread by the shared
/// ``HTTPServer``) and carries out injected faults: resets, stalls, truncated and slow bodies.
final class MockResponder: HTTPResponder {
    private let state: ServerState
    private let handler: RequestHandler
    private var head: [UInt8] = []

    init(state: ServerState) {
        self.state = state
        handler = RequestHandler(state: state)
        head.reserveCapacity(256)
    }

    func respond(to request: HTTPRequestHead, body: UnsafeBufferPointer<UInt8>, on channel: HTTPChannel) -> Bool {
        send(handler.handle(request, body: body), keepAlive: request.keepAlive, on: channel)
    }

    func refuse(status: Int, message: String, on channel: HTTPChannel) {
        _ = send(handler.error(status, message), keepAlive: false, on: channel)
    }

    /// Carries out `action`. Returns whether to keep the connection.
    private func send(_ action: ConnectionAction, keepAlive: Bool, on channel: HTTPChannel) -> Bool {
        switch action {
        case .reset:
            channel.resetOnClose()
            return false
        case .stall(let seconds):
            channel.sleep(seconds: seconds, watchPeer: true)
            return false
        case .reply(let reply):
            let keep = keepAlive && !reply.closeConnection && !channel.isStopping
            let body = handler.writer.bytes
            reply.writeHead(contentLength: body.count, keepAlive: keep, into: &head)
            let bodyCount = reply.delivery == .truncated ? body.count / 2 : body.count
            let sent: Bool
            if let trickle = reply.trickle {
                sent = sendSlowly(head: head, body: body[0..<bodyCount], chunks: trickle.chunks, seconds: trickle.seconds,
                                  on: channel)
            } else {
                sent = head.withUnsafeBytes { headBytes in
                    body.withUnsafeBytes { bodyBytes in
                        channel.send(headBytes, UnsafeRawBufferPointer(rebasing: bodyBytes[0..<bodyCount]))
                    }
                }
            }
            if !sent, let fingerprint = reply.servedFingerprint { state.retractServed(fingerprint) }
            return sent && keep && reply.delivery == .complete
        }
    }

    /// The slow-body fault: the head, then `body` in `chunks` pieces with equal pauses in between, over
    /// `seconds`. Returns false (sending no more) when the peer hangs up or the server stops meanwhile.
    private func sendSlowly(head: [UInt8], body: ArraySlice<UInt8>, chunks: Int, seconds: Double,
                            on channel: HTTPChannel) -> Bool {
        let pieces = max(2, chunks)
        let pause = max(0, seconds) / Double(pieces - 1)
        guard head.withUnsafeBytes({ channel.send($0) }) else { return false }
        let size = (body.count + pieces - 1) / pieces
        var offset = body.startIndex
        var index = 0
        while offset < body.endIndex {
            if index > 0, channel.sleep(seconds: pause, watchPeer: true) { return false }
            let end = min(body.endIndex, offset + max(1, size))
            let ok = body[offset..<end].withUnsafeBytes { channel.send($0) }
            guard ok else { return false }
            offset = end
            index += 1
        }
        return true
    }
}
