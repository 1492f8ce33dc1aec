/// Recovery on the job path: leases left by processes that are gone, and answers that were paid for but could not
/// be stored at the time (the rescue file).
public protocol RecoveryStore: Sendable {
    /// Returns to pending every job leased to an owner known to be gone (a process of this host that no longer
    /// runs); returns what was taken, per owner.
    func takeOverDeadLeases() async throws -> [LeaseHolding]
    /// Jobs leased now, per owner: of sweep `sweepId`, or of the whole database when nil.
    func leaseHoldings(sweepId: Int64?) async throws -> [LeaseHolding]
    /// Stores rescued answers exactly once per job (a job already answered keeps its answer); answers whose job key
    /// the database does not have are skipped and reported.
    func importRescued(_ answers: [RescuedAnswer]) async throws -> RescueImportCounts
}
