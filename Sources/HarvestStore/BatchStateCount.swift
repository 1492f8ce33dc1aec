/// Batches in one state (see ``BatchStore/batchStateCounts()``).
public struct BatchStateCount: Sendable, Equatable {
    /// The provider's status (`validating`, `in_progress`, `finalizing`, `completed`, `expired`, `failed`,
    /// `cancelling`, `cancelled`), or harvest's stage `prepared`/`uploaded` before the batch exists at the provider.
    public var state: String
    /// True for collected (closed) batches.
    public var collected: Bool
    /// Batches.
    public var batches: Int
    /// Their lines.
    public var requests: Int
    /// Lines stored as answers.
    public var answered: Int
    /// Lines that came back as errors.
    public var errored: Int
    /// Lines returned to pending without a result.
    public var returned: Int

    /// Creates a count.
    public init(state: String, collected: Bool, batches: Int, requests: Int, answered: Int, errored: Int, returned: Int) {
        self.state = state
        self.collected = collected
        self.batches = batches
        self.requests = requests
        self.answered = answered
        self.errored = errored
        self.returned = returned
    }
}
