import Foundation
import HarvestCore
import HarvestStore

/// Runs a sweep through a provider's batch API, exactly once per job across crashes and re-runs.
///
/// Order of durable steps for each input file (each step is recorded before the next begins):
/// 1. record the batch and its lines, leasing the jobs to `batch:<id>` (nothing is sent yet);
/// 2. upload the file (named `harvest-<ref>.jsonl`), record the file id;
/// 3. create the batch (metadata `harvest_ref`), record the provider's batch id.
///
/// Resuming: a `prepared` batch is uploaded again (an orphan upload costs nothing); an `uploaded` batch is first
/// looked up among the provider's recent batches by `harvest_ref` / input file id, and created only when absent; a
/// `submitted` batch is polled. Collection stores each line through the same transaction as a normal answer and
/// marks the line, so a collection cut short is applied again without doubles. Lines that failed or expired go back
/// to pending and only they are submitted in the next round.
public struct BatchCoordinator: Sendable {
    /// The store.
    public let store: any BatchStore
    /// The provider's batch API (``OpenAIBatchClient`` or ``AnthropicBatchClient``).
    public let api: any BatchAPI
    /// Limits, price factor, polling.
    public let settings: BatchSettings
    /// Attempts per job (a failed line counts as one).
    public let maxAttempts: Int
    /// Ctrl-C: stops waiting (batches keep running at the provider).
    public let stop: StopSignal
    /// Progress reports.
    public let report: @Sendable (BatchEvent) -> Void

    /// Creates a coordinator.
    public init(store: any BatchStore, api: any BatchAPI, settings: BatchSettings, maxAttempts: Int, stop: StopSignal,
                report: @escaping @Sendable (BatchEvent) -> Void = { _ in }) {
        self.store = store
        self.api = api
        self.settings = settings
        self.maxAttempts = maxAttempts
        self.stop = stop
        self.report = report
    }

    /// Submits the sweep's pending jobs (after picking up its open batches), waits, collects, and resubmits what
    /// failed or expired, for up to ``BatchSettings/maxRounds`` rounds (picking up open batches counts as one).
    /// Only one process works a sweep's batches at a time (``BatchStore/withBatchSweepLock(sweepId:_:)``): throws
    /// ``BatchError/sweepBusy(sweepId:)`` when another holds them.
    public func run(sweepId: Int64) async throws -> BatchRunOutcome {
        guard let outcome = try await store.withBatchSweepLock(sweepId: sweepId, { try await runLocked(sweepId: sweepId) }) else {
            throw BatchError.sweepBusy(sweepId: sweepId)
        }
        return outcome
    }

    private func runLocked(sweepId: Int64) async throws -> BatchRunOutcome {
        var resumed = try await store.openBatches(sweepId: sweepId)
        for batch in resumed { report(.resumed(batch)) }
        // Collecting batches of an earlier run counts as a round: `maxRounds` 1 only collects (after a cancel).
        var rounds = resumed.isEmpty ? 0 : 1
        while true {
            var open = resumed
            resumed = []
            if open.isEmpty {
                guard rounds < settings.maxRounds, !stop.isStopping else { break }
                open = try await recordPending(sweepId: sweepId, budget: nil).records
                if open.isEmpty { break }
                rounds += 1
            }
            var running: [BatchRecord] = []
            for batch in open {
                if stop.isStopping, batch.stage == .prepared { continue }
                running.append(try await submit(batch))
            }
            if try await waitAndCollect(running) == false {
                let ids = try await store.openBatches(sweepId: sweepId).compactMap(\.providerBatchId)
                return .leftRunning(providerBatchIds: ids)
            }
        }
        return .finished(rounds: rounds)
    }

