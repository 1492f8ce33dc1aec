/// How a ``MockTeacherServer`` listens and answers.
public struct MockTeacherConfiguration: Sendable {
    /// IPv4 address to bind (`"localhost"` means `127.0.0.1`).
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks an ephemeral port (read it back from ``MockTeacherServer/start()``).
    public var port: Int = 0
    /// The model id listed by `GET /v1/models`, and echoed when a request names none.
    public var model: String = "mock-teacher"
    /// Milliseconds of delay added before each completion answer (faults included).
    public var latencyMs: Double = 0
    /// Fault injection; ``MockFaults/none`` by default.
    public var faults: MockFaults = .none
    /// Seeds the vocabulary order, so different seeds give different (still deterministic) answers.
    public var vocabularySeed: UInt64 = 42
    /// Probability (0...1) that a choice ends early with `finish_reason: "stop"`, at a
    /// deterministic position. 0 (the default) means every answer runs to `max_tokens`
    /// unless a request `stop` string matches.
    public var earlyStopRate: Double = 0
    /// Whose answer shapes to imitate (vLLM by default, or SGLang's OpenAI routes).
    public var shape: MockServerShape = .vllm
    /// The batch API's timing and faults.
    public var batch = MockBatchFaults()
    /// `listen(2)` backlog.
    public var backlog: Int32 = 4096
    /// Stack size of each connection thread, in bytes.
    public var threadStackSize: Int = 1 << 20
    /// Largest accepted request body, in bytes (larger ones get 413).
    public var maxRequestBodyBytes: Int = 64 << 20
    /// Seconds a request head may take to arrive once it has begun (or from the accept, for a connection's first
    /// request); a client dripping its head slower is disconnected. Idle keep-alive connections are not timed.
    /// nil: no deadline.
    public var headDeadlineSeconds: Double? = 30
    /// On start, raise the process's soft open-file limit to its hard limit (one socket per connection).
    public var raiseFileDescriptorLimit: Bool = true

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        model: String = "mock-teacher",
        latencyMs: Double = 0,
        faults: MockFaults = .none,
        vocabularySeed: UInt64 = 42
    ) {
        self.host = host
        self.port = port
        self.model = model
        self.latencyMs = latencyMs
        self.faults = faults
        self.vocabularySeed = vocabularySeed
    }
}
