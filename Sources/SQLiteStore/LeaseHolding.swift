/// Jobs leased to one owner: who holds them, how many, and until when at the latest.
public struct LeaseHolding: Sendable, Equatable {
    /// The stored `lease_owner` value (see ``LeaseOwner``).
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

    /// The owner's identity, when it is in the ``LeaseOwner`` format.
    public var parsedOwner: LeaseOwner? { LeaseOwner(parsing: owner) }

    /// Whether the owner still runs, as far as this machine can tell (``LeaseOwner/Liveness/unknown`` for other
    /// hosts and legacy owner values).
    public var liveness: LeaseOwner.Liveness { parsedOwner?.liveness ?? .unknown }
}
