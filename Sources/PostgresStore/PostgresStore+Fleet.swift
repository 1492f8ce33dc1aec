import Foundation
import HarvestStore

/// Many daemons on one database: wake-ups when a run is queued, and heartbeats that divide each teacher's limits.
extension PostgresStore {
    /// The channel a run queued (or made active again) is announced on, payload the run id (migration *Fleet*).
    public static let runsChannel = "harvest_runs"

    /// Listens for queued runs on a dedicated connection (not one of the pool's) and calls `onEvent` on its thread;
    /// close the listener when done. See ``PostgresListener``.
    public func listenForRuns(onEvent: @escaping @Sendable (PostgresListener.Event) -> Void) throws -> PostgresListener {
        try PostgresListener(url: url, channels: [Self.runsChannel], onEvent: onEvent)
    }

    /// Announces run `runId` to listening daemons. Not needed after inserting or re-activating a `sweep_runs` row
    /// (a trigger does it at commit); for callers that change what a run may claim in other ways.
    public func notifyRunQueued(runId: Int64) async throws {
        try await pool.perform { c -> Void in
            try c.execute("SELECT pg_notify($1, $2)", [.text(Self.runsChannel), .text(String(runId))])
        }
    }

    /// Records that `owner` serves `teachers` now (one row per teacher, stamped with the server's clock), forgets its
    /// rows for other teachers, and returns its ``FleetShare`` of each teacher among the daemons whose heartbeat is
    /// younger than `ttlSeconds` (3 heartbeat intervals is a good value). Rows older than 10 × `ttlSeconds` are deleted.
    public func heartbeat(owner: String, teachers: [String], ttlSeconds: Double) async throws -> [String: FleetShare] {
        let now = Self.now
        return try await pool.transaction { c -> [String: FleetShare] in
            try c.execute("DELETE FROM fleet_members WHERE owner = $1 OR heartbeat_at < \(now) - $2", [.text(owner), .double(ttlSeconds * 10)])
            var shares: [String: FleetShare] = [:]
            for teacher in Set(teachers).sorted() {
                try c.execute("INSERT INTO fleet_members(teacher, owner, heartbeat_at) VALUES($1, $2, \(now))", [.text(teacher), .text(owner)])
                let r = try c.execute("""
                    SELECT count(*) FILTER (WHERE owner < $2), count(*) FROM fleet_members
                    WHERE teacher = $1 AND heartbeat_at >= \(now) - $3
                    """, [.text(teacher), .text(owner), .double(ttlSeconds)])
                shares[teacher] = FleetShare(rank: try r.int(0, 0), members: try r.int(0, 1))
            }
            return shares
        }
    }

    /// Removes `owner`'s heartbeat rows (a daemon shutting down), so the others take its part at their next heartbeat.
    public func leaveFleet(owner: String) async throws {
        try await pool.perform { c -> Void in try c.execute("DELETE FROM fleet_members WHERE owner = $1", [.text(owner)]) }
    }
}
