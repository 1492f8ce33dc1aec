import HarvestCore

/// What one ``RunQueueStore/claimQueued(teacher:owner:limit:leaseSeconds:cursors:)`` did.
public struct QueueClaim: Sendable {
    /// The jobs leased to the caller.
    public var jobs: [Job]
    /// Per run, the highest pending job id handed out so far; pass it to the next claim so finished jobs are
    /// not scanned again (an opaque hint: an empty dictionary is always correct, only slower).
    public var cursors: [Int64: Int64]
    /// Runs this claim found settled (no pending or leased job left) and marked `done`.
    public var finishedRuns: [RunRef]
    /// Runs this claim found at or over their budget and marked `budget`.
    public var budgetStoppedRuns: [RunRef]

    /// Creates a claim result.
    public init(jobs: [Job], cursors: [Int64: Int64], finishedRuns: [RunRef], budgetStoppedRuns: [RunRef]) {
        self.jobs = jobs
        self.cursors = cursors
        self.finishedRuns = finishedRuns
        self.budgetStoppedRuns = budgetStoppedRuns
    }
}
