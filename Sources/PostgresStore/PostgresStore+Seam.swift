import HarvestStore

/// PostgreSQL behind the store seam. Its write refusal is an outage (connection lost, server shutting down, disk
/// full, read-only standby): ``writeRefusal`` and ``retryWrites(beforeClaims:)`` are in PostgresStore+Health.
extension PostgresStore: HarvestDatabase {
    /// The database URL (it holds no password).
    public var location: String { url }
}
