import Synchronization

/// Wake-ups of idle teacher workers: bumped when work may have been queued (a PostgreSQL `NOTIFY harvest_runs`, a
/// reconnected listener), so a worker waiting for `poll_seconds` looks for work at once.
final class WorkWakeups: Sendable {
    private let count = Atomic<Int>(0)

    /// A number that changes with every wake-up.
    var current: Int { count.load(ordering: .acquiring) }

    /// Wakes every idle worker.
    func wake() { count.add(1, ordering: .releasing) }
}
