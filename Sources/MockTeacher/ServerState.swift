import LoopbackHTTP

/// State shared by the connection threads and ``MockTeacherServer``: configuration, statistics and
/// fingerprint ledgers (the connections themselves belong to the shared ``HTTPServer``).
final class ServerState: @unchecked Sendable {
    let configuration: MockTeacherConfiguration
    let vocabulary: Vocabulary
    /// Raised when the server stops; sleeping threads poll its pipe.
    let stop = StopSignal()
    /// The read end of the stop signal's pipe.
    var wakeFD: Int32 { stop.wakeFD }
    /// Files and batches of the batch API.
    let batches: MockBatchStore
    /// The bound base URL (`http://host:port/v1`), set by ``MockTeacherServer/start()`` (Anthropic `results_url`).
    var baseURL: String {
        get { lock.withLock { bound } }
        set { lock.withLock { bound = newValue } }
    }
    private var bound = ""

    private let lock = ConditionLock()
    private var stats = MockTeacherStats()
    private var served: [String: Int] = [:]
    private var attempts: [String: Int] = [:]

    init(configuration: MockTeacherConfiguration) {
        self.configuration = configuration
        vocabulary = Vocabulary(seed: configuration.vocabularySeed)
        batches = MockBatchStore(faults: configuration.batch, model: configuration.model, vocabulary: vocabulary,
                                 vocabularySeed: configuration.vocabularySeed)
    }

    // MARK: Statistics

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

    /// A snapshot of the statistics, with the socket layer's connection and request counts.
    func snapshot(connections: HTTPServerStats) -> MockTeacherStats {
        var copy = lock.withLock { stats }
        copy.requestsReceived = connections.requestsReceived
        copy.connectionsAccepted = connections.connectionsAccepted
        copy.openConnections = connections.openConnections
        return copy
    }

    /// Valid 200 answers per fingerprint.
    func servedFingerprints() -> [String: Int] { lock.withLock { served } }
}