    /// Records new batches for every pending job of the sweep, within the file limits and, with a `budget`, only
    /// as many jobs as the worst case fits (`blocked` then says pending jobs were left out).
    func recordPending(sweepId: Int64, budget: BatchBudget?) async throws -> (records: [BatchRecord], blocked: Bool) {
        var records: [BatchRecord] = []
        var remaining = budget?.remaining ?? 0
        while true {
            var jobs = try await store.pendingJobs(sweepId: sweepId, limit: settings.maxRequestsPerFile)
            if jobs.isEmpty { break }
            if let budget {
                var total = 0.0
                let fitting = jobs.prefix { job in
                    total += budget.worstCost(job, priceFactor: settings.priceFactor)
                    return total <= remaining
                }
                if fitting.isEmpty { return (records, true) }
                jobs = Array(fitting)
            }
            let file = try BatchInputFile.pack(jobs, maxRequests: settings.maxRequestsPerFile, maxBytes: settings.maxBytesPerFile, line: api.line)
            let worst = budget.map { b in file.jobs.reduce(0.0) { $0 + b.worstCost($1, priceFactor: settings.priceFactor) } }
            remaining -= worst ?? 0
            let ref = Self.newRef()
            let lines = file.jobs.map { (jobId: $0.id, customId: BatchInputFile.customId($0)) }
            let record = try await store.recordBatch(sweepId: sweepId, ref: ref, lines: lines, bytes: file.bytes.count,
                                                     priceFactor: settings.priceFactor, worstCost: worst, wire: api.wire.rawValue)
            report(.recorded(record))
            records.append(record)
        }
        return (records, false)
    }

    /// Takes a batch from its recorded stage to `submitted`.
    func submit(_ batch: BatchRecord) async throws -> BatchRecord {
        try checkWire(batch)
        var batch = batch
        // Only a batch that was already `uploaded` when this run found it may have been created by a process that
        // died before recording the id; a batch uploaded just now is created without asking.
        let mayExist = batch.stage == .uploaded
        guard batch.stage == .prepared || mayExist else { return batch }
        // The input is rebuilt from the recorded lines (the same bytes: lines are a function of the job).
        let lines = try await store.batchJobs(batchId: batch.id, openOnly: true, limit: Int(Int32.max))
        let input = try BatchInputFile.pack(lines, maxRequests: Int.max, maxBytes: Int.max, line: api.line).bytes
        if batch.stage == .prepared {
            try await checkLock(batch.sweepId)
            let inputId = try await api.stage(input, ref: batch.ref)
            try await store.markBatchUploaded(id: batch.id, inputFileId: inputId)
            batch.stage = .uploaded
            batch.inputFileId = inputId
            report(.uploaded(batchId: batch.id, fileId: inputId))
        }
        if batch.stage == .uploaded, let inputId = batch.inputFileId {
            let kind = try await store.batchJobs(batchId: batch.id, openOnly: false, limit: 1).first?.teacher.kind ?? .chat
            let found = mayExist
                ? try await api.findCreated(ref: batch.ref, inputId: inputId, requests: batch.requests, recordedAt: batch.createdAt,
                                            known: try await store.providerBatchIds())
                : nil
            let info: BatchInfo
            if let found {
                info = found
            } else {
                try await checkLock(batch.sweepId)
                info = try await api.create(input: input, inputId: inputId, ref: batch.ref, kind: kind,
                                            completionWindow: settings.completionWindow)
            }
            let recorded = try await store.markBatchSubmitted(id: batch.id, providerBatchId: info.id, status: info.status)
            guard recorded == info.id else {
                // Another process created and recorded this batch first: this process lost the sweep's lock while its
                // own create was under way (PostgreSQL connection cut). Cancel the twin before the provider runs its
                // lines, so they are not paid twice, and leave the sweep to the process that recorded its batch.
                let cancelled = try? await api.cancel(info.id)
                report(.twinCancelled(batchId: batch.id, providerBatchId: info.id, recordedId: recorded, cancelled: cancelled != nil))
                throw BatchError.sweepBusy(sweepId: batch.sweepId)
            }
            batch.stage = .submitted
            batch.providerBatchId = info.id
            batch.providerStatus = info.status
            report(.submitted(batchId: batch.id, providerBatchId: info.id, found: found != nil))
        }
        return batch
    }

