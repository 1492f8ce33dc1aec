/// Jobs leased to one owner: who holds them, how many, and until when at the latest.
public struct LeaseHolding: Sendable, Equatable {
    /// The stored `lease_owner` value (`LeaseOwner` text in SQLiteStore: host, pid, start time, …).
    public var owner: String
    /// Jobs leased to it.
    public var jobs: Int
    /// Unix time the last of these leases expires unless renewed.
    public var expires: Double

    /// Creates a holding.
    public init(owner: String, jobs: Int, expires: Double) {
        self.owner = owner
        self.jobs = jobs
        self.expires = expires
    }
}
