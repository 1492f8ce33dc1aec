import HarvestCore
import Synchronization

/// The queue depth as last read by housekeeping, for readers that cannot wait for the database: the metrics
/// endpoint answers on its own thread, and a PostgreSQL store is read asynchronously.
final class QueueDepthCache: Sendable {
    private let value = Mutex<[JobState: Int]?>(nil)

    /// The latest depth read, nil before the first read (or when the last one failed).
    var depth: [JobState: Int]? { value.withLock { $0 } }

    /// Keeps `depth` (nil: unknown).
    func set(_ depth: [JobState: Int]?) { value.withLock { $0 = depth } }
}
