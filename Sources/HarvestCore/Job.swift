/// A unit of paid work: one prompt × teacher × sampling parameters × sample index.
public struct Job: Sendable, Equatable {
    /// Row id in the store.
    public var id: Int64
    /// The 32-byte idempotency key (see ``JobKey``).
    public var key: [UInt8]
    /// Stored prompt id.
    public var promptId: Int64
    /// The conversation to send.
    public var messages: [ChatMessage]
    /// Where to send it.
    public var teacher: TeacherEndpoint
    /// With which parameters.
    public var params: SamplingParams
    /// Which sample of this prompt (0-based).
    public var sampleIndex: Int
    /// Attempts made so far (across runs).
    public var attempts: Int

    /// Creates a job.
    public init(id: Int64, key: [UInt8], promptId: Int64, messages: [ChatMessage], teacher: TeacherEndpoint,
                params: SamplingParams, sampleIndex: Int, attempts: Int = 0) {
        self.id = id
        self.key = key
        self.promptId = promptId
        self.messages = messages
        self.teacher = teacher
        self.params = params
        self.sampleIndex = sampleIndex
        self.attempts = attempts
    }
}

/// Lifecycle of a job in the store.
public enum JobState: String, Sendable, CaseIterable {
    /// Waiting to be sent.
    case pending
    /// Claimed by a runner (lease owner and expiry set).
    case leased
    /// A response is committed. Never sent again.
    case done
    /// Gave up (fatal 4xx or retries exhausted). A re-run of the sweep puts it back to pending.
    case failed
}

/// How one attempt ended.
public enum AttemptOutcome: String, Sendable {
    /// A response was received, decoded and committed.
    case success
    /// Failed; the job will be tried again.
    case retry
    /// Failed; the job is marked failed.
    case fatal
    /// Cancelled by shutdown before an answer arrived; the job goes back to pending.
    case cancelled
}

/// A record of one request to the teacher, kept for every attempt.
public struct AttemptRecord: Sendable, Equatable {
    /// Job it belongs to.
    public var jobId: Int64
    /// Unix time (seconds, fractional) when the request was sent.
    public var startedAt: Double
    /// Wall-clock latency in milliseconds.
    public var latencyMs: Double
    /// HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// Outcome.
    public var outcome: AttemptOutcome
    /// Error text for people (no secrets), nil on success.
    public var error: String?
    /// The lease owner that sent the request. A final failure ends the job only while it is still leased to this
    /// owner (a runner presumed dead whose lease was taken over cannot fail the new holder's job); nil: any state.
    public var owner: String?

    /// Creates a record.
    public init(jobId: Int64, startedAt: Double, latencyMs: Double, httpStatus: Int?, outcome: AttemptOutcome, error: String? = nil,
                owner: String? = nil) {
        self.jobId = jobId
        self.startedAt = startedAt
        self.latencyMs = latencyMs
        self.httpStatus = httpStatus
        self.outcome = outcome
        self.error = error
        self.owner = owner
    }
}

/// A response to store for a job: the decoded teacher answer (one choice) plus receipt data.
public struct ResponseRecord: Sendable, Equatable {
    /// Job it answers.
    public var jobId: Int64
    /// The decoded choice (content, reasoning, finish reason, logprobs).
    public var choice: CompletionChoice
    /// Usage as reported.
    public var usage: Usage?
    /// Model the server reported.
    public var model: String?
    /// Response id the server reported.
    public var responseId: String?
    /// `system_fingerprint`, when sent.
    public var systemFingerprint: String?
    /// Unix time (seconds, fractional) when the body was received.
    public var receivedAt: Double
    /// The raw response body, kept only when the user asks for it (`--keep-raw`).
    public var rawBody: [UInt8]?

    /// Creates a record.
    public init(jobId: Int64, choice: CompletionChoice, usage: Usage? = nil, model: String? = nil, responseId: String? = nil,
                systemFingerprint: String? = nil, receivedAt: Double, rawBody: [UInt8]? = nil) {
        self.jobId = jobId
        self.choice = choice
        self.usage = usage
        self.model = model
        self.responseId = responseId
        self.systemFingerprint = systemFingerprint
        self.receivedAt = receivedAt
        self.rawBody = rawBody
    }
}

/// The store seam the sweep runner works against. `SQLiteStore` is the production conformer.
public protocol JobStore: Sendable {
    /// Leases up to `limit` pending jobs of `sweepId` (or whose lease expired) to `owner` for `leaseSeconds`.
    func claimJobs(sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double) async throws -> [Job]
    /// Records a failed attempt. `final` marks the job failed and ends the lease; otherwise the job stays leased
    /// to the caller, which retries it (so no other claim can send it meanwhile).
    func recordFailure(_ attempt: AttemptRecord, final: Bool) async throws
    /// Atomically records the successful attempt, stores the response and marks the job done.
    /// Returns only after the transaction is committed. A job already done is left unchanged (no second response).
    func commitSuccess(_ attempt: AttemptRecord, response: ResponseRecord) async throws
    /// Returns leased jobs to pending (graceful stop).
    func release(jobIds: [Int64], owner: String) async throws
    /// Extends the lease of jobs still leased to `owner` to `leaseSeconds` from now, so a job that waits for
    /// admission or is retried for a long time is never claimed (and paid for) by another runner.
    /// Jobs that are done, failed or leased to someone else are left alone.
    func renewLeases(jobIds: [Int64], owner: String, leaseSeconds: Double) async throws
}

extension JobStore {
    /// Default for stores without leases that can expire: does nothing.
    public func renewLeases(jobIds: [Int64], owner: String, leaseSeconds: Double) async throws {}
}
