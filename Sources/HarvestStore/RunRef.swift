/// A run with its sweep, for logs.
public struct RunRef: Sendable, Equatable {
    /// Run id.
    public var runId: Int64
    /// Sweep id.
    public var sweepId: Int64
    /// Sweep name.
    public var sweepName: String

    /// Creates a reference.
    public init(runId: Int64, sweepId: Int64, sweepName: String) {
        self.runId = runId
        self.sweepId = sweepId
        self.sweepName = sweepName
    }
}
