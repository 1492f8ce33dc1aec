extension LeaseHolding {
    /// The owner's identity, when it is in the ``LeaseOwner`` format.
    public var parsedOwner: LeaseOwner? { LeaseOwner(parsing: owner) }

    /// Whether the owner still runs, as far as this machine can tell (``LeaseOwner/Liveness/unknown`` for other
    /// hosts and legacy owner values).
    public var liveness: LeaseOwner.Liveness { parsedOwner?.liveness ?? .unknown }
}
