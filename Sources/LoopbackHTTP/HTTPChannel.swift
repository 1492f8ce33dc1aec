#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The connection a responder writes its answer to, with the server's stop signal for interruptible waits.
public struct HTTPChannel: Sendable {
    /// The connected socket (owned and closed by the server).
    public let fd: Int32
    /// Raised when the server stops.
    public let stop: StopSignal

    /// Creates a channel for `fd`.
    public init(fd: Int32, stop: StopSignal) {
        self.fd = fd
        self.stop = stop
    }

    /// Sends `head` then `body` completely (one `sendmsg` in the common case). False when the peer is gone.
    public func send(_ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        SocketIO.sendAll(fd, head, body)
    }

    /// Sends a complete HTTP/1.1 answer with `Content-Length` and the given `Connection` mode.
    public func sendResponse(status: Int, contentType: String, body: [UInt8], keepAlive: Bool, headOnly: Bool = false) -> Bool {
        let head = Array(("HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n").utf8)
        return head.withUnsafeBytes { h in body.withUnsafeBytes { b in send(h, headOnly ? UnsafeRawBufferPointer(start: nil, count: 0) : b) } }
    }

    /// Sleeps up to `seconds`; returns true early when the server stops or (with `watchPeer`) the peer hangs up.
    @discardableResult
    public func sleep(seconds: Double, watchPeer: Bool = false) -> Bool {
        SocketIO.interruptibleSleep(seconds: seconds, wakeFD: stop.wakeFD, peerFD: watchPeer ? fd : nil)
    }

    /// Makes the server's close of this connection send RST instead of FIN.
    public func resetOnClose() {
        SocketIO.setLingerZero(fd)
    }

    /// Whether the server is stopping (answers should then close their connection).
    public var isStopping: Bool { stop.isRaised }
}