    /// Polls until every batch has ended and is collected; false when a stop came first.
    func waitAndCollect(_ batches: [BatchRecord]) async throws -> Bool {
        var waiting = batches.filter { $0.stage == .submitted }
        var last: [Int64: BatchInfo] = [:]
        var interval = settings.pollSeconds
        while !waiting.isEmpty {
            var changed = false
            var still: [BatchRecord] = []
            for batch in waiting {
                guard let providerId = batch.providerBatchId else { continue }
                try checkWire(batch)
                let info: BatchInfo
                do {
                    info = try await api.batch(providerId)
                } catch {
                    guard error.isTransient else { throw error }
                    still.append(batch)  // the provider is briefly unreachable: ask again at the next poll
                    continue
                }
                if last[batch.id] != info {
                    changed = true
                    last[batch.id] = info
                    try await store.updateBatchStatus(id: batch.id, status: info.status, outputFileId: info.outputFileId,
                                                      errorFileId: info.errorFileId, lastError: info.errors)
                    report(.status(batchId: batch.id, info: info))
                }
                if info.isTerminal {
                    try await collect(batch, info: info)
                } else {
                    still.append(batch)
                }
            }
            waiting = still
            if waiting.isEmpty { break }
            interval = changed ? settings.pollSeconds : min(settings.maxPollSeconds, interval * 1.5)
            if await sleep(interval) == false { return false }
        }
        return true
    }

    /// Downloads the output and error files of an ended batch, stores every line once, closes the batch. With a
    /// `roundLimit` (the daemon), jobs that came back unanswered from that many batches fail instead of going back.
    func collect(_ batch: BatchRecord, info: BatchInfo, roundLimit: Int? = nil) async throws {
        let lines = try await store.batchLines(batchId: batch.id)
        let sample = try await store.batchJobs(batchId: batch.id, openOnly: false, limit: 1).first
        let reader = BatchOutputReader(lines: lines, kind: sample?.teacher.kind ?? .chat,
                                       logprobsRequested: sample?.params.topLogprobs != nil, startedAt: batch.createdAt)
        // Anthropic lines never carry logprobs; an answer of a sweep that asked for them gets the usual note.
        var summary = BatchApplySummary()
        for bytes in try await api.resultFiles(info) {
            _ = try await reader.read(bytes) { chunk in
                let s = try await store.applyBatchResults(batchId: batch.id, results: chunk, maxAttempts: maxAttempts,
                                                          priceFactor: batch.priceFactor)
                summary.answered += s.answered
                summary.duplicates += s.duplicates
                summary.errored += s.errored
                summary.skipped += s.skipped
            }
        }
        let returned = try await store.finishBatch(id: batch.id, roundLimit: roundLimit)
        report(.collected(batchId: batch.id, summary: summary, returned: returned, status: info.status, error: info.errors))
    }

    /// Sleeps up to `seconds`; false when a stop was requested.
    func sleep(_ seconds: Double) async -> Bool {
        var remaining = seconds
        while remaining > 0 {
            if stop.isStopping { return false }
            let step = min(remaining, 0.1)
            try? await Task.sleep(for: .seconds(step))
            remaining -= step
        }
        return !stop.isStopping
    }

    /// Throws ``BatchError/sweepBusy(sweepId:)`` when this process no longer holds the sweep's lock (PostgreSQL: its
    /// connection was lost and another process may have taken the sweep): nothing more is sent in this step.
    func checkLock(_ sweepId: Int64) async throws {
        guard try await store.holdsBatchSweepLock(sweepId: sweepId) else { throw BatchError.sweepBusy(sweepId: sweepId) }
    }

    /// Throws ``BatchError/wireChanged(batchId:recorded:configured:)`` for a batch of another wire than ``api``'s.
    func checkWire(_ batch: BatchRecord) throws {
        guard batch.wire == api.wire.rawValue else {
            throw BatchError.wireChanged(batchId: batch.id, recorded: batch.wire, configured: api.wire.rawValue)
        }
    }

    /// A random reference for a new batch (file name and metadata).
    static func newRef() -> String {
        (0..<2).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined(separator: "-")
    }
}
