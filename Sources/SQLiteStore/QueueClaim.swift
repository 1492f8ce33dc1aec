import HarvestCore

/// What one ``SQLiteStore/claimQueued(teacher:owner:limit:leaseSeconds:cursors:)`` did.
public struct QueueClaim: Sendable {
    /// The jobs leased to the caller.
    public var jobs: [Job]
    /// Per run, the highest pending job id handed out so far; pass it to the next claim so finished jobs are
    /// not scanned again (an opaque hint: an empty dictionary is always correct, only slower).
    public var cursors: [Int64: Int64]
    /// Runs this claim found settled (no pending or leased job left) and marked `done`.
    public var finishedRuns: [RunRef]
    /// Runs this claim found at or over their budget and marked `budget`.
    public var budgetStoppedRuns: [RunRef]

    /// Creates a claim result.
    public init(jobs: [Job], cursors: [Int64: Int64], finishedRuns: [RunRef], budgetStoppedRuns: [RunRef]) {
        self.jobs = jobs
        self.cursors = cursors
        self.finishedRuns = finishedRuns
        self.budgetStoppedRuns = budgetStoppedRuns
    }
}

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

/// An active run and the teacher its jobs need (see ``SQLiteStore/activeRuns()``).
public struct ActiveRun: Sendable, Equatable {
    /// The run.
    public var run: RunRef
    /// The teacher's identity, model and endpoint kind (base URL as last stored).
    public var teacher: TeacherEndpoint

    /// Creates an entry.
    public init(run: RunRef, teacher: TeacherEndpoint) {
        self.run = run
        self.teacher = teacher
    }
}
