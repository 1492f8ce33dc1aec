import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import PostgresStore
import SQLiteStore
import Testing

/// Provider batches (``BatchStore``) through the mock teacher's batch API on real loopback HTTP, on SQLite and
/// PostgreSQL alike: full cycles, line errors, an expired batch, resuming after a crash (kill -9 between create and
/// record, a run stopped while its batch runs), answers applied exactly once next to the request path, and — on
/// PostgreSQL — several processes working one sweep without a job in two batches. Each opened store stands for one
/// process. Exactly once is checked by the mock's own counters.
@Suite(.serialized) struct BatchConformanceTests {
    final class Fixture: @unchecked Sendable {
        let db: QueueDatabase
        let mock: MockTeacherServer
        let store: any HarvestDatabase
        let teacher: TeacherEndpoint
        let sweepId: Int64
        let transport: CurlTransport

        init(_ backend: Backend, prompts n: Int, faults: MockBatchFaults) async throws {
            db = try QueueDatabase(backend)
            var config = MockTeacherConfiguration()
            config.batch = faults
            mock = MockTeacherServer(config)
            let port = try mock.start()
            store = try db.open()
            let prompts = (0..<n).map { i in
                PromptInput(externalId: "q\(i)", messages: [ChatMessage(role: "user", content: "Batch question \(i)?")],
                            source: InputLocation(file: "gen", line: i + 1))
            }
            _ = try await store.importPrompts(setName: "b", prompts: prompts, sourceName: "gen")
            teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher")
            sweepId = try await store.createSweep(name: "b", setName: "b", teacher: teacher,
                                                  params: SamplingParams(maxTokens: 8, temperature: 0.5, topLogprobs: 2), samples: 1).sweepId
            transport = try CurlTransport()
        }

        var api: OpenAIBatchClient { OpenAIBatchClient(transport: transport, baseURL: teacher.baseURL, apiKey: nil) }

        func coordinator(_ settings: BatchSettings, store: (any HarvestDatabase)? = nil, api: (any BatchAPI)? = nil,
                         stop: StopSignal = StopSignal(), report: @escaping @Sendable (BatchEvent) -> Void = { _ in }) -> BatchCoordinator {
            BatchCoordinator(store: store ?? self.store, api: api ?? self.api, settings: settings, maxAttempts: 5, stop: stop, report: report)
        }

        /// Every job answered once and only once by the mock, stored once, with logprobs; no batch left open.
        func expectExactlyOnce(_ n: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let stats = mock.batchStats()
            #expect(stats.answersPerCustomId.count == n, sourceLocation: sourceLocation)
            #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "an answer was produced twice", sourceLocation: sourceLocation)
            #expect(try await store.jobStates(sweepId: sweepId)[.done] == n, sourceLocation: sourceLocation)
            let stored = try store.responses(query: ResponseQuery(setName: "b", limit: 100_000, includeLogprobs: true))
            #expect(stored.count == n, sourceLocation: sourceLocation)
            #expect(Set(stored.map(\.jobId)).count == n, "one response per job", sourceLocation: sourceLocation)
            #expect(stored.allSatisfy { ($0.choice.logprobs?.count ?? 0) > 0 }, "answers carry their logprobs", sourceLocation: sourceLocation)
            #expect(try await store.openBatches(sweepId: sweepId).isEmpty, sourceLocation: sourceLocation)
        }

        deinit {
            transport.shutdown()
            mock.stop()
            db.cleanup()
        }
    }

    static let fast = BatchSettings(maxRequestsPerFile: 25, priceFactor: 0.5, pollSeconds: 0.05, maxPollSeconds: 0.2)

