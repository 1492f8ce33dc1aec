import HarvestCore

/// An active run and the teacher its jobs need (see ``RunQueueStore/activeRuns()``).
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
