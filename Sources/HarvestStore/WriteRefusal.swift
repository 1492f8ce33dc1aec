/// The database refuses writes: the disk is full, or the file or its directory became read-only or unreachable.
///
/// While a store is in this state it claims no new jobs (claims return nothing), so nothing more is paid for that
/// could not be stored. `SQLiteStore.retryWrites()` ends the state once the disk has room again.
public struct WriteRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The refused write's error, for people.
    public var reason: String
    /// True when the error was a full disk (`SQLITE_FULL`), as opposed to a read-only or failing file system.
    public var diskFull: Bool
    /// Unix time of the first refused write.
    public var since: Double

    /// Creates a refusal.
    public init(reason: String, diskFull: Bool, since: Double) {
        self.reason = reason
        self.diskFull = diskFull
        self.since = since
    }

    /// One line for people.
    public var description: String { reason }
}
