import HarvestCore

/// Provider batches (`/v1/batches`, Anthropic Message Batches) as `sweep SET --run --via batch`, `harvest batch` and
/// the daemon's batch service keep them: a batch is recorded with its lines (its jobs leased to `batch:<id>`) before
/// anything is uploaded, advanced stage by stage, collected once; queued runs with `via = 'batch'` and the daemon's
/// poll schedule. Both backends keep the same rules (docs/FORMATS.md, *Provider batches*):
///
/// - a job is a line of at most one open batch: ``recordBatch(sweepId:ref:lines:bytes:priceFactor:worstCost:wire:)``
///   leases every job it records or records nothing;
/// - a line's result is applied once (its `outcome` is set in the same transaction), and an answer is stored through
///   the same commit path as a request's answer: a job that already has an answer keeps it (the line is a paid
///   duplicate attempt), never a second response;
/// - only one process works a sweep's batches at a time (``withBatchSweepLock(sweepId:_:)``), so no batch is
///   uploaded or created twice by two processes.
///
/// SQLite's synchronous methods satisfy the asynchronous requirements unchanged.
public protocol BatchStore: Sendable {
    /// Up to `limit` pending jobs of the sweep, lowest id first (read only; nothing is leased).
    func pendingJobs(sweepId: Int64, limit: Int) async throws -> [Job]
    /// The jobs of batch `batchId` in id order: those without a result yet (to rebuild its input file) when
    /// `openOnly`, else all; at most `limit`.
    func batchJobs(batchId: Int64, openOnly: Bool, limit: Int) async throws -> [Job]
    /// Every line of batch `batchId`: custom id → job id.
    func batchLines(batchId: Int64) async throws -> [String: Int64]
    /// Records a new batch (stage `prepared`) with one line per job and leases the jobs to it, in one transaction,
    /// before anything is uploaded; throws (and records nothing) when a job is no longer pending. `worstCost` is the
    /// file's worst case at the batch price (reserved against a run's budget while open); `wire` the provider's
    /// batch API (`openai`, `anthropic`).
    func recordBatch(sweepId: Int64, ref: String, lines: [(jobId: Int64, customId: String)], bytes: Int, priceFactor: Double,
                     worstCost: Double?, wire: String) async throws -> BatchRecord
    /// The batch `id`, or nil.
    func batch(id: Int64) async throws -> BatchRecord?
    /// Batches not yet collected: of sweep `sweepId`, or of every sweep when nil; oldest first.
    func openBatches(sweepId: Int64?) async throws -> [BatchRecord]
    /// Every batch of sweep `sweepId` (or of all sweeps), oldest first.
    func batches(sweepId: Int64?) async throws -> [BatchRecord]
    /// The teacher whose sweep batch `batchId` belongs to, or nil for an unknown batch.
    func batchTeacher(batchId: Int64) async throws -> TeacherEndpoint?
    /// Every provider batch id recorded.
    func providerBatchIds() async throws -> Set<String>
    /// Records the uploaded input file (stage `uploaded`).
    func markBatchUploaded(id: Int64, inputFileId: String) async throws
    /// Records the provider's batch id and status (stage `submitted`) unless another provider batch id was recorded
    /// for the batch first, and returns the id the batch has now: `providerBatchId`, or that earlier one (a twin
    /// created by another process, which the caller cancels).
    @discardableResult
    func markBatchSubmitted(id: Int64, providerBatchId: String, status: String) async throws -> String
    /// Records the provider's latest view of the batch (nil ids and error keep what was recorded).
    func updateBatchStatus(id: Int64, status: String, outputFileId: String?, errorFileId: String?, lastError: String?) async throws
    /// Stores result lines of batch `batchId` in one transaction: each answer like a request's answer (attempt,
    /// response with logprobs, job done, spend at `priceFactor` × the teacher's prices), each error as an attempt
    /// (the job back to pending, or failed when fatal or after `maxAttempts`). Lines already applied are skipped.
    func applyBatchResults(batchId: Int64, results: [BatchLineResult], maxAttempts: Int, priceFactor: Double) async throws
        -> BatchApplySummary
    /// Closes batch `id` (stage `collected`): jobs without a result go back to pending with no attempt counted; with a
    /// `roundLimit`, a job that came back unanswered from that many batches (this one included) fails instead.
    @discardableResult
    func finishBatch(id: Int64, roundLimit: Int?) async throws -> BatchReturn
    /// Every active run with `via = 'batch'`, oldest first, with its spend, the worst case reserved by its sweep's
    /// open batches and the teacher's prices.
    func activeBatchRuns() async throws -> [BatchRun]
    /// Ends active run `runId`: `done` when none of its jobs is pending or leased, `budget` when `budgetReached`;
    /// nil when it stays active.
    @discardableResult
    func finishBatchRun(runId: Int64, budgetReached: Bool) async throws -> RunState?
    /// Records when batch `id` is polled next and the interval the daemon's backoff grew to.
    func scheduleBatchPoll(id: Int64, at nextPollAt: Double, interval: Double) async throws
    /// Open batches per provider status (`prepared`/`uploaded` before they exist there) and collected ones per final
    /// status, with their line counts (`/metrics`).
    func batchStateCounts() async throws -> [BatchStateCount]
    /// Runs `body` while this process alone works sweep `sweepId`'s batches (records, uploads, creates, polls,
    /// collects); nil, without running `body`, when another process (or another task of this one) holds it.
    /// SQLite: one writer per file, `body` simply runs. PostgreSQL: a session advisory lock on a connection of its
    /// own, released when `body` ends or the connection (the process) dies.
    func withBatchSweepLock<T: Sendable>(sweepId: Int64, _ body: () async throws -> T) async throws -> T?
    /// Whether this process still holds sweep `sweepId`'s lock (asked right before each upload and create, so a lock
    /// lost with its connection stops the step before it sends anything more). SQLite: always true.
    func holdsBatchSweepLock(sweepId: Int64) async throws -> Bool
}
