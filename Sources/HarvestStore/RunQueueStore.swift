import HarvestCore

/// The durable run queue of `harvest serve`: `harvest sweep NAME` queues a run, daemons claim the jobs of active
/// runs per teacher, renew their leases while they work and hand them back when they stop.
///
/// Every backend keeps these promises: queueing is idempotent (an active run is reused, nothing queued twice); two
/// claimers — threads or processes — never hold the same job; a job with a stored answer is never claimed again; a
/// run with a budget hands out only what the rest of its budget pays for; a settled run is marked `done`.
public protocol RunQueueStore: Sendable {
    /// Queues a run of sweep `request.sweepName` (importing `request.importing` first, in the same transaction).
    func enqueueRun(_ request: RunRequest) async throws -> RunSummary
    /// Leases up to `limit` jobs of the active runs of `teacher` (name, model, endpoint kind) to `owner` for
    /// `leaseSeconds`, oldest run first. `cursors` is the hint the previous claim returned (empty is always right).
    func claimQueued(teacher: TeacherEndpoint, owner: String, limit: Int, leaseSeconds: Double,
                     cursors: [Int64: Int64]) async throws -> QueueClaim
    /// Extends every lease held by `owner` to `leaseSeconds` from now; returns how many jobs it holds. A write:
    /// it also proves the database accepts writes.
    @discardableResult
    func renewLeases(owner: String, leaseSeconds: Double) async throws -> Int
    /// Hands every job still leased by `owner` back to pending (at shutdown); returns how many.
    @discardableResult
    func releaseAll(owner: String) async throws -> Int
    /// Writes the prices of the teacher with `teacher`'s name, model and kind (nil clears them); false when the
    /// database has no such teacher yet.
    @discardableResult
    func setPrices(teacher: TeacherEndpoint, inputPerMillion: Double?, outputPerMillion: Double?) async throws -> Bool
    /// The active runs with the teacher each needs.
    func activeRuns() async throws -> [ActiveRun]
    /// Jobs of active runs by state (the queue depth).
    func queueDepth() async throws -> [JobState: Int]
}
