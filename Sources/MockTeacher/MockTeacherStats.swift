/// A snapshot of what a ``MockTeacherServer`` has seen and answered since it started.
public struct MockTeacherStats: Sendable, Equatable {
    /// Complete HTTP requests read (any path, any outcome).
    public var requestsReceived: Int = 0
    /// Responses sent, by HTTP status code (truncated answers count as their 200 header;
    /// resets and stalls send no status and are not counted here).
    public var responsesByStatus: [Int: Int] = [:]
    /// TCP connections accepted.
    public var connectionsAccepted: Int = 0
    /// Connections open right now.
    public var openConnections: Int = 0
    /// Complete, valid 200 completion answers (not HTML or truncated ones).
    public var completionsServed: Int = 0
    /// Injected faults by kind.
    public var faultsInjected: [MockFaultKind: Int] = [:]

    /// Creates empty statistics.
    public init() {}

    /// Responses sent with `status`.
    public func responses(status: Int) -> Int { responsesByStatus[status, default: 0] }
}
