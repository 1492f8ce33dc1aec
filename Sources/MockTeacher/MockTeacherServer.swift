#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OpenAI-compatible teacher imitation: a real HTTP/1.1 server on loopback that answers
/// `/v1/chat/completions` and `/v1/completions` deterministically (with token logprobs),
/// lists its model at `/v1/models`, answers `/healthz`, and can inject faults.
///
/// Design: one blocking thread per connection plus one accept thread. With keep-alive clients
/// each request costs one `recv` and one `sendmsg`, with no event-loop bookkeeping, and latency,
/// stalls and resets are plain sequential code. Thousands of mostly idle connections cost
/// little (1 MiB of reserved, mostly untouched stack each).
///
/// ```swift
/// let server = MockTeacherServer(MockTeacherConfiguration())
/// let port = try server.start()
/// defer { server.stop() }
/// ```
public final class MockTeacherServer: @unchecked Sendable {
    private enum Phase { case idle, running, stopped }

    private let configuration: MockTeacherConfiguration
    private let state: ServerState
    private let lock = ConditionLock()
    private var phase = Phase.idle
    private var listenFD: Int32 = -1
    private var boundPort = 0
    private var acceptThread: pthread_t?
    private var finished = false

    /// Creates a server; nothing is bound until ``start()``.
    public init(_ configuration: MockTeacherConfiguration) {
        self.configuration = configuration
        state = ServerState(configuration: configuration)
    }

    deinit { stop() }

    /// Binds, listens and starts serving on background threads. Returns the bound port.
    /// Also ignores `SIGPIPE` process-wide (sends use `MSG_NOSIGNAL` anyway).
    @discardableResult
    public func start() throws -> Int {
        try lock.withLock { () throws(MockTeacherError) -> Int in
            guard phase == .idle else { throw .alreadyStarted }
            signal(SIGPIPE, SIG_IGN)
            if configuration.raiseFileDescriptorLimit { Self.raiseFileDescriptorLimit() }
            let (fd, port) = try SocketIO.listen(host: configuration.host, port: configuration.port,
                                                 backlog: configuration.backlog)
            let state = self.state
            let stackSize = configuration.threadStackSize
            guard let thread = NativeThread.start(stackSize: 256 * 1024, detached: false, {
                Self.acceptLoop(listenFD: fd, state: state, stackSize: stackSize)
            }) else {
                let text = SocketIO.errorText(errno)
                close(fd)
                throw .threadFailed(text)
            }
            listenFD = fd
            boundPort = port
            acceptThread = thread
            phase = .running
            return port
        }
    }

    /// Stops accepting, closes every connection (stalled and sleeping ones included) and waits
    /// for all server threads to finish. The port is free afterwards. Idempotent.
    public func stop() {
        let thread: pthread_t? = lock.withLock {
            guard phase == .running else {
                if phase == .idle { finished = true }
                phase = .stopped
                return nil
            }
            phase = .stopped
            return acceptThread
        }
        guard let thread else { return }
        state.beginStop()
        shutdown(listenFD, Int32(SHUT_RDWR))
        NativeThread.join(thread)
        state.closeAllConnectionsAndWait()
        close(listenFD)
        lock.withLock { finished = true }
        lock.broadcast()
    }

    /// Blocks the calling thread until ``stop()`` has finished (e.g. for a CLI that serves until
    /// a signal handler calls `stop()`). Returns at once if the server never started.
    public func waitUntilStopped() {
        lock.wait { finished || phase == .idle }
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { lock.withLock { boundPort } }

    /// The base URL, e.g. `http://127.0.0.1:8123/v1`.
    public var baseURL: String { "http://\(configuration.host):\(port)/v1" }

    /// A snapshot of the counters.
    public func stats() -> MockTeacherStats { state.snapshot() }

    /// A snapshot of the batch API's statistics (files, batches, answers per custom id).
    public func batchStats() -> MockBatchStats { state.batches.snapshot() }

    /// The current status of every batch of the batch API, by batch id.
    public func batchStatuses() -> [String: String] { state.batches.statuses() }

    /// How many valid 200 completion answers were sent per request fingerprint
    /// (see ``RequestFingerprint``). HTML and truncated answers are not counted.
    public func servedFingerprints() -> [String: Int] { state.servedFingerprints() }

    private static func acceptLoop(listenFD: Int32, state: ServerState, stackSize: Int) {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let code = errno
                if state.isStopping { return }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM { usleep(10_000) }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            SocketIO.setNoDelay(fd)
            guard state.register(connection: fd) else {
                close(fd)
                return
            }
            let started = NativeThread.start(stackSize: stackSize, detached: true) {
                HTTPConnection(fd: fd, state: state).run()
            }
            if started == nil { state.close(connection: fd) }
        }
    }

    private static func raiseFileDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