    @Test(arguments: Backend.available)
    func fullCycleStoresEveryAnswerOnceAtBatchPriceAndARepeatedCollectionAppliesNothing(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        let f = try await Fixture(backend, prompts: 60, faults: faults)
        _ = try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 2, outputPerMillion: 8)
        #expect(try await f.coordinator(Self.fast).run(sweepId: f.sweepId) == .finished(rounds: 1))
        try await f.expectExactlyOnce(60)
        let batches = try await f.store.batches(sweepId: f.sweepId)
        #expect(batches.map(\.requests) == [25, 25, 10], "60 jobs in files of at most 25 lines")
        #expect(batches.allSatisfy { $0.stage == .collected && $0.providerStatus == "completed" && $0.answered == $0.requests })
        #expect(f.mock.batchStats().batchesCreated == 3)
        // Spend: batch price = 0.5 × list price × tokens, per answer.
        let stored = try f.store.responses(query: ResponseQuery(setName: "b", limit: 100_000, includeLogprobs: false))
        let expected = stored.reduce(0.0) { sum, r in
            sum + (Double(r.usage?.promptTokens ?? 0) * 2 + Double(r.usage?.completionTokens ?? 0) * 8) * 0.5 / 1_000_000
        }
        let spent = try #require(try await f.store.sweepSpend()[f.sweepId])
        #expect(expected > 0 && abs(spent - expected) < 1e-12)
        #expect(try await f.store.batchStateCounts() == [BatchStateCount(state: "completed", collected: true, batches: 3, requests: 60,
                                                                         answered: 60, errored: 0, returned: 0)])

        // A collection repeated (a crash after storing some lines, then a rerun) applies nothing twice.
        let first = batches[0]
        let output = try await f.api.fileContent(try #require(first.outputFileId))
        let reader = BatchOutputReader(lines: try await f.store.batchLines(batchId: first.id), kind: .chat, logprobsRequested: true,
                                       startedAt: first.createdAt)
        var again = BatchApplySummary()
        let counts = try await reader.read(output, chunk: 7) { chunk in
            let s = try await f.store.applyBatchResults(batchId: first.id, results: chunk, maxAttempts: 5, priceFactor: 0.5)
            again.skipped += s.skipped
            again.answered += s.answered + s.duplicates
        }
        #expect(counts.results == 25 && again.skipped == 25 && again.answered == 0)
        #expect(abs(try #require(try await f.store.sweepSpend()[f.sweepId]) - spent) < 1e-15, "nothing charged twice")
    }

    @Test(arguments: Backend.available)
    func daemonStepsAnswerEveryJobOnceThroughLineErrorsAndAnExpiredBatch(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.lineErrorRate = 0.1
        faults.expire = 1
        let f = try await Fixture(backend, prompts: 80, faults: faults)
        let c = f.coordinator(BatchSettings(maxRequestsPerFile: 30, pollSeconds: 0.05, maxPollSeconds: 0.2))
        let first = try await c.step(sweepId: f.sweepId, budget: nil)
        #expect(first.recorded == 3 && first.open == 3 && !first.heldElsewhere)
        let open = try await f.store.openBatches(sweepId: f.sweepId)
        #expect(open.allSatisfy { $0.stage == .submitted && $0.nextPollAt != nil && $0.pollInterval == 0.05 })
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let outcome = try await c.step(sweepId: f.sweepId, budget: nil)
            if outcome.open == 0, try await f.store.jobStates(sweepId: f.sweepId)[.pending] ?? 0 == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await f.expectExactlyOnce(80)
        let stats = f.mock.batchStats()
        #expect(stats.linesErrored > 0)
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 }, "a line is resubmitted only after it failed or expired")
        let batches = try await f.store.batches(sweepId: f.sweepId)
        let expired = try #require(batches.first { $0.providerStatus == "expired" })
        #expect(expired.returned > 0 && expired.answered + expired.errored + expired.returned == expired.requests)
    }

    /// kill -9 after the provider created the batch but before its id was recorded: another process (a new store)
    /// finds it by its reference instead of creating it again.
    @Test(arguments: Backend.available)
    func aBatchCreatedBeforeACrashIsFoundNotCreatedAgain(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        let f = try await Fixture(backend, prompts: 10, faults: faults)
        let jobs = try await f.store.pendingJobs(sweepId: f.sweepId, limit: 100)
        let input = try BatchInputFile.pack(jobs, maxRequests: 100, maxBytes: .max, line: f.api.line).bytes
        let record = try await f.store.recordBatch(sweepId: f.sweepId, ref: "crash-ref",
                                                   lines: jobs.map { (jobId: $0.id, customId: BatchInputFile.customId($0)) },
                                                   bytes: input.count, priceFactor: 0.5, worstCost: nil, wire: "openai")
        let fileId = try await f.api.stage(input, ref: record.ref)
        try await f.store.markBatchUploaded(id: record.id, inputFileId: fileId)
        let created = try await f.api.create(input: input, inputId: fileId, ref: record.ref, kind: .chat, completionWindow: "24h")
        let restarted = try f.db.open()
        let outcome = try await f.coordinator(Self.fast, store: restarted).run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 1))
        #expect(f.mock.batchStats().batchesCreated == 1, "the batch was found again, not created twice")
        #expect(try await f.store.batches(sweepId: f.sweepId).first?.providerBatchId == created.id)
        try await f.expectExactlyOnce(10)
    }

    /// The gap a lost lock leaves (PostgreSQL: the lock's connection cut while a create is under way): the process that
    /// took the sweep over created and recorded its batch, and the first process's create went through too. Its batch
    /// is not recorded over the other (which that process polls) but cancelled at the provider at once, before any
    /// line is answered; the recorded batch answers every job once.
    @Test(arguments: Backend.available)
    func aTwinCreatedAfterALostLockIsCancelledNotRecorded(_ backend: Backend) async throws {
        let f = try await Fixture(backend, prompts: 10, faults: MockBatchFaults())
        let jobs = try await f.store.pendingJobs(sweepId: f.sweepId, limit: 100)
        let input = try BatchInputFile.pack(jobs, maxRequests: 100, maxBytes: .max, line: f.api.line).bytes
        let record = try await f.store.recordBatch(sweepId: f.sweepId, ref: "twin-ref",
                                                   lines: jobs.map { (jobId: $0.id, customId: BatchInputFile.customId($0)) },
                                                   bytes: input.count, priceFactor: 0.5, worstCost: nil, wire: "openai")
        let fileId = try await f.api.stage(input, ref: record.ref)
        try await f.store.markBatchUploaded(id: record.id, inputFileId: fileId)
        // While this process's create is under way, the other creates and records its own (this process's lookup, done
        // before, found nothing).
        let other = f.db
        let api = RacingBatchAPI(f.api) {
            let store = try other.open()
            let info = try await f.api.create(input: input, inputId: fileId, ref: record.ref, kind: .chat, completionWindow: "24h")
            #expect(try await store.markBatchSubmitted(id: record.id, providerBatchId: info.id, status: info.status) == info.id)
            return info.id
        }
        let events = EventLog()
        await #expect {
            _ = try await f.coordinator(Self.fast, api: api, report: events.add).run(sweepId: f.sweepId)
        } throws: { error in
            if case .sweepBusy = error as? BatchError { true } else { false }
        }
        let recorded = try #require(api.otherId)
        let twin = try #require(api.ownId)
        #expect(try await f.store.batches(sweepId: f.sweepId).first?.providerBatchId == recorded, "the first recorded batch is kept")
        #expect(f.mock.batchStats().batchesCreated == 2 && f.mock.batchStats().batchesCancelled == 1)
        #expect(["cancelling", "cancelled"].contains(f.mock.batchStatuses()[twin] ?? ""), "\(f.mock.batchStatuses())")
        #expect(events.text.contains("twinCancelled") && events.text.contains(twin), "\(events.text)")
        // The recorded batch is collected by the next run; the twin answered nothing.
        #expect(try await f.coordinator(Self.fast).run(sweepId: f.sweepId) == .finished(rounds: 1))
        try await f.expectExactlyOnce(10)
    }

    /// A run stopped (Ctrl-C) while its batch runs leaves it running; a new process collects it without sending anything
    /// again, and a re-run after that sends nothing.
    @Test(arguments: Backend.available)
    func aStoppedRunIsCollectedByTheNextAndARerunSendsNothing(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.5
        let f = try await Fixture(backend, prompts: 30, faults: faults)
        let stop = StopSignal()
        let running = Task { try await f.coordinator(Self.fast, stop: stop).run(sweepId: f.sweepId) }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try await f.store.openBatches(sweepId: f.sweepId).filter({ $0.stage == .submitted }).count < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        stop.request(.drain)
        guard case .leftRunning(let ids) = try await running.value else { Issue.record("the run did not leave its batches running"); return }
        #expect(!ids.isEmpty)
        let second = try f.db.open()
        #expect(try await f.coordinator(Self.fast, store: second).run(sweepId: f.sweepId) == .finished(rounds: 1))
        try await f.expectExactlyOnce(30)
        let created = f.mock.batchStats().batchesCreated
        #expect(f.mock.batchStats().submissionsPerCustomId.values.allSatisfy { $0 == 1 }, "nothing submitted twice")
        #expect(try await f.coordinator(Self.fast, store: try f.db.open()).run(sweepId: f.sweepId) == .finished(rounds: 0))
        #expect(f.mock.batchStats().batchesCreated == created, "a re-run sends nothing")
    }

    /// A job answered through the request path while it is a line of a batch (a late answer of a claim) keeps that
    /// answer: the batch's answer is a paid duplicate attempt, never a second response.
    @Test(arguments: Backend.available)
    func aJobAlreadyAnsweredIsNeverStoredTwice(_ backend: Backend) async throws {
        let f = try await Fixture(backend, prompts: 4, faults: MockBatchFaults())
        let jobs = try await f.store.pendingJobs(sweepId: f.sweepId, limit: 10)
        let record = try await f.store.recordBatch(sweepId: f.sweepId, ref: "dup-ref",
                                                   lines: jobs.map { (jobId: $0.id, customId: "c\($0.id)") },
                                                   bytes: 1, priceFactor: 0.5, worstCost: nil, wire: "openai")
        let early = RunQueueConformanceTests.answer(jobs[0])
        try await f.store.commitSuccess(early.0, response: early.1)
        let results = jobs.map { job -> BatchLineResult in
            let (attempt, response) = RunQueueConformanceTests.answer(job)
            var late = response
            late.choice.content = "from the batch"
            return .answer(attempt: attempt, response: late)
        }
        let applied = try await f.store.applyBatchResults(batchId: record.id, results: results, maxAttempts: 5, priceFactor: 0.5)
        #expect(applied.answered == 3 && applied.duplicates == 1 && applied.skipped == 0)
        let again = try await f.store.applyBatchResults(batchId: record.id, results: results, maxAttempts: 5, priceFactor: 0.5)
        #expect(again.skipped == 4 && again.answered == 0 && again.duplicates == 0)
        let stored = try f.store.responses(query: ResponseQuery(setName: "b", limit: 100, includeLogprobs: false))
        #expect(stored.count == 4)
        #expect(stored.first { $0.jobId == jobs[0].id }?.choice.content == early.1.choice.content, "the first answer is kept")
        let back = try await f.store.finishBatch(id: record.id, roundLimit: nil)
        #expect(back == BatchReturn(pending: 0, failed: 0))
        #expect(try await f.store.jobStates(sweepId: f.sweepId)[.done] == 4)
        #expect(try await f.store.batch(id: record.id)?.stage == .collected)
    }

    /// Two processes recording batches over the same jobs: the second records nothing (a job is a line of at most
    /// one open batch); closing the batch with a round limit fails jobs that came back unanswered that often.
    @Test(arguments: Backend.available)
    func aJobIsALineOfAtMostOneOpenBatchAndTheRoundLimitHolds(_ backend: Backend) async throws {
        let f = try await Fixture(backend, prompts: 6, faults: MockBatchFaults())
        let other = try f.db.open()
        let jobs = try await f.store.pendingJobs(sweepId: f.sweepId, limit: 10)
        let a = try await f.store.recordBatch(sweepId: f.sweepId, ref: "a", lines: jobs.prefix(4).map { (jobId: $0.id, customId: "c\($0.id)") },
                                              bytes: 1, priceFactor: 1, worstCost: 2.5, wire: "openai")
        await #expect(throws: StoreError.self) {
            _ = try await other.recordBatch(sweepId: f.sweepId, ref: "b", lines: jobs.suffix(3).map { (jobId: $0.id, customId: "c\($0.id)") },
                                            bytes: 1, priceFactor: 1, worstCost: nil, wire: "openai")
        }
        #expect(try await other.batches(sweepId: f.sweepId).map(\.id) == [a.id], "nothing of the refused batch was recorded")
        #expect(try await other.pendingJobs(sweepId: f.sweepId, limit: 10).map(\.id) == jobs.suffix(2).map(\.id))
        #expect(try await other.batchJobs(batchId: a.id, openOnly: true, limit: 100).map(\.id) == jobs.prefix(4).map(\.id))
        // One line answered, the rest come back unanswered: with a round limit of 1 they fail, the answered one is done.
        let (attempt, response) = RunQueueConformanceTests.answer(jobs[0])
        _ = try await other.applyBatchResults(batchId: a.id, results: [.answer(attempt: attempt, response: response)], maxAttempts: 5,
                                              priceFactor: 1)
        #expect(try await other.finishBatch(id: a.id, roundLimit: 1) == BatchReturn(pending: 0, failed: 3))
        let states = try await f.store.jobStates(sweepId: f.sweepId)
        #expect(states[.done] == 1 && states[.failed] == 3 && states[.pending] == 2)
        let closed = try #require(try await f.store.batch(id: a.id))
        #expect(closed.stage == .collected && closed.answered == 1 && closed.returned == 3)
    }

    /// Queued batch runs (`via: batch`): listed with their reserved worst case, polled on a stored schedule, ended
    /// when nothing of them is open.
    @Test(arguments: Backend.available)
    func batchRunsAreListedScheduledAndFinished(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let store = try db.open()
        var request = RunQueueConformanceTests.request(3, budget: 10, prices: (1, 2))
        request.via = .batch
        let run = try await store.enqueueRun(request)
        let listed = try #require(try await store.activeBatchRuns().first)
        #expect(listed.runId == run.runId && listed.budget == 10 && listed.reserved == 0 && listed.prices?.input == 1)
        let jobs = try await store.pendingJobs(sweepId: run.sweepId, limit: 10)
        let batch = try await store.recordBatch(sweepId: run.sweepId, ref: "r", lines: jobs.map { (jobId: $0.id, customId: "c\($0.id)") },
                                                bytes: 10, priceFactor: 0.5, worstCost: 1.25, wire: "openai")
        #expect(try await store.activeBatchRuns().first?.reserved == 1.25)
        #expect(try await store.finishBatchRun(runId: run.runId, budgetReached: false) == nil, "its jobs are leased to a batch")
        try await store.scheduleBatchPoll(id: batch.id, at: 1_000, interval: 7.5)
        try await store.markBatchUploaded(id: batch.id, inputFileId: "file-1")
        try await store.markBatchSubmitted(id: batch.id, providerBatchId: "batch-1", status: "validating")
        try await store.updateBatchStatus(id: batch.id, status: "in_progress", outputFileId: nil, errorFileId: nil, lastError: nil)
        let seen = try #require(try await store.batch(id: batch.id))
        #expect(seen.nextPollAt == 1_000 && seen.pollInterval == 7.5 && seen.stage == .submitted && seen.providerStatus == "in_progress")
        #expect(seen.inputFileId == "file-1" && seen.providerBatchId == "batch-1" && seen.worstCost == 1.25 && seen.priceFactor == 0.5)
        #expect(try await store.providerBatchIds() == ["batch-1"])
        #expect(try await store.batchTeacher(batchId: batch.id)?.name == RunQueueConformanceTests.teacher.name)
        #expect(try await store.batchStateCounts() == [BatchStateCount(state: "in_progress", collected: false, batches: 1, requests: 3,
                                                                       answered: 0, errored: 0, returned: 0)])
        for job in jobs {
            let (attempt, response) = RunQueueConformanceTests.answer(job)
            _ = try await store.applyBatchResults(batchId: batch.id, results: [.answer(attempt: attempt, response: response)], maxAttempts: 5,
                                                  priceFactor: 0.5)
        }
        try await store.finishBatch(id: batch.id, roundLimit: 3)
        #expect(try await store.finishBatchRun(runId: run.runId, budgetReached: false) == .done)
        #expect(try await store.activeBatchRuns().isEmpty)
        // 20 tokens per answer at prices 1 and 2 per million, half price: 3 × 30 / 1e6.
        #expect(abs(try #require(try await store.latestRuns(now: nil).first).spent - 3 * 30 * 0.5 / 1_000_000) < 1e-15)
    }

    /// Several daemons on one PostgreSQL stepping the same batch run: one at a time holds the sweep, no job is in
    /// two batches, no batch is created twice; a process that dies holding the lock (its connection closes) does not
    /// block the others.
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func threeProcessesSteppingOneSweepSubmitEveryJobOnce() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        let f = try await Fixture(.postgres, prompts: 90, faults: faults)
        let stores = [f.store, try f.db.open(), try f.db.open()]
        let settings = BatchSettings(maxRequestsPerFile: 20, pollSeconds: 0.05, maxPollSeconds: 0.2)
        let heldElsewhere = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores {
                let c = f.coordinator(settings, store: store)
                group.addTask {
                    var busy = 0
                    let deadline = Date().addingTimeInterval(120)
                    while Date() < deadline {
                        let outcome = try await c.step(sweepId: f.sweepId, budget: nil)
                        if outcome.heldElsewhere { busy += 1 }
                        if !outcome.heldElsewhere, outcome.open == 0, try await store.jobStates(sweepId: f.sweepId)[.done] == 90 { break }
                        if outcome.heldElsewhere, try await store.jobStates(sweepId: f.sweepId)[.done] == 90 { break }
                        try await Task.sleep(for: .milliseconds(Int.random(in: 1...15)))
                    }
                    return busy
                }
            }
            return try await group.reduce(0, +)
        }
        try await f.expectExactlyOnce(90)
        let stats = f.mock.batchStats()
        #expect(stats.submissionsPerCustomId.count == 90 && stats.submissionsPerCustomId.values.allSatisfy { $0 == 1 },
                "no job was submitted in two batches")
        #expect(stats.batchesCreated == 5, "90 jobs in files of 20: five batches, each created once")
        #expect(heldElsewhere > 0, "the processes did meet at the sweep's lock")

        // A process that dies holding the lock: the server releases it with its connection.
        let dying = try PostgresStore(url: try #require(f.db.postgresURL), connections: 1)
        let other = try f.db.open()
        let entered = try await dying.withBatchSweepLock(sweepId: f.sweepId) { () async throws -> Bool in
            #expect(try await other.withBatchSweepLock(sweepId: f.sweepId) { true } == nil, "held by the other process")
            #expect(try await dying.withBatchSweepLock(sweepId: f.sweepId) { true } == nil, "held by another task of this process")
            dying.close()
            return true
        }
        #expect(entered == true)
        // The server ends the closed session (and releases its locks) on its own time: wait for it, generously.
        var freed = false
        let until = Date().addingTimeInterval(30)
        while !freed, Date() < until {
            freed = try await other.withBatchSweepLock(sweepId: f.sweepId) { true } == true
            if !freed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(freed, "free once its holder's connection closed")

        // The lock's connection cut by the server (as in a restart or a network cut): the holder learns it before it
        // would send anything more, and another process can take the sweep.
        let holder = try f.db.open()
        let admin = try PostgresConnection(url: PostgresURL(try #require(f.db.postgresURL)))
        let lost = try await holder.withBatchSweepLock(sweepId: f.sweepId) { () async throws -> Bool in
            #expect(try await holder.holdsBatchSweepLock(sweepId: f.sweepId))
            let key = Int64(0x6862_0000_0000_0000) + f.sweepId
            try admin.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
                  AND ((classid::bigint << 32) | objid::bigint) = $1
                """, [.int(key)])
            let still = try? await holder.holdsBatchSweepLock(sweepId: f.sweepId)
            return still != true
        }
        #expect(lost == true, "a lock lost with its connection is not reported as held")
        var taken = false
        let limit = Date().addingTimeInterval(30)
        while !taken, Date() < limit {
            taken = try await other.withBatchSweepLock(sweepId: f.sweepId) { true } == true
            if !taken { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(taken, "another process takes the sweep once the lost lock is released")
    }
}
