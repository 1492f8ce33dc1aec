/// How an ``HTTPServer`` listens and how much it accepts from a client.
public struct HTTPServerOptions: Sendable {
    /// IPv4 address to bind (`"localhost"` means `127.0.0.1`).
    public var host: String
    /// TCP port; 0 picks an ephemeral port (read it back from ``HTTPServer/start()``).
    public var port: Int
    /// `listen(2)` backlog.
    public var backlog: Int32 = 4096
    /// Stack size of each connection thread, in bytes.
    public var threadStackSize: Int = 1 << 20
    /// Most connections served at once; further ones are closed on accept (nil: no limit).
    public var maxConnections: Int? = nil
    /// Seconds a request head may take to arrive completely, counted from the accept for a connection's first
    /// request and from the first byte of each later one; a client still sending its head then is disconnected.
    /// Idle keep-alive connections (no byte of a next request yet) are not timed. nil: no deadline.
    public var headDeadline: Double? = nil
    /// Largest accepted request head, in bytes (larger ones get 431).
    public var maxHeadBytes: Int = 64 * 1024
    /// Largest accepted request body, in bytes (larger ones get 413).
    public var maxBodyBytes: Int = 64 << 20
    /// Set `TCP_NODELAY` on accepted connections, so small answers are not delayed.
    public var noDelay = true
    /// On start, raise the process's soft open-file limit to its hard limit (one socket per connection).
    public var raiseFileDescriptorLimit = false

    /// Creates options for `host:port`; the other fields have the documented defaults.
    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }
}
