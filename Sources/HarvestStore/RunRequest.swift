import HarvestCore

/// A request to queue a run of a sweep (see ``RunQueueStore/enqueueRun(_:)``).
public struct RunRequest: Sendable {
    /// Sweep name.
    public var sweepName: String
    /// Prompt set it answers.
    public var setName: String
    /// Teacher (its `name` is the identity in job keys).
    public var teacher: TeacherEndpoint
    /// Sampling parameters.
    public var params: SamplingParams
    /// Samples per prompt.
    public var samples: Int
    /// Most the run may spend; nil = no limit.
    public var budget: Double?
    /// Prices per million input and output tokens written to the teacher row; nil leaves them unknown.
    public var prices: (input: Double, output: Double)?
    /// Who asked (e.g. `cron`, `harvest sweep`, a user name), kept in `sweep_runs.requested_by`.
    public var requestedBy: String?
    /// Prompts to import into `setName` first, in the same transaction (the sweep's prompt file), and the file's name.
    public var importing: (prompts: [PromptInput], source: String)?
    /// How the daemon sends the run's jobs (a reused active run takes the new value).
    public var via: RunVia

    /// Creates a request.
    public init(sweepName: String, setName: String, teacher: TeacherEndpoint, params: SamplingParams, samples: Int,
                budget: Double? = nil, prices: (input: Double, output: Double)? = nil, requestedBy: String? = nil,
                importing: (prompts: [PromptInput], source: String)? = nil, via: RunVia = .requests) {
        self.sweepName = sweepName
        self.setName = setName
        self.teacher = teacher
        self.params = params
        self.samples = samples
        self.budget = budget
        self.prices = prices
        self.requestedBy = requestedBy
        self.importing = importing
        self.via = via
    }
}
