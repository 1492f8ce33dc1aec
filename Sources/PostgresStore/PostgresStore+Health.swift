import Foundation
import HarvestCore
import SQLiteStore

/// Health after connection loss: the store's answer to "can the database take writes now?", with the same shape as
/// ``SQLiteStore``'s disk-full handling so the daemon treats both alike (stop claiming, rescue paid answers, report
/// unhealthy, resume after a successful probe and the rescue import).
extension PostgresStore {
    /// The outage seen since the last successful ``retryWrites(beforeClaims:)`` (connection lost or refused, server
    /// shutting down, disk full, read-only standby), nil while the database takes writes. While it is set, claims
    /// return nothing: an answer paid now might not be storable.
    public var writeRefusal: WriteRefusal? {
        pool.outage.map { WriteRefusal(reason: $0.reason, diskFull: $0.sqlstate == "53100", since: $0.since) }
    }

    /// Whether the database took the last calls (no outage recorded).
    public var isHealthy: Bool { pool.outage == nil }

    /// Ends a ``writeRefusal`` once the database is reachable again: a statement succeeds (reconnecting the
    /// connection, within its backoff) and `beforeClaims` (e.g. the rescue import) succeeds; only then do claims
    /// resume. Returns true when the database takes writes (also when it never refused; `beforeClaims` then does
    /// not run).
    public func retryWrites(beforeClaims: @Sendable () async throws -> Void = {}) async -> Bool {
        guard pool.outage != nil else { return true }
        do {
            try await pool.perform { c -> Void in
                try c.execute("INSERT INTO meta(key, value) VALUES('last_write_probe', $1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                              [.text(String(Int(Date().timeIntervalSince1970)))])
            }
            try await beforeClaims()
        } catch {
            pool.observe(error)
            return false
        }
        pool.clearOutage()
        return true
    }
}
