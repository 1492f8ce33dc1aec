/// An error a store backend throws that can mean "the database cannot take writes now" (a client–server
/// database unreachable, shutting down or failed over to a read-only standby), as opposed to a statement that is
/// wrong. The sweep runner treats such an error like a full disk: it stops claiming, keeps paid answers (the
/// rescue file) and the store reports itself unhealthy until a write succeeds again.
public protocol StoreOutageError: Error {
    /// True when this error is an outage (retrying later may succeed); false for an error of the statement itself.
    var isOutage: Bool { get }
}
