/// Settings of batch mode for one teacher: file limits, price, polling.
public struct BatchSettings: Sendable, Equatable {
    /// Lines per input file at most (OpenAI: 50,000).
    public var maxRequestsPerFile: Int
    /// Bytes per input file at most (OpenAI: 200 MB).
    public var maxBytesPerFile: Int
    /// Multiplier on the teacher's prices for answers that come through a batch (OpenAI: 0.5).
    public var priceFactor: Double
    /// First poll interval in seconds; it grows ×1.5 while nothing changes, up to ``maxPollSeconds``.
    public var pollSeconds: Double
    /// Longest poll interval in seconds.
    public var maxPollSeconds: Double
    /// Submission rounds per run: a round resubmits only the lines that failed or expired in the previous one.
    public var maxRounds: Int
    /// The provider's completion window (`24h` on OpenAI).
    public var completionWindow: String
    /// The provider's batch API (`batch_wire`).
    public var wire: BatchWire = .openai

    /// Creates settings; the defaults are OpenAI's limits and price.
    public init(maxRequestsPerFile: Int = 50_000, maxBytesPerFile: Int = 200_000_000, priceFactor: Double = 0.5,
                pollSeconds: Double = 5, maxPollSeconds: Double = 60, maxRounds: Int = 3, completionWindow: String = "24h") {
        self.maxRequestsPerFile = maxRequestsPerFile
        self.maxBytesPerFile = maxBytesPerFile
        self.priceFactor = priceFactor
        self.pollSeconds = pollSeconds
        self.maxPollSeconds = maxPollSeconds
        self.maxRounds = maxRounds
        self.completionWindow = completionWindow
    }
}
