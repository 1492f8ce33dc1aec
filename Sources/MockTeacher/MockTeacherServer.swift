import LoopbackHTTP

/// An OpenAI-compatible teacher imitation: a real HTTP/1.1 server on loopback that answers
/// `/v1/chat/completions` and `/v1/completions` deterministically (with token logprobs),
/// lists its model at `/v1/models`, answers `/healthz`, and can inject faults.
///
/// The sockets, threads and HTTP framing are the shared ``HTTPServer`` (one blocking thread per
/// connection, keep-alive, a head deadline); this type adds the answers and the faults.
///
/// ```swift
/// let server = MockTeacherServer(MockTeacherConfiguration())
/// let port = try server.start()
/// defer { server.stop() }
/// ```
public final class MockTeacherServer: @unchecked Sendable {
    private let configuration: MockTeacherConfiguration
    private let state: ServerState
    private let server: HTTPServer
    private let lock = ConditionLock()
    private var started = false
    private var finished = false

    /// Creates a server; nothing is bound until ``start()``.
    public init(_ configuration: MockTeacherConfiguration) {
        self.configuration = configuration
        let state = ServerState(configuration: configuration)
        self.state = state
        var options = HTTPServerOptions(host: configuration.host, port: configuration.port)
        options.backlog = configuration.backlog
        options.threadStackSize = configuration.threadStackSize
        options.maxBodyBytes = configuration.maxRequestBodyBytes
        options.headDeadline = configuration.headDeadlineSeconds
        options.raiseFileDescriptorLimit = configuration.raiseFileDescriptorLimit
        server = HTTPServer(options, stopSignal: state.stop) { MockResponder(state: state) }
    }

    deinit { stop() }

    /// Binds, listens and starts serving on background threads. Returns the bound port.
    /// Also ignores `SIGPIPE` process-wide (sends use `MSG_NOSIGNAL` anyway).
    @discardableResult
    public func start() throws -> Int {
        do throws(LoopbackHTTPError) {
            let port = try server.start()
            state.baseURL = "http://\(configuration.host):\(port)/v1"
            lock.withLock { started = true }
            return port
        } catch {
            throw MockTeacherError(error)
        }
    }

    /// Stops accepting, closes every connection (stalled and sleeping ones included) and waits
    /// for all server threads to finish. The port is free afterwards. Idempotent.
    public func stop() {
        server.stop()
        lock.withLock { finished = true }
        lock.broadcast()
    }

    /// Blocks the calling thread until ``stop()`` has finished (e.g. for a CLI that serves until
    /// a signal handler calls `stop()`). Returns at once if the server never started.
    public func waitUntilStopped() {
        lock.wait { finished || !started }
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { server.port }

    /// The base URL, e.g. `http://127.0.0.1:8123/v1`.
    public var baseURL: String { "http://\(configuration.host):\(port)/v1" }

    /// A snapshot of the counters.
    public func stats() -> MockTeacherStats { state.snapshot(connections: server.stats()) }

    /// A snapshot of the batch API's statistics (files, batches, answers per custom id).
    public func batchStats() -> MockBatchStats { state.batches.snapshot() }

    /// The current status of every batch of the batch API, by batch id.
    public func batchStatuses() -> [String: String] { state.batches.statuses() }

    /// How many valid 200 completion answers were sent per request fingerprint
    /// (see ``RequestFingerprint``). HTML and truncated answers are not counted.
    public func servedFingerprints() -> [String: Int] { state.servedFingerprints() }
}
