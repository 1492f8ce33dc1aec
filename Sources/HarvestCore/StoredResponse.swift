/// A stored response joined with its prompt and job, as read for export and inspection.
public struct StoredResponse: Sendable, Equatable {
    /// `responses.id`.
    public var id: Int64
    /// Job it answers.
    public var jobId: Int64
    /// Prompt id.
    public var promptId: Int64
    /// Hex content hash of the prompt.
    public var promptHash: String
    /// The prompt's id within the selected set (nil when not selected by set).
    public var externalId: String?
    /// The prompt's metadata JSON within the selected set.
    public var metadataJSON: String?
    /// The conversation that was sent.
    public var messages: [ChatMessage]
    /// Teacher asked.
    public var teacher: TeacherEndpoint
    /// Sampling parameters sent.
    public var params: SamplingParams
    /// Sample index.
    public var sampleIndex: Int
    /// The answer (logprobs decoded only when asked for).
    public var choice: CompletionChoice
    /// Usage.
    public var usage: Usage?
    /// Model the server reported.
    public var model: String?
    /// Server's response id.
    public var responseId: String?
    /// Unix time received.
    public var receivedAt: Double
    /// The answer's token ids and logprobs in flat columns, set instead of `choice.logprobs` when the reader asked
    /// for them (the `kd` export: `ResponseQuery.logprobColumns`); nil otherwise.
    public var logprobColumns: LogprobColumns?

    /// Creates a stored response.
    public init(id: Int64, jobId: Int64, promptId: Int64, promptHash: String, externalId: String?, metadataJSON: String?,
                messages: [ChatMessage], teacher: TeacherEndpoint, params: SamplingParams, sampleIndex: Int,
                choice: CompletionChoice, usage: Usage?, model: String?, responseId: String?, receivedAt: Double) {
        self.id = id
        self.jobId = jobId
        self.promptId = promptId
        self.promptHash = promptHash
        self.externalId = externalId
        self.metadataJSON = metadataJSON
        self.messages = messages
        self.teacher = teacher
        self.params = params
        self.sampleIndex = sampleIndex
        self.choice = choice
        self.usage = usage
        self.model = model
        self.responseId = responseId
        self.receivedAt = receivedAt
    }
}
