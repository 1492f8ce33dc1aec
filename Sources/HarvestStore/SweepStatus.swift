/// Progress of one sweep, as shown by `harvest status`.
public struct SweepStatus: Sendable, Equatable {
    /// Sweep id.
    public var id: Int64
    /// Sweep name.
    public var name: String
    /// Prompt set it answers.
    public var setName: String
    /// Teacher model.
    public var model: String
    /// Teacher base URL.
    public var baseURL: String
    /// Unix time the sweep was first created.
    public var createdAt: Double
    /// Jobs linked to the sweep.
    public var total: Int
    /// Jobs waiting to be sent.
    public var pending: Int
    /// Jobs leased to a runner (including expired leases not yet reclaimed).
    public var leased: Int
    /// Jobs answered.
    public var done: Int
    /// Jobs given up on (a re-run of the sweep retries them).
    public var failed: Int
    /// Sum of `prompt_tokens` over the sweep's responses.
    public var promptTokens: Int
    /// Sum of `completion_tokens` over the sweep's responses.
    public var completionTokens: Int

    /// Creates a status.
    public init(id: Int64, name: String, setName: String, model: String, baseURL: String, createdAt: Double,
                total: Int, pending: Int, leased: Int, done: Int, failed: Int, promptTokens: Int, completionTokens: Int) {
        self.id = id
        self.name = name
        self.setName = setName
        self.model = model
        self.baseURL = baseURL
        self.createdAt = createdAt
        self.total = total
        self.pending = pending
        self.leased = leased
        self.done = done
        self.failed = failed
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}
