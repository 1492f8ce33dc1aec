/// Where a store is and whether it accepts writes, for the daemon's housekeeping and the commands' messages.
///
/// The write gate is SQLite's (a full disk, a read-only file): PostgreSQL reports no refusal here. Other
/// backend-specific chores (SQLite's WAL checkpoint and backup) are not part of the seam: callers ask for the
/// concrete store.
public protocol StoreMaintenance: Sendable {
    /// Where the store is, for messages (a file path, or a URL without a password).
    var location: String { get }
    /// Set while the database refuses writes; claims return nothing meanwhile. Nil when it accepts writes.
    var writeRefusal: WriteRefusal? { get }
    /// Tries to end a write refusal: runs `beforeClaims` (e.g. a rescue import) and returns true once writes are
    /// accepted again (true at once when there was no refusal).
    func retryWrites(beforeClaims: @Sendable () async throws -> Void) async -> Bool
    /// Finishes queued work and closes the store.
    func close()
}
