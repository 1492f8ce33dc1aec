import Foundation
import HarvestCore
import Logging
import SQLiteStore

/// One job's attempts: admission, send, retry decision, commit.
extension SweepRunner {
    /// Note stored on the success attempt of an answer that lacks the requested logprobs.
    public static let missingLogprobsNote = "answer stored without the requested logprobs"

    /// Sends `job` until it is done, failed, or released by a stop. When the database refuses a write (disk full,
    /// read-only), the run stops claiming (drain) instead of failing: answers in flight are still committed or rescued.
    func process(_ job: Job) async throws {
        defer { held.withLock { _ = $0.ids.remove(job.id) } }
        do {
            try await send(job)
        } catch where WriteRefusal.isRefusal(error) {
            // Not settled and not handed back (a paid answer is rescued inside `send`, never thrown here).
            leftLeased.withLock { $0.append(job.id) }
            refused(error)
        }
    }

    /// Stops claiming because the database refused a write.
    func refused(_ error: any Error) {
        stop.request(.drain, reason: "the database refuses writes (\(error))")
        logger.error("the database refused a write: no new jobs are claimed", metadata: ["error": "\(error)"])
    }

    private func send(_ job: Job) async throws {
        var attempt = 0
        let estimate = traffic.options.limits.tokensPerMinute != nil ? TokenEstimate.tokens(for: job) : 0
        let stop = self.stop
        while true {
            if stop.isStopping {
                try await release(job)
                return
            }
            // A place among the unsaved requests first (sent and not yet stored: what a kill -9 would cost), then
            // the teacher's admission (window, rates, replicas).
            guard await unsaved.acquire() else {
                try await release(job)
                return
            }
            if stop.isStopping {
                unsaved.release()
                unsaved.abandonWaiters()
                try await release(job)
                return
            }
            guard let admission = await traffic.admit(estimatedTokens: estimate, abandon: { stop.isStopping }) else {
                unsaved.release()
                try await release(job)
                return
            }
            attempt += 1
            var sent = job
            if let url = admission.baseURL { sent.teacher.baseURL = url }
            counters.withLock { $0.inFlight += 1 }
            let result = await client.call(sent)
            counters.withLock { $0.inFlight -= 1 }
            traffic.finish(admission, report: TrafficReport(result))
            if let trip = failFast.recordAttempt(result) { tripped(trip) }
            switch result.outcome {
            case .success(let answer):
                held.withLock { $0.committing += 1 }
                defer {
                    held.withLock { $0.committing -= 1 }
                    unsaved.release()
                }
                try await commit(job, result: result, answer: answer, admittedAt: admission.admittedAt)
                return
            case .failure(let error):
                unsaved.release()
                if case .transport(let t) = error, t.kind == .cancelled {
                    try await release(job)
                    return
                }
                guard try await recordFailure(job, sent: sent, error: error, result: result, attempt: attempt) else { return }
            }
        }
    }

    /// Records a failed attempt; sleeps the backoff and returns true when the job is to be retried.
    private func recordFailure(_ job: Job, sent: Job, error: TeacherError, result: TeacherCallResult, attempt: Int) async throws -> Bool {
        let decision = options.retry.decide(error.failureClass, attempt: attempt, retryAfter: result.retryAfter,
                                            random: Double.random(in: 0..<1))
        let record = AttemptRecord(jobId: job.id, startedAt: result.startedAt, latencyMs: result.latencyMs,
                                   httpStatus: result.httpStatus, outcome: decision == .fail ? .fatal : .retry,
                                   error: error.description, owner: options.owner)
        var log = logger
        log[metadataKey: "job.id"] = "\(job.id)"
        log[metadataKey: "teacher.url"] = "\(sent.teacher.publicBaseURL)"
        if let status = result.httpStatus { log[metadataKey: "http.status"] = "\(status)" }
        switch decision {
        case .fail:
            try await store.recordFailure(record, final: true)
            counters.withLock {
                $0.failed += 1
                $0.lastError = error.description
                if result.httpStatus == 429 { $0.rateLimited += 1 }
            }
            log.warning("job failed", metadata: ["attempt": "\(attempt)", "error": "\(error.description)"])
            return false
        case .retry(let delay):
            try await store.recordFailure(record, final: false)
            counters.withLock {
                $0.retries += 1
                $0.lastError = error.description
                if result.httpStatus == 429 { $0.rateLimited += 1 }
            }
            log.debug("retrying", metadata: ["attempt": "\(attempt)", "retry.after_s": "\(delay)", "error": "\(error.description)"])
            held.withLock { $0.backingOff += 1 }
            await sleep(seconds: delay)
            held.withLock { $0.backingOff -= 1 }
            return true
        }
    }

