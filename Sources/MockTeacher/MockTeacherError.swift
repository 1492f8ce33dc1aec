import LoopbackHTTP

/// Why a ``MockTeacherServer`` could not start.
public enum MockTeacherError: Error, Sendable, Equatable, CustomStringConvertible {
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

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidAddress(let text): "mock teacher: invalid address: \(text)"
        case .socketFailed(let text): "mock teacher: socket() failed: \(text)"
        case .bindFailed(let host, let port, let reason): "mock teacher: cannot bind \(host):\(port): \(reason)"
        case .listenFailed(let text): "mock teacher: listen() failed: \(text)"
        case .threadFailed(let text): "mock teacher: cannot start the accept thread: \(text)"
        case .alreadyStarted: "mock teacher: start() called twice"
        }
    }
}

extension MockTeacherError {
    /// The mock teacher's form of a socket-layer start failure.
    init(_ error: LoopbackHTTPError) {
        switch error {
        case .invalidAddress(let text): self = .invalidAddress(text)
        case .socketFailed(let text): self = .socketFailed(text)
        case .bindFailed(let host, let port, let reason): self = .bindFailed(host: host, port: port, reason: reason)
        case .listenFailed(let text): self = .listenFailed(text)
        case .threadFailed(let text): self = .threadFailed(text)
        case .alreadyStarted: self = .alreadyStarted
        }
    }
}
