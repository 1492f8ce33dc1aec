/// One HTTP header as sent or received. Names compare case-insensitively through ``HTTPResponse/header(_:)``.
public struct HTTPHeader: Sendable, Hashable {
    /// Header name as written on the wire.
    public var name: String
    /// Header value with surrounding whitespace removed.
    public var value: String
    /// Creates a header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Limits that bound one HTTP exchange.
public struct HTTPTimeouts: Sendable, Hashable {
    /// Seconds allowed to establish the TCP (and TLS) connection.
    public var connect: Double
    /// Seconds allowed for the whole exchange, connection included.
    public var total: Double
    /// Abort when fewer than `lowSpeedBytes` arrive per second for `lowSpeedSeconds` (0 disables).
    public var lowSpeedSeconds: Double
    /// Minimum bytes per second below which a transfer counts as stalled.
    public var lowSpeedBytes: Int
    /// Seconds from the moment the request is handed to the connection until the first byte of the
    /// response (the status line) arrives; 0 disables. A non-streaming teacher sends nothing until the whole
    /// answer is generated, so keep it above the slowest generation (or leave it off and rely on `total`).
    public var firstByte: Double
    /// Seconds without a single received byte once the response has started (a stalled body); 0 disables.
    /// Unlike curl's low-speed limit this never fires while the teacher is still generating.
    public var idle: Double
    /// Creates timeouts. Defaults suit a teacher answering a few hundred tokens.
    public init(connect: Double = 10, total: Double = 600, lowSpeedSeconds: Double = 0, lowSpeedBytes: Int = 1) {
        self.connect = connect
        self.total = total
        self.lowSpeedSeconds = lowSpeedSeconds
        self.lowSpeedBytes = lowSpeedBytes
        self.firstByte = 0
        self.idle = 0
    }

    /// Creates timeouts with a first-byte and an idle (stalled body) limit.
    public init(connect: Double, total: Double, firstByte: Double, idle: Double,
                lowSpeedSeconds: Double = 0, lowSpeedBytes: Int = 1) {
        self.init(connect: connect, total: total, lowSpeedSeconds: lowSpeedSeconds, lowSpeedBytes: lowSpeedBytes)
        self.firstByte = firstByte
        self.idle = idle
    }
}

/// A request handed to an ``HTTPTransport``.
public struct HTTPRequest: Sendable {
    /// Absolute URL, e.g. `http://127.0.0.1:8000/v1/chat/completions`.
    public var url: String
    /// HTTP method, `POST` or `GET`.
    public var method: String
    /// Request headers. Secrets (Authorization) live only here, never in logs or the store.
    public var headers: [HTTPHeader]
    /// Request body bytes (empty for GET).
    public var body: [UInt8]
    /// Connect, total and low-speed limits.
    public var timeouts: HTTPTimeouts
    /// A response body larger than this fails with ``TransportError/Kind/responseTooLarge``.
    public var maxResponseBytes: Int

    /// Creates a request.
    public init(
        url: String, method: String = "POST", headers: [HTTPHeader] = [], body: [UInt8] = [],
        timeouts: HTTPTimeouts = HTTPTimeouts(), maxResponseBytes: Int = 64 << 20
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Response headers of the final response (after any 100-continue).
    public var headers: [HTTPHeader]
    /// Body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Why an HTTP exchange produced no response.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The broad class of failure, which drives the retry decision.
    public enum Kind: String, Sendable {
        /// Could not resolve or connect.
        case connect
        /// Connect, total or low-speed timeout.
        case timeout
        /// The body exceeded ``HTTPRequest/maxResponseBytes``.
        case responseTooLarge
        /// TLS handshake or certificate verification failed.
        case tls
        /// The peer closed or reset the connection mid-exchange, or sent garbage.
        case connectionLost
        /// The transport is shut down.
        case cancelled
        /// Anything else.
        case other
    }
    /// Failure class.
    public var kind: Kind
    /// Underlying library code (the `CURLcode` for the curl transport), 0 when none.
    public var code: Int32
    /// Human-readable message from the library.
    public var message: String
    /// URL of the request (never contains credentials).
    public var url: String

    /// Creates a transport error.
    public init(kind: Kind, code: Int32 = 0, message: String, url: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.url = url
    }

    /// One line for people: what failed, where, and the library's words.
    public var description: String {
        "\(kind.rawValue) error talking to \(url): \(message)" + (code != 0 ? " (curl code \(code))" : "")
    }
}

/// The seam at which harvest sends HTTP. The production conformer is `CurlTransport`.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the full response, or throws ``TransportError``.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
