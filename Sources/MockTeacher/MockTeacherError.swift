import LoopbackHTTP

/// Why a ``MockTeacherServer`` could not start: the socket layer's reason, named as the mock teacher's.
public struct MockTeacherError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the socket layer reported (bad address, bind failure, …).
    public let reason: LoopbackHTTPError

    /// Wraps a socket-layer start failure.
    public init(_ reason: LoopbackHTTPError) {
        self.reason = reason
    }

    /// A one-line explanation, e.g. `mock teacher: cannot bind 127.0.0.1:8080: Address already in use`.
    public var description: String { "mock teacher: \(reason)" }
}
