/// Progress, speed and spend of one queued run, as shown by `harvest status`.
public struct RunStatus: Sendable, Equatable {
    /// Run id.
    public var id: Int64
    /// Sweep id.
    public var sweepId: Int64
    /// Sweep name.
    public var sweepName: String
    /// State as stored. A run shown `active` with nothing open is settled by the next claim.
    public var state: RunState
    /// Unix time it was queued.
    public var createdAt: Double
    /// Unix time it became `done` or `budget`.
    public var finishedAt: Double?
    /// Most it may spend (nil = no limit).
    public var budget: Double?
    /// What its answers cost so far.
    public var spent: Double
    /// Answers paid for so far (duplicates included).
    public var answers: Int
    /// Who queued it.
    public var requestedBy: String?
    /// Jobs linked to it.
    public var total: Int
    /// Linked jobs waiting to be sent.
    public var pending: Int
    /// Linked jobs leased to a daemon.
    public var leased: Int
    /// Linked jobs answered.
    public var done: Int
    /// Linked jobs given up on.
    public var failed: Int
    /// Prompt tokens of its answers.
    public var promptTokens: Int
    /// Completion tokens of its answers.
    public var completionTokens: Int
    /// Answers received in the last ``recentWindow`` seconds.
    public var recentAnswers: Int
    /// Seconds over which ``recentAnswers`` were counted (60, or the run's age when younger, at least 1).
    public var recentWindow: Double

    /// Creates a status.
    public init(id: Int64, sweepId: Int64, sweepName: String, state: RunState, createdAt: Double, finishedAt: Double?,
                budget: Double?, spent: Double, answers: Int, requestedBy: String?, total: Int, pending: Int, leased: Int,
                done: Int, failed: Int, promptTokens: Int, completionTokens: Int, recentAnswers: Int, recentWindow: Double) {
        self.id = id
        self.sweepId = sweepId
        self.sweepName = sweepName
        self.state = state
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.budget = budget
        self.spent = spent
        self.answers = answers
        self.requestedBy = requestedBy
        self.total = total
        self.pending = pending
        self.leased = leased
        self.done = done
        self.failed = failed
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.recentAnswers = recentAnswers
        self.recentWindow = recentWindow
    }

    /// Jobs not settled yet.
    public var open: Int { pending + leased }

    /// Answers per second over the recent window.
    public var requestsPerSecond: Double { Double(recentAnswers) / max(1, recentWindow) }

    /// Seconds until every open job is answered at the recent rate; nil when nothing moves or nothing is open.
    public var etaSeconds: Double? {
        guard open > 0, state == .active, requestsPerSecond > 0 else { return nil }
        return Double(open) / requestsPerSecond
    }

    /// Spend when every open job is answered at the mean cost so far (capped by nothing: compare with ``budget``).
    public var projectedSpend: Double {
        guard answers > 0, state == .active else { return spent }
        return spent + Double(open) * spent / Double(answers)
    }
}
