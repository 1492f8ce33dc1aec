import LoopbackHTTP

/// What a connection sends back for one request; the body itself lives in the
/// ``RequestHandler``'s writer.
struct HTTPReply {
    /// How the body is delivered.
    enum Delivery {
        /// All of it.
        case complete
        /// Half of it (the header still announces the full length), then the connection closes.
        case truncated
    }

    /// Status code.
    var status: Int
    /// `Content-Type` value.
    var contentType: StaticString = "application/json"
    /// `Retry-After` value, if any.
    var retryAfter: String? = nil
    /// Delivery mode.
    var delivery = Delivery.complete
    /// Close the connection after this reply even if the client wants keep-alive.
    var closeConnection = false
    /// The fingerprint of a valid completion in the body; it was counted as served before
    /// sending and is retracted if the send fails.
    var servedFingerprint: String? = nil
    /// Send the body in this many pieces spread over this many seconds (the slow-body fault), or all at once.
    var trickle: (chunks: Int, seconds: Double)? = nil

    /// Writes the status line and headers (ending with the blank line) into `out`.
    func writeHead(contentLength: Int, keepAlive: Bool, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\nContent-Type: ".utf8)
        contentType.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: "\r\nContent-Length: \(contentLength)\r\n".utf8)
        if let retryAfter { out.append(contentsOf: "Retry-After: \(retryAfter)\r\n".utf8) }
        out.append(contentsOf: (keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n").utf8)
    }
}

/// What a connection does after reading a request.
enum ConnectionAction {
    /// Send a reply.
    case reply(HTTPReply)
    /// Close at once with RST, sending nothing.
    case reset
    /// Send nothing for this many seconds, then close.
    case stall(seconds: Double)
}
