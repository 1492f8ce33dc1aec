/// What `harvest status` reads: per-sweep progress, the latest run of each sweep, spend (reads only; works
/// whether or not anything runs).
public protocol StatusStore: Sendable {
    /// Progress of every sweep, oldest first.
    func sweepStatuses() async throws -> [SweepStatus]
    /// The latest run of every sweep that has one; `now` (Unix seconds, nil = the current time) anchors the
    /// recent-rate window.
    func latestRuns(now: Double?) async throws -> [RunStatus]
    /// What each sweep's answers cost in total (sweep id → spend).
    func sweepSpend() async throws -> [Int64: Double]
}
