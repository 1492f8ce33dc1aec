/// The state of a queued run (`sweep_runs.state`).
public enum RunState: String, Sendable, CaseIterable {
    /// Worked off by `harvest serve`.
    case active
    /// Every linked job is done or failed.
    case done
    /// Its spend reached its budget; its pending jobs wait for the next run of the sweep.
    case budget
}
