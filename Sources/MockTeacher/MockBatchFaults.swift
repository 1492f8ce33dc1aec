/// How the mock teacher's batch API (`/v1/files`, `/v1/batches`) behaves, faults included.
public struct MockBatchFaults: Sendable, Equatable {
    /// Seconds each of `validating`, `in_progress` and `finalizing` lasts (and `cancelling`).
    public var stepSeconds: Double = 0.3
    /// The first N batches fail validation (status `failed`, no output).
    public var failValidation: Int = 0
    /// The N batches after those expire at the end of `in_progress` with ``expireFraction`` of their lines done.
    public var expire: Int = 0
    /// Fraction of lines done when a batch expires.
    public var expireFraction: Double = 0.5
    /// Fraction of lines (picked by custom id, on their first submission only) answered with HTTP 500.
    public var lineErrorRate: Double = 0
    /// Seconds the reply to the first `POST /v1/files` waits after the file is stored (a client killed meanwhile
    /// has uploaded without learning the file id).
    public var uploadReplyDelay: Double = 0
    /// Seconds the reply to the first `POST /v1/batches` waits after the batch is created (a client killed
    /// meanwhile has created a batch without learning its id).
    public var createReplyDelay: Double = 0
    /// Seconds `finalizing` lasts (a slow provider); nil: ``stepSeconds``.
    public var finalizingSeconds: Double?
    /// Seconds the reply to the first results download (an output or error file's content, or Anthropic's results)
    /// waits: a client killed meanwhile has been given nothing it could store.
    public var downloadReplyDelay: Double = 0

    /// Creates the default: a healthy batch API with 0.3 s steps.
    public init() {}
}

/// What the mock's batch API has done since the server started.
public struct MockBatchStats: Sendable, Equatable {
    /// Files uploaded.
    public var filesUploaded = 0
    /// Batches created.
    public var batchesCreated = 0
    /// Batches cancelled on request.
    public var batchesCancelled = 0
    /// Lines answered with a completion (paid), over all batches.
    public var linesAnswered = 0
    /// Lines answered with an error.
    public var linesErrored = 0
    /// Completions produced per custom id (a correct client never makes any of these exceed 1).
    public var answersPerCustomId: [String: Int] = [:]
    /// Times each custom id was submitted in a created batch.
    public var submissionsPerCustomId: [String: Int] = [:]
    /// Results downloads started (output or error file contents, Anthropic results).
    public var resultDownloads = 0

    /// Creates empty statistics.
    public init() {}
}
