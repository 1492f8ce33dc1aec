import Foundation
import HarvestCore
import Logging
import Synchronization

/// Runs one sweep in the foreground: claims jobs from the store, sends them with bounded concurrency,
/// retries with backoff, and commits each answer before the job counts as done.
///
/// Guarantees: a job whose answer was committed is never sent again; an answer that arrives is committed
/// (or, if the database refuses it, appended to the rescue file) before the run ends, also on a drain stop.
public final class SweepRunner: Sendable {
    private let store: any JobStore
    private let client: any TeacherCalling
    private let options: SweepOptions
    private let stop: StopSignal
    private let logger: Logger
    private let counters = Mutex(SweepCounters())
    private let rescue: RescueLog

    /// Creates a runner.
    public init(store: any JobStore, client: any TeacherCalling, options: SweepOptions, stop: StopSignal = StopSignal(),
                logger: Logger = Logger(label: "harvest.sweep")) {
        self.store = store
        self.client = client
        self.options = options
        self.stop = stop
        self.logger = logger
        self.rescue = RescueLog(path: options.rescuePath)
    }

    /// A copy of the live counters (for progress displays).
    public func snapshot() -> SweepCounters { counters.withLock { $0 } }

    /// Runs until every job of the sweep is done or failed, or a stop is requested.
    public func run(sweepId: Int64) async throws -> SweepOutcome {
        let started = ContinuousClock.now
        let concurrency = max(1, options.concurrency)
        let refill = max(1, concurrency / 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var exhausted = false
            while true {
                let free = concurrency - inFlight
                if !exhausted, !stop.isStopping, free > 0, inFlight == 0 || free >= refill {
                    let jobs = try await store.claimJobs(sweepId: sweepId, owner: options.owner, limit: free,
                                                         leaseSeconds: options.leaseSeconds)
                    if jobs.isEmpty { exhausted = true }
                    for job in jobs {
                        group.addTask { try await self.process(job) }
                        inFlight += 1
                    }
                    if !jobs.isEmpty { continue }
                }
                if inFlight == 0 { break }
                if stop.level == .abort { group.cancelAll() }
                try await group.next()
                inFlight -= 1
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return SweepOutcome(counters: snapshot(), interrupted: stop.isStopping, stopReason: stop.reason, seconds: seconds)
    }

    private func process(_ job: Job) async throws {
        var attempt = 0
        while true {
            if stop.isStopping {
                try await release(job)
                return
            }
            attempt += 1
            counters.withLock { $0.inFlight += 1 }
            let result = await client.call(job)
            counters.withLock { $0.inFlight -= 1 }
            switch result.outcome {
            case .success(let answer):
                try await commit(job, result: result, answer: answer)
                return
            case .failure(let error):
                if case .transport(let t) = error, t.kind == .cancelled {
                    try await release(job)
                    return
                }
                let decision = options.retry.decide(error.failureClass, attempt: attempt, retryAfter: result.retryAfter,
                                                    random: Double.random(in: 0..<1))
                let record = AttemptRecord(jobId: job.id, startedAt: result.startedAt, latencyMs: result.latencyMs,
                                           httpStatus: result.httpStatus, outcome: decision == .fail ? .fatal : .retry,
                                           error: error.description)
                var log = logger
                log[metadataKey: "job.id"] = "\(job.id)"
                if let status = result.httpStatus { log[metadataKey: "http.status"] = "\(status)" }
                switch decision {
                case .fail:
                    try await store.recordFailure(record, final: true)
                    counters.withLock {
                        $0.failed += 1
                        $0.lastError = error.description
                    }
                    log.warning("job failed", metadata: ["attempt": "\(attempt)", "error": "\(error.description)"])
                    if error.isAuthFailure {
                        stop.request(.drain, reason: "the teacher refused the credentials (\(error.description)); check the API key")
                    }
                    return
                case .retry(let delay):
                    try await store.recordFailure(record, final: false)
                    counters.withLock {
                        $0.retries += 1
                        $0.lastError = error.description
                    }
                    log.debug("retrying", metadata: ["attempt": "\(attempt)", "retry.after_s": "\(delay)", "error": "\(error.description)"])
                    await sleep(seconds: delay)
                }
            }
        }
    }

    private func commit(_ job: Job, result: TeacherCallResult, answer: TeacherAnswer) async throws {
        let response = answer.response
        let choice = response.choices[0]
        let record = ResponseRecord(jobId: job.id, choice: choice, usage: response.usage, model: response.model,
                                    responseId: response.id, systemFingerprint: response.systemFingerprint,
                                    receivedAt: Date().timeIntervalSince1970, rawBody: answer.rawBody)
        let attempt = AttemptRecord(jobId: job.id, startedAt: result.startedAt, latencyMs: result.latencyMs,
                                    httpStatus: result.httpStatus, outcome: .success)
        var lastError: (any Error)?
        for tryNumber in 0..<3 {
            do {
                try await store.commitSuccess(attempt, response: record)
                lastError = nil
                break
            } catch {
                lastError = error
                logger.error("could not store a response, retrying", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * (tryNumber + 1)))
            }
        }
        if let lastError {
            rescue.append(job: job, record: record)
            stop.request(.drain, reason: "the database refused a response (\(lastError)); it was saved to \(options.rescuePath)")
            throw lastError
        }
        counters.withLock {
            $0.done += 1
            $0.promptTokens += response.usage?.promptTokens ?? 0
            $0.completionTokens += response.usage?.completionTokens ?? 0
            if job.params.topLogprobs != nil, choice.logprobs == nil { $0.missingLogprobs += 1 }
        }
    }

    private func release(_ job: Job) async throws {
        try await store.release(jobIds: [job.id], owner: options.owner)
        counters.withLock { $0.released += 1 }
    }

    private func sleep(seconds: Double) async {
        var remaining = seconds
        while remaining > 0, !stop.isStopping {
            let step = min(remaining, 0.25)
            try? await Task.sleep(for: .milliseconds(Int(step * 1000)))
            remaining -= step
        }
    }
}