    /// Stores the answer (attempt, response, job done) in one transaction; on repeated refusal, rescues it.
    ///
    /// Missing logprobs rule: an answer without the logprobs that were asked for is still stored and the job is
    /// done (the answer is paid for); the success attempt carries ``missingLogprobsNote``, the counter
    /// `missingLogprobs` grows, and the fail-fast rule `missingLogprobs` may stop the sweep.
    func commit(_ job: Job, result: TeacherCallResult, answer: TeacherAnswer, admittedAt: Double) async throws {
        let response = answer.response
        let choice = response.choices[0]
        let missing = job.params.topLogprobs != nil && (choice.logprobTokenCount.map { $0 == 0 && !choice.content.isEmpty } ?? true)
        let usage = response.usage.map { Self.billable($0, job: job, choice: choice) }
        var notes: [String] = missing ? [Self.missingLogprobsNote] : []
        notes += usage?.corrections ?? []
        if let corrections = usage?.corrections, !corrections.isEmpty {
            logger.warning("teacher usage corrected", metadata: ["job.id": "\(job.id)", "usage.corrections": "\(corrections.joined(separator: "; "))"])
        }
        let record = ResponseRecord(jobId: job.id, choice: choice, usage: usage, model: response.model,
                                    responseId: response.id, systemFingerprint: response.systemFingerprint,
                                    receivedAt: Date().timeIntervalSince1970, rawBody: answer.rawBody)
        let attempt = AttemptRecord(jobId: job.id, startedAt: result.startedAt, latencyMs: result.latencyMs,
                                    httpStatus: result.httpStatus, outcome: .success, error: notes.isEmpty ? nil : notes.joined(separator: "; "))
        var lastError: (any Error)?
        for tryNumber in 0..<3 {
            do {
                try await store.commitSuccess(attempt, response: record)
                lastError = nil
                break
            } catch {
                lastError = error
                // Stop sending at the first refusal: every request sent from now on might have to be rescued.
                if WriteRefusal.isRefusal(error), !stop.isStopping { refused(error) }
                logger.error("could not store a response, retrying", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200 * (tryNumber + 1)))
            }
        }
        if let lastError {
            await rescue(job, attempt: attempt, record: record, error: lastError)
            return
        }
        let committedAt = clock.now()
        if result.sentAt > 0, result.sentAt >= admittedAt, committedAt >= result.receivedAt {
            let own = (result.sentAt - admittedAt) + (committedAt - result.receivedAt)
            overhead.withLock { $0.record(own) }
            overheadToSend.withLock { $0.record(result.sentAt - admittedAt) }
            overheadToCommit.withLock { $0.record(committedAt - result.receivedAt) }
            latency.withLock { $0.record(result.receivedAt - result.sentAt) }
        }
        let missingCount = counters.withLock {
            $0.done += 1
            $0.promptTokens += response.usage?.promptTokens ?? 0
            $0.completionTokens += response.usage?.completionTokens ?? 0
            if missing { $0.missingLogprobs += 1 }
            return $0.missingLogprobs
        }
        if job.params.topLogprobs != nil {
            if missing, missingCount <= 3 || missingCount.isMultiple(of: 1000) {
                logger.warning("answer stored without the requested logprobs",
                               metadata: ["job.id": "\(job.id)", "answers.missing_logprobs": "\(missingCount)"])
            }
            if let trip = failFast.recordAnswer(missingLogprobs: missing) { tripped(trip) }
        }
    }

    /// Usage rule: a count the decoder rejected (negative, not a number: see ``Usage/corrections``) is unknown in
    /// the stored answer and charged as an estimate (prompt: UTF-8 bytes / 4 + 4 per message; completion: answer
    /// and reasoning bytes / 4), so a teacher's odd usage never makes spend negative nor lets a budget pass unseen.
    static func billable(_ usage: Usage, job: Job, choice: CompletionChoice) -> Usage {
        guard !usage.corrections.isEmpty else { return usage }
        var u = usage
        if u.promptTokens == nil {
            var bytes = 0
            for message in job.messages { bytes += message.content.utf8.count }
            u.estimatedPromptTokens = bytes / 4 + 4 * job.messages.count
        }
        if u.completionTokens == nil {
            u.estimatedCompletionTokens = (choice.content.utf8.count + (choice.reasoning?.utf8.count ?? 0) + 3) / 4
        }
        return u
    }

    /// Saves an answer the database refused to the rescue file and stops claiming. Neither taking the answer, it is
    /// kept in memory and both are retried every second; only an abort (second signal) then ends the wait, and the
    /// answer's rescue line is written to stderr as the last resort.
    func rescue(_ job: Job, attempt: AttemptRecord, record: ResponseRecord, error: any Error) async {
        stop.request(.drain, reason: "the database refuses writes (\(error)); paid answers are saved to \(rescueLog.path)")
        var tries = 0
        while true {
            do {
                let count = try rescueLog.append(job: job, attempt: attempt, record: record)
                counters.withLock { $0.rescued += 1 }
                logger.error("the database refused a paid answer; it was saved to the rescue file",
                             metadata: ["job.id": "\(job.id)", "rescue.file": "\(rescueLog.path)", "rescue.count": "\(count)",
                                        "error": "\(error)"])
                return
            } catch let rescueError {
                if tries.isMultiple(of: 10) {
                    logger.critical("neither the database nor the rescue file takes a paid answer; it is kept in memory and retried",
                                    metadata: ["job.id": "\(job.id)", "error": "\(rescueError)"])
                }
                if stop.level == .abort, tries >= 3 {
                    var line = RescueLog.encode(job: job, attempt: attempt, record: record)
                    line.append(0x0A)
                    FileHandle.standardError.write(Data("harvest-rescue: ".utf8) + Data(line))
                    logger.critical("a paid answer was written only to stderr (line starting with harvest-rescue:)", metadata: ["job.id": "\(job.id)"])
                    return
                }
            }
            tries += 1
            try? await Task.sleep(for: .seconds(1))
            if (try? await store.commitSuccess(attempt, response: record)) != nil {
                counters.withLock { $0.done += 1 }
                return
            }
        }
    }

    /// Hands a held job back to pending.
    func release(_ job: Job) async throws {
        try await store.release(jobIds: [job.id], owner: options.owner)
        counters.withLock { $0.released += 1 }
    }

    /// Sleeps up to `seconds`, waking early when a stop is requested.
    func sleep(seconds: Double) async {
        var remaining = seconds
        while remaining > 0, !stop.isStopping {
            let step = min(remaining, 0.25)
            try? await Task.sleep(for: .milliseconds(Int(step * 1000)))
            remaining -= step
        }
    }
}
