import HarvestStore
import Synchronization

/// The provider batches as the batch service last read them (counts per state and the open batches), for the
/// metrics endpoint, which answers on its own thread and cannot wait for an asynchronous (PostgreSQL) read.
final class BatchMetricsCache: Sendable {
    private let value = Mutex<(counts: [BatchStateCount], open: [BatchRecord])?>(nil)

    /// The latest read, nil before the first one (or when the last one failed).
    var snapshot: (counts: [BatchStateCount], open: [BatchRecord])? { value.withLock { $0 } }

    /// Keeps a read (nil: unknown).
    func set(_ snapshot: (counts: [BatchStateCount], open: [BatchRecord])?) { value.withLock { $0 = snapshot } }
}
