/// What ``RunQueueStore/enqueueRun(_:)`` did.
public struct RunSummary: Sendable, Equatable {
    /// The run's id (printed by `harvest sweep NAME`).
    public var runId: Int64
    /// The sweep's id.
    public var sweepId: Int64
    /// True when the sweep already had an active run, which was reused (nothing is queued twice).
    public var reused: Bool
    /// Jobs linked to the run that are not done or failed yet (what the daemon will send).
    public var queued: Int
    /// What creating or refreshing the sweep's jobs did.
    public var sweep: SweepSummary
    /// `active`, or `done` when nothing was missing.
    public var state: RunState

    /// Creates a summary.
    public init(runId: Int64, sweepId: Int64, reused: Bool, queued: Int, sweep: SweepSummary, state: RunState) {
        self.runId = runId
        self.sweepId = sweepId
        self.reused = reused
        self.queued = queued
        self.sweep = sweep
        self.state = state
    }
}
