import HarvestStore

/// PostgreSQL behind the store seam. SQLite's write gate (a full disk, a read-only file) has no counterpart here:
/// the server refuses a statement with an error that the caller sees, and ``writeRefusal`` stays nil.
extension PostgresStore: HarvestDatabase {
    /// The database URL (it holds no password).
    public var location: String { url }

    /// Always nil: PostgreSQL has no local write gate.
    public var writeRefusal: WriteRefusal? { nil }

    /// Nothing to end: returns true without running `beforeClaims` (the daemon imports a rescue file at start and
    /// at shutdown).
    public func retryWrites(beforeClaims: @Sendable () async throws -> Void) async -> Bool { true }
}
