/// Why an ``HTTPServer`` could not start.
public enum LoopbackHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host is not an IPv4 literal (or `localhost`), or the port is out of range.
    case invalidAddress(String)
    /// `socket(2)` failed (errno text).
    case socketFailed(String)
    /// `bind(2)` failed, e.g. "Address already in use".
    case bindFailed(host: String, port: Int, reason: String)
    /// `listen(2)` failed (errno text).
    case listenFailed(String)
    /// The accept thread could not be created (errno text).
    case threadFailed(String)
    /// `start()` was called on a server that is running or was stopped.
    case alreadyStarted

    /// A one-line explanation (without the server's name; callers prefix it).
    public var description: String {
        switch self {
        case .invalidAddress(let text): "invalid address: \(text)"
        case .socketFailed(let text): "socket() failed: \(text)"
        case .bindFailed(let host, let port, let reason): "cannot bind \(host):\(port): \(reason)"
        case .listenFailed(let text): "listen() failed: \(text)"
        case .threadFailed(let text): "cannot start the accept thread: \(text)"
        case .alreadyStarted: "start() called twice"
        }
    }
}
