/// Lease takeover statements, run on the writer connection: a lease of a process known to be gone is ended at
/// once, a lease of a process known to run is kept even past its expiry, and any other lease (another host, a
/// legacy owner value) ends when it expires.
enum LeaseRows {
    /// Liveness of lease owners, judged once per owner value within one claim.
    struct Judge {
        let view: ProcessView
        /// The claiming owner: its own leases count as alive for takeover, but stay claimable after expiry
        /// (an earlier runner of the same owner that ended without releasing them).
        let claimer: String?
        var cache: [String: LeaseOwner.Liveness] = [:]

        init(claimer: String?, view: ProcessView = .current) {
            self.claimer = claimer
            self.view = view
        }

        mutating func liveness(_ owner: String) -> LeaseOwner.Liveness {
            if owner == claimer { return .alive }
            if let known = cache[owner] { return known }
            let value = LeaseOwner(parsing: owner)?.liveness(seenFrom: view) ?? .unknown
            cache[owner] = value
            return value
        }

        /// Whether a job whose lease expired may be claimed: unless another process of this host that still
        /// runs holds it (its renewal may just be late: a stalled disk, a stopped terminal).
        mutating func claimableAfterExpiry(_ owner: String) -> Bool {
            owner == claimer || liveness(owner) != .alive
        }
    }

    /// Jobs leased per owner, over the whole database or one sweep.
    static func holdings(_ db: SQLiteDatabase, sweepId: Int64? = nil) throws -> [LeaseHolding] {
        let scope = sweepId == nil ? "" : " AND EXISTS (SELECT 1 FROM sweep_jobs sj WHERE sj.sweep_id = ?1 AND sj.job_id = j.id)"
        return try db.with("""
            SELECT j.lease_owner, count(*), max(j.lease_expires) FROM jobs j WHERE j.state = 'leased'\(scope)
            GROUP BY j.lease_owner ORDER BY j.lease_owner
            """) { s in
            if let sweepId { try s.bind(sweepId, at: 1) }
            var out: [LeaseHolding] = []
            while try s.step() { out.append(LeaseHolding(owner: s.string(0), jobs: s.int(1), expires: s.double(2))) }
            return out
        }
    }

    /// Returns to pending every job leased to an owner known dead; returns what was taken per owner.
    static func releaseDead(_ db: SQLiteDatabase, judge: inout Judge, now: Double) throws -> [LeaseHolding] {
        let dead = try holdings(db).filter { judge.liveness($0.owner) == .dead }
        for holding in dead {
            try db.with("""
                UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = ?2
                WHERE state = 'leased' AND lease_owner = ?1
                """) { s in
                try s.bind(holding.owner, at: 1); try s.bind(now, at: 2); try s.run()
            }
        }
        return dead
    }
}
