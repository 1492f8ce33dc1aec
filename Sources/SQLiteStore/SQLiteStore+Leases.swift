import HarvestCore

/// Lease takeover after a crash.
///
/// Every claim (``claimJobs(sweepId:owner:limit:leaseSeconds:)`` and
/// ``claimQueued(teacher:owner:limit:leaseSeconds:cursors:)``) first returns to pending the jobs of lease owners
/// known to be gone — a process of this host (and pid namespace) whose pid and start time no longer run, or any
/// owner of this host from before a reboot — so a sweep run again after `kill -9` continues at once. A lease
/// whose expiry passed is taken over too, unless its owner is a process of this host that still runs: a live
/// owner keeps its jobs, so two live processes on one database never send the same job. Owners on other hosts
/// (and legacy owner values) lose their jobs only when their leases expire.
extension SQLiteStore {
    /// Returns to pending every job leased to an owner known to be gone; returns what was taken, per owner.
    /// Claims do this by themselves; call it to report the takeover before a run starts.
    public func takeOverDeadLeases() async throws -> [LeaseHolding] {
        try await write { db in
            var judge = LeaseRows.Judge(claimer: nil)
            return try LeaseRows.releaseDead(db, judge: &judge, now: unixNow())
        }
    }

    /// Jobs leased now, per owner: of sweep `sweepId`, or of the whole database when nil.
    public func leaseHoldings(sweepId: Int64? = nil) throws -> [LeaseHolding] {
        try read { db in try LeaseRows.holdings(db, sweepId: sweepId) }
    }
}
