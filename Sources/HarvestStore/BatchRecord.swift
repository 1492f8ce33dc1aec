import HarvestCore

/// Where a provider batch is in harvest's own lifecycle (the provider's status is ``BatchRecord/providerStatus``).
public enum BatchStage: String, Sendable, CaseIterable {
    /// Recorded with its jobs (leased to the batch); the input file is not uploaded yet (or its id was not recorded).
    case prepared
    /// The input file id is recorded; the batch may or may not have been created.
    case uploaded
    /// The provider's batch id is recorded; the batch runs at the provider.
    case submitted
    /// Results stored; unanswered jobs returned to pending. Final.
    case collected
}

/// One provider batch as stored (table `batches`).
public struct BatchRecord: Sendable, Equatable {
    /// `batches.id`.
    public var id: Int64
    /// Sweep whose jobs it carries.
    public var sweepId: Int64
    /// Random reference written into the file name and the batch metadata (finds a batch created before a crash).
    public var ref: String
    /// harvest's stage.
    public var stage: BatchStage
    /// The provider's last reported status (`validating`, `in_progress`, `finalizing`, `completed`, `expired`,
    /// `failed`, `cancelling`, `cancelled`), nil before the batch was created.
    public var providerStatus: String?
    /// Uploaded input file id.
    public var inputFileId: String?
    /// The provider's batch id.
    public var providerBatchId: String?
    /// Output file id, once reported.
    public var outputFileId: String?
    /// Error file id, once reported.
    public var errorFileId: String?
    /// Lines (jobs) in the input file.
    public var requests: Int
    /// Size of the input file in bytes.
    public var bytes: Int
    /// Multiplier applied to the teacher's prices for answers of this batch.
    public var priceFactor: Double
    /// Lines stored as answers.
    public var answered: Int
    /// Lines that came back as errors.
    public var errored: Int
    /// Jobs returned to pending without a result (expired, cancelled, failed batch).
    public var returned: Int
    /// The provider's last error message for the whole batch (validation failure), if any.
    public var lastError: String?
    /// Unix time the batch was recorded.
    public var createdAt: Double
    /// Unix time the daemon asks the provider next (nil: at once).
    public var nextPollAt: Double? = nil
    /// The poll interval the daemon's backoff grew to, in seconds (nil: not polled by a daemon yet).
    public var pollInterval: Double? = nil
    /// Worst-case cost of the file at the batch price, reserved against the run's budget while open (nil: unpriced).
    public var worstCost: Double? = nil
    /// The provider's batch API: `openai` (`/v1/batches`) or `anthropic` (Message Batches).
    public var wire: String = "openai"

    /// Creates a record (both backends read rows into it).
    public init(id: Int64, sweepId: Int64, ref: String, stage: BatchStage, providerStatus: String?, inputFileId: String?,
                providerBatchId: String?, outputFileId: String?, errorFileId: String?, requests: Int, bytes: Int, priceFactor: Double,
                answered: Int, errored: Int, returned: Int, lastError: String?, createdAt: Double, nextPollAt: Double? = nil,
                pollInterval: Double? = nil, worstCost: Double? = nil, wire: String = "openai") {
        self.id = id
        self.sweepId = sweepId
        self.ref = ref
        self.stage = stage
        self.providerStatus = providerStatus
        self.inputFileId = inputFileId
        self.providerBatchId = providerBatchId
        self.outputFileId = outputFileId
        self.errorFileId = errorFileId
        self.requests = requests
        self.bytes = bytes
        self.priceFactor = priceFactor
        self.answered = answered
        self.errored = errored
        self.returned = returned
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextPollAt = nextPollAt
        self.pollInterval = pollInterval
        self.worstCost = worstCost
        self.wire = wire
    }

    /// The lease owner of the batch's jobs while it is open: `batch:<id>`.
    public var leaseOwner: String { Self.leaseOwner(id) }

    /// `batch:<id>`.
    public static func leaseOwner(_ id: Int64) -> String { "batch:\(id)" }
}

/// The result of one line of a batch output or error file, as stored by ``BatchStore/applyBatchResults(batchId:results:maxAttempts:priceFactor:)``.
public enum BatchLineResult: Sendable {
    /// An answer: stored like a normal answer (attempt, response, job done) at the batch's price factor.
    case answer(attempt: AttemptRecord, response: ResponseRecord)
    /// A failed line: an attempt is recorded; the job goes back to pending (or failed when `fatal` or out of attempts).
    case error(attempt: AttemptRecord, fatal: Bool)
}

/// What applying a chunk of batch lines changed.
public struct BatchApplySummary: Sendable, Equatable {
    /// New answers stored.
    public var answered = 0
    /// Answers for jobs that already had one (recorded as attempts only).
    public var duplicates = 0
    /// Errors recorded.
    public var errored = 0
    /// Lines already applied before (a collection resumed after a crash): skipped.
    public var skipped = 0
    /// Creates an empty summary.
    public init() {}
}

/// What closing a batch did with its jobs that got no result.
public struct BatchReturn: Sendable, Equatable {
    /// Jobs back to pending (to be submitted again).
    public var pending: Int
    /// Jobs marked failed: they came back unanswered from as many batches as the round limit allows.
    public var failed: Int
    /// Creates a summary.
    public init(pending: Int, failed: Int) {
        self.pending = pending
        self.failed = failed
    }
}
