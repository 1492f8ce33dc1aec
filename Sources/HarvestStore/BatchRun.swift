/// An active queued run sent through the teacher's batch API (`sweep_runs.via = 'batch'`), as the daemon's batch
/// service works it off.
public struct BatchRun: Sendable, Equatable {
    /// `sweep_runs.id`.
    public var runId: Int64
    /// Its sweep.
    public var sweepId: Int64
    /// The sweep's name.
    public var sweepName: String
    /// The teacher's name (its `teachers[]` entry in the daemon config).
    public var teacherName: String
    /// Most the run may spend; nil = no limit.
    public var budget: Double?
    /// Spent so far (answers stored at the batch price).
    public var spent: Double
    /// Worst-case cost of the run's sweep's open batches (reserved against the budget).
    public var reserved: Double
    /// The teacher's prices per million input and output tokens, when known.
    public var prices: (input: Double, output: Double)?

    /// Creates a record.
    public init(runId: Int64, sweepId: Int64, sweepName: String, teacherName: String, budget: Double?, spent: Double, reserved: Double,
                prices: (input: Double, output: Double)?) {
        self.runId = runId
        self.sweepId = sweepId
        self.sweepName = sweepName
        self.teacherName = teacherName
        self.budget = budget
        self.spent = spent
        self.reserved = reserved
        self.prices = prices
    }

    /// What the run may still commit to new files: budget − spent − reserved (nil without a budget).
    public var remaining: Double? { budget.map { max(0, $0 - spent - reserved) } }

    /// Equality by value (prices compared field by field).
    public static func == (a: BatchRun, b: BatchRun) -> Bool {
        a.runId == b.runId && a.sweepId == b.sweepId && a.sweepName == b.sweepName && a.teacherName == b.teacherName
            && a.budget == b.budget && a.spent == b.spent && a.reserved == b.reserved
            && a.prices?.input == b.prices?.input && a.prices?.output == b.prices?.output
    }
}
