#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The project's one HTTP/1.1 server socket layer, for loopback use (the mock teacher, the daemon's metrics
/// endpoint): one accept thread and one blocking thread per connection, keep-alive, `Content-Length` bodies,
/// `Expect: 100-continue`, and a deadline for request heads so a slow or silent client holds only its own
/// connection, never the others.
///
/// With keep-alive clients each request costs one `recv` and one `sendmsg`, with no event-loop bookkeeping, and
/// waits, stalls and resets in a responder are plain sequential code. Thousands of mostly idle connections cost
/// little (their stacks are reserved, mostly untouched).
///
/// ```swift
/// let server = HTTPServer(HTTPServerOptions(port: 0)) { MyResponder() }
/// let port = try server.start()
/// defer { server.stop() }
/// ```
public final class HTTPServer: @unchecked Sendable {
    private enum Phase { case idle, running, stopped }

    /// Makes the responder of a newly accepted connection.
    public typealias ResponderFactory = @Sendable () -> any HTTPResponder

    /// The options the server was created with.
    public let options: HTTPServerOptions
    /// Raised by ``stop()``; responders' waits poll it.
    public let stopSignal: StopSignal
    private let makeResponder: ResponderFactory
    private let lock = ConditionLock()
    private var phase = Phase.idle
    private var listenFD: Int32 = -1
    private var boundPort = 0
    private var acceptThread: pthread_t?
    private var connections: Set<Int32> = []
    private var counters = HTTPServerStats()

    /// Creates a server; nothing is bound until ``start()``. `stopSignal` may be shared with the responders' owner.
    public init(_ options: HTTPServerOptions, stopSignal: StopSignal = StopSignal(),
                responder: @escaping ResponderFactory) {
        self.options = options
        self.stopSignal = stopSignal
        makeResponder = responder
    }

    deinit { stop() }

    /// Binds, listens and starts the accept thread. Returns the bound port. Ignores `SIGPIPE` process-wide
    /// (sends use `MSG_NOSIGNAL` anyway).
    @discardableResult
    public func start() throws(LoopbackHTTPError) -> Int {
        try lock.withLock { () throws(LoopbackHTTPError) -> Int in
            guard phase == .idle else { throw .alreadyStarted }
            signal(SIGPIPE, SIG_IGN)
            if options.raiseFileDescriptorLimit { Self.raiseFileDescriptorLimit() }
            let (fd, port) = try SocketIO.listen(host: options.host, port: options.port, backlog: options.backlog)
            guard let thread = NativeThread.start(stackSize: 256 * 1024, detached: false, { [self] in acceptLoop(fd) }) else {
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

    /// Stops accepting, closes every connection (waiting and sleeping ones included) and waits for all server
    /// threads to finish. The port is free afterwards. Idempotent.
    public func stop() {
        let thread: pthread_t? = lock.withLock {
            defer { phase = .stopped }
            return phase == .running ? acceptThread : nil
        }
        guard let thread else { return }
        stopSignal.raise()
        shutdown(listenFD, Int32(SHUT_RDWR))
        NativeThread.join(thread)
        lock.withLock {
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        lock.wait { counters.openConnections == 0 }
        close(listenFD)
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { lock.withLock { boundPort } }

    /// A snapshot of the socket layer's counters.
    public func stats() -> HTTPServerStats { lock.withLock { counters } }

    // MARK: Connections

    private func acceptLoop(_ listener: Int32) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                let code = errno
                if stopSignal.isRaised { return }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM { usleep(10_000) }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if options.noDelay { SocketIO.setNoDelay(fd) }
            switch register(fd) {
            case .stopping:
                close(fd)
                return
            case .full:
                close(fd)
                continue
            case .registered:
                break
            }
            let responder = makeResponder
            let started = NativeThread.start(stackSize: options.threadStackSize, detached: true) { [self] in
                HTTPServerConnection(fd: fd, server: self, responder: responder()).run()
            }
            if started == nil { unregisterAndClose(fd) }
        }
    }

    private enum Registration { case registered, full, stopping }

    private func register(_ fd: Int32) -> Registration {
        lock.withLock {
            if stopSignal.isRaised { return .stopping }
            counters.connectionsAccepted += 1
            if let limit = options.maxConnections, connections.count >= limit {
                counters.connectionsRefused += 1
                return .full
            }
            connections.insert(fd)
            counters.openConnections += 1
            return .registered
        }
    }

    /// Unregisters and closes a connection; called by its thread as it ends.
    func unregisterAndClose(_ fd: Int32) {
        lock.withLock { _ = connections.remove(fd) }
        _ = close(fd)
        lock.withLock { counters.openConnections -= 1 }
        lock.broadcast()
    }

    /// Counts one request head read (or refused as too large).
    func countRequest() { lock.withLock { counters.requestsReceived += 1 } }

    /// Counts one connection cut for missing the head deadline.
    func countMissedDeadline() { lock.withLock { counters.headDeadlinesMissed += 1 } }

    private static func raiseFileDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
