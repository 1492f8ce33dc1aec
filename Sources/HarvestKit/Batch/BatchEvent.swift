import HarvestStore

/// What a ``BatchCoordinator`` reports as it goes (the CLI prints these as progress).
public enum BatchEvent: Sendable {
    /// A batch was recorded with its jobs (nothing uploaded yet).
    case recorded(BatchRecord)
    /// An open batch from an earlier run is picked up again.
    case resumed(BatchRecord)
    /// The input file is uploaded.
    case uploaded(batchId: Int64, fileId: String)
    /// The provider's batch exists (created now, or found again after a crash when `found`).
    case submitted(batchId: Int64, providerBatchId: String, found: Bool)
    /// A batch this process created was not recorded: another process had recorded its own batch for the same
    /// lines first (`recordedId`); this one was cancelled at the provider (`cancelled` false: the cancel failed too,
    /// cancel `providerBatchId` by hand).
    case twinCancelled(batchId: Int64, providerBatchId: String, recordedId: String, cancelled: Bool)
    /// The provider reported a new status or new counts.
    case status(batchId: Int64, info: BatchInfo)
    /// Results were stored and the batch closed; `returned` says what became of the jobs without a result.
    case collected(batchId: Int64, summary: BatchApplySummary, returned: BatchReturn, status: String, error: String?)
}

/// How a batch run ended.
public enum BatchRunOutcome: Sendable, Equatable {
    /// No open batch is left: every job got a result or is out of rounds (see the job states).
    case finished(rounds: Int)
    /// Stopped (Ctrl-C) while batches were still running at the provider: they keep running; run again to collect.
    case leftRunning(providerBatchIds: [String])
}
