/// What ``SetupStore/createSweep(name:setName:teacher:params:samples:)`` did.
public struct SweepSummary: Sendable, Equatable {
    /// The sweep's id (the existing one when the sweep was created before).
    public var sweepId: Int64
    /// Jobs the sweep needs now: distinct prompts of the set × samples.
    public var totalJobs: Int
    /// Jobs created by this call (never asked before, by any sweep).
    public var newJobs: Int
    /// Jobs already answered (by this or another sweep); they will not be sent again.
    public var alreadyDone: Int
    /// Failed jobs put back to pending so that this run tries them again.
    public var requeuedFailed: Int

    /// Creates a summary.
    public init(sweepId: Int64, totalJobs: Int, newJobs: Int, alreadyDone: Int, requeuedFailed: Int) {
        self.sweepId = sweepId
        self.totalJobs = totalJobs
        self.newJobs = newJobs
        self.alreadyDone = alreadyDone
        self.requeuedFailed = requeuedFailed
    }
}
