/// How `harvest serve` sends the jobs of a queued run (`sweep_runs.via`).
public enum RunVia: String, Sendable, CaseIterable {
    /// One HTTP request per job, claimed by the teacher's worker.
    case requests
    /// Through the teacher's batch API: never claimed by a worker; the daemon's batch service packs, submits,
    /// polls and collects.
    case batch
}
