/// How ``SQLiteStore`` opens and writes its database.
public struct StoreOptions: Sendable, Hashable {
    /// SQLite `synchronous` level of the writer connection.
    public enum Synchronous: String, Sendable, Hashable {
        /// fsync the WAL at every commit: a committed response survives power loss (the default).
        case full = "FULL"
        /// fsync only at checkpoints: survives a crash of harvest, but the last commits can be lost on power loss.
        case normal = "NORMAL"
    }

    /// Durability of commits. Default ``Synchronous/full``.
    public var synchronous: Synchronous
    /// How long a connection waits for another process's lock before failing with `SQLITE_BUSY`. Default 5000 ms.
    public var busyTimeoutMs: Int
    /// Most write operations committed in one transaction by the writer. Default 256.
    public var groupCommitMaxBatch: Int
    /// How long the writer waits for more operations to join a batch when writers are concurrent. Default 2 ms.
    public var groupCommitMaxDelayMs: Double
    /// Recorded in `meta.created_by` when the file is created.
    public var createdBy: String
    /// Disk space held back in `<database>.reserve` while the store is open, released when the disk fills up so
    /// the answers in flight can still be committed or rescued (see ``WriteRefusal``). 0 (the default) keeps no
    /// reserve; `harvest sweep --run` and `harvest serve` use ``defaultReserveBytes``.
    public var reserveBytes: Int
    /// Checkpoint the WAL into the database file and truncate it when the store closes (`wal_checkpoint(TRUNCATE)`),
    /// so the main file alone holds every commit. For the processes that write answers (`sweep --run`, `serve`); off
    /// for short commands, whose checkpoint would briefly hold up a running daemon's writer. Default false.
    public var checkpointOnClose: Bool
    /// Reserve of the commands that pay for answers: 8 MiB.
    public static let defaultReserveBytes = 8 << 20

    /// The reserve of the commands that pay for answers: `HARVEST_RESERVE_MB` (MiB, 0 = none) from `environment`,
    /// else ``defaultReserveBytes``.
    public static func reserveBytes(environment: [String: String]) -> Int {
        guard let text = environment["HARVEST_RESERVE_MB"], let mib = Int(text), mib >= 0, mib <= 1 << 20 else { return defaultReserveBytes }
        return mib << 20
    }

    /// Creates options; the defaults favour durability.
    public init(synchronous: Synchronous = .full, busyTimeoutMs: Int = 5000, groupCommitMaxBatch: Int = 256,
                groupCommitMaxDelayMs: Double = 2, createdBy: String = "harvest", reserveBytes: Int = 0,
                checkpointOnClose: Bool = false) {
        self.synchronous = synchronous
        self.busyTimeoutMs = busyTimeoutMs
        self.groupCommitMaxBatch = groupCommitMaxBatch
        self.groupCommitMaxDelayMs = groupCommitMaxDelayMs
        self.createdBy = createdBy
        self.reserveBytes = max(0, reserveBytes)
        self.checkpointOnClose = checkpointOnClose
    }
}

/// Counters of the group-commit writer, for metrics: `operations / transactions` is the mean batch size.
public struct GroupCommitStats: Sendable, Equatable {
    /// Write transactions committed.
    public var transactions: Int = 0
    /// Write operations committed (claims, commits, failures, releases, imports, sweeps).
    public var operations: Int = 0
}
