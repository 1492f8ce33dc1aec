/// What an ``HTTPServer``'s socket layer has seen since it started.
public struct HTTPServerStats: Sendable, Equatable {
    /// TCP connections accepted (refused ones included).
    public var connectionsAccepted = 0
    /// Connections open right now.
    public var openConnections = 0
    /// Connections closed on accept because ``HTTPServerOptions/maxConnections`` were open.
    public var connectionsRefused = 0
    /// Request heads read completely, plus heads refused as too large.
    public var requestsReceived = 0
    /// Connections cut because their request head missed ``HTTPServerOptions/headDeadline``.
    public var headDeadlinesMissed = 0

    /// Creates empty statistics.
    public init() {}
}
