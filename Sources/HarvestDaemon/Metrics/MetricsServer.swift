import LoopbackHTTP

/// The HTTP/1.1 endpoint for `/metrics` and `/healthz`, on the shared loopback socket layer (``HTTPServer``):
/// each connection has its own thread and a request head must arrive within ``headDeadline`` seconds, so a slow
/// or silent client (one dripping a byte per second) holds only its own connection while probes and scrapers
/// are answered at once. Every answer closes its connection. GET and HEAD only.
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

    /// Default seconds a client has to send its request head.
    public static let defaultHeadDeadline = 5.0
    /// Default number of connections served at once (further ones are closed on accept).
    public static let defaultMaxConnections = 64

    private let address: MetricsAddress
    private let server: HTTPServer
    /// Seconds a client has to send its request head before it is disconnected.
    public let headDeadline: Double

    /// Creates a server; nothing listens until ``start()``.
    public init(address: MetricsAddress, headDeadline: Double = MetricsServer.defaultHeadDeadline,
                maxConnections: Int = MetricsServer.defaultMaxConnections, handler: @escaping Handler) {
        self.address = address
        self.headDeadline = headDeadline
        var options = HTTPServerOptions(host: address.host, port: address.port)
        options.backlog = 64
        options.threadStackSize = 512 * 1024
        options.maxConnections = maxConnections
        options.headDeadline = headDeadline
        options.maxHeadBytes = 16 * 1024
        options.maxBodyBytes = 0
        server = HTTPServer(options) { MetricsResponder(handler: handler) }
    }

    /// Binds, listens and starts serving; returns the bound port.
    @discardableResult
    public func start() throws(StartError) -> Int {
        do throws(LoopbackHTTPError) {
            return try server.start()
        } catch .bindFailed(_, _, let reason), .listenFailed(let reason) {
            throw StartError(description: "cannot listen on \(address) for metrics: \(reason) — choose another server.metrics_address or stop the other process")
        } catch .invalidAddress {
            throw StartError(description: "metrics address \(address): not an IPv4 address")
        } catch {
            throw StartError(description: "metrics endpoint \(address): \(error)")
        }
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { server.port }

    /// Connection counters of the socket layer (accepted, open, cut for missing the head deadline).
    public func connectionStats() -> HTTPServerStats { server.stats() }

    /// Stops listening, closes open connections and waits for the serving threads. Idempotent.
    public func stop() {
        server.stop()
    }
}

/// Answers one metrics connection: GET or HEAD through the handler, every answer with `Connection: close`.
private final class MetricsResponder: HTTPResponder {
    private let handler: MetricsServer.Handler

    init(handler: @escaping MetricsServer.Handler) {
        self.handler = handler
    }

    func respond(to request: HTTPRequestHead, body: UnsafeBufferPointer<UInt8>, on channel: HTTPChannel) -> Bool {
        let response: MetricsServer.Response
        if request.method != "GET" && request.method != "HEAD" {
            response = .init(status: 405, body: "only GET and HEAD\n")
        } else {
            response = handler(request.path)
        }
        _ = channel.sendResponse(status: response.status, contentType: response.contentType, body: Array(response.body.utf8),
                                 keepAlive: false, headOnly: request.method == "HEAD")
        return false
    }

    func refuse(status: Int, message: String, on channel: HTTPChannel) {
        _ = channel.sendResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8),
                                 keepAlive: false)
    }
}
