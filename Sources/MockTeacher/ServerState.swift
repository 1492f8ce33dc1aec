#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State shared by the accept thread, the connection threads and ``MockTeacherServer``:
/// configuration, statistics, fingerprint ledgers and the set of open connections.
final class ServerState: @unchecked Sendable {
    let configuration: MockTeacherConfiguration
    let vocabulary: Vocabulary
    /// The read end of a pipe that becomes readable when the server stops; sleeping threads poll it.
    let wakeFD: Int32
    /// Files and batches of the batch API.
    let batches: MockBatchStore
    private let wakeWriteFD: Int32

    private let lock = ConditionLock()
    private var stats = MockTeacherStats()
    private var served: [String: Int] = [:]
    private var attempts: [String: Int] = [:]
    private var connections: Set<Int32> = []
    private var stopping = false

    init(configuration: MockTeacherConfiguration) {
        self.configuration = configuration
        vocabulary = Vocabulary(seed: configuration.vocabularySeed)
        batches = MockBatchStore(faults: configuration.batch, model: configuration.model, vocabulary: vocabulary,
                                 vocabularySeed: configuration.vocabularySeed)
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        }
        wakeFD = ends[0]
        wakeWriteFD = ends[1]
    }

    deinit {
        _ = Glibc.close(wakeFD)
        _ = Glibc.close(wakeWriteFD)
    }

    // MARK: Connections

    /// Registers an accepted connection; false once the server is stopping.
    func register(connection fd: Int32) -> Bool {
        lock.withLock {
            if stopping { return false }
            connections.insert(fd)
            stats.connectionsAccepted += 1
            stats.openConnections += 1
            return true
        }
    }

    /// Unregisters and closes a connection; called by its thread as it ends.
    func close(connection fd: Int32) {
        lock.withLock { _ = connections.remove(fd) }
        _ = Glibc.close(fd)
        lock.withLock { stats.openConnections -= 1 }
        lock.broadcast()
    }

    /// Whether ``stop()`` has begun.
    var isStopping: Bool { lock.withLock { stopping } }

    /// Marks the server as stopping and wakes every sleeping thread.
    func beginStop() {
        lock.withLock { stopping = true }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }

    /// Shuts down every open connection (waking blocked reads and writes) and waits for
    /// all connection threads to finish.
    func closeAllConnectionsAndWait() {
        lock.withLock {
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        lock.wait { stats.openConnections == 0 }
    }

    // MARK: Statistics

    /// Counts one complete request.
    func recordRequest() {
        lock.withLock { stats.requestsReceived += 1 }
    }

    /// Counts one attempt at the job `fingerprint` and returns its zero-based attempt number.
    func nextAttempt(of fingerprint: String) -> Int {
        lock.withLock {
            let n = attempts[fingerprint, default: 0]
            attempts[fingerprint] = n + 1
            return n
        }
    }

    /// Counts a response (status, fault, and a valid completion for `servedFingerprint`).
    func recordResponse(status: Int?, fault: MockFaultKind? = nil, servedFingerprint: String? = nil) {
        lock.withLock {
            if let status { stats.responsesByStatus[status, default: 0] += 1 }
            if let fault { stats.faultsInjected[fault, default: 0] += 1 }
            if let servedFingerprint {
                served[servedFingerprint, default: 0] += 1
                stats.completionsServed += 1
            }
        }
    }

    /// Takes back a completion that could not be sent (the peer was gone).
    func retractServed(_ fingerprint: String) {
        lock.withLock {
            served[fingerprint, default: 1] -= 1
            if served[fingerprint] == 0 { served[fingerprint] = nil }
            stats.completionsServed -= 1
        }
    }

    /// A snapshot of the statistics.
    func snapshot() -> MockTeacherStats { lock.withLock { stats } }

    /// Valid 200 answers per fingerprint.
    func servedFingerprints() -> [String: Int] { lock.withLock { served } }
}
