import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// Batch mode through the mock teacher's batch API on real loopback HTTP: full cycles, per-line errors,
/// an expired batch, a validation failure, a cancel; every job answered exactly once by the mock's own counters.
@Suite(.serialized) struct BatchCoordinatorTests {
    /// A temp dir, a mock with `faults`, a store with `n` prompts and a sweep over them.
    final class Fixture: @unchecked Sendable {
        let dir: TempDir
        let mock: MockTeacherServer
        let store: SQLiteStore
        let teacher: TeacherEndpoint
        let sweepId: Int64
        let transport: CurlTransport

        init(prompts n: Int, faults: MockBatchFaults) throws {
            dir = try TempDir()
            var config = MockTeacherConfiguration()
            config.batch = faults
            mock = MockTeacherServer(config)
            let port = try mock.start()
            store = try SQLiteStore(path: dir.path("batch.sqlite"))
            let prompts = (0..<n).map { i in
                PromptInput(externalId: "q\(i)", messages: [ChatMessage(role: "user", content: "Batch question \(i)?")],
                            source: InputLocation(file: "gen", line: i + 1))
            }
            _ = try store.importPrompts(setName: "b", prompts: prompts, sourceName: "gen")
            teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher")
            sweepId = try store.createSweep(name: "b", setName: "b", teacher: teacher,
                                            params: SamplingParams(maxTokens: 8, temperature: 0.5, topLogprobs: 2), samples: 1).sweepId
            transport = try CurlTransport()
        }

        func coordinator(_ settings: BatchSettings, stop: StopSignal = StopSignal()) -> BatchCoordinator {
            BatchCoordinator(store: store, api: OpenAIBatchClient(transport: transport, baseURL: teacher.baseURL, apiKey: nil),
                             settings: settings, maxAttempts: 5, stop: stop)
        }

        /// Every job of the sweep was answered once and only once by the mock, and stored once.
        func expectExactlyOnce(_ n: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let stats = mock.batchStats()
            #expect(stats.answersPerCustomId.count == n, sourceLocation: sourceLocation)
            #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "an answer was produced twice", sourceLocation: sourceLocation)
            #expect(try store.jobStates(sweepId: sweepId)[.done] == n, sourceLocation: sourceLocation)
            #expect(try store.counts()["responses"] == n, sourceLocation: sourceLocation)
            #expect(try store.openBatches(sweepId: sweepId).isEmpty, sourceLocation: sourceLocation)
        }

        deinit {
            transport.shutdown()
            store.close()
            mock.stop()
            dir.cleanup()
        }
    }

    static let fast = BatchSettings(maxRequestsPerFile: 25, priceFactor: 0.5, pollSeconds: 0.05, maxPollSeconds: 0.2)

    @Test func fullCycleStoresEveryAnswerOnceWithLogprobsAtBatchPrice() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        let f = try Fixture(prompts: 60, faults: faults)
        try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 2, outputPerMillion: 8)
        let outcome = try await f.coordinator(Self.fast).run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 1))
        try f.expectExactlyOnce(60)
        let batches = try f.store.batches(sweepId: f.sweepId)
        #expect(batches.map(\.requests) == [25, 25, 10], "60 jobs in files of at most 25 lines")
        #expect(batches.allSatisfy { $0.stage == .collected && $0.providerStatus == "completed" && $0.answered == $0.requests })
        #expect(f.mock.batchStats().batchesCreated == 3)
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let withLogprobs = try db.queryOne("SELECT count(*) FROM responses WHERE logprobs IS NOT NULL") { $0.int(0) }
        #expect(withLogprobs == 60)
        // Spend: batch price = 0.5 × list price × tokens, per answer.
        let (cost, expected) = try db.queryOne("""
            SELECT sum(a.cost), sum((r.prompt_tokens * 2.0 + r.completion_tokens * 8.0) * 0.5 / 1000000.0)
            FROM responses r JOIN attempts a ON a.id = r.attempt_id
            """) { ($0.double(0), $0.double(1)) }!
        #expect(expected > 0)
        #expect(abs(cost - expected) < 1e-12)

        // A collection repeated (a crash after storing some lines, then a rerun) applies nothing twice.
        let first = batches[0]
        let output = try await OpenAIBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: nil)
            .fileContent(try #require(first.outputFileId))
        let reader = BatchOutputReader(lines: try f.store.batchLines(batchId: first.id), kind: .chat, logprobsRequested: true,
                                       startedAt: first.createdAt)
        var again = BatchApplySummary()
        let counts = try await reader.read(output, chunk: 7) { chunk in
            let s = try await f.store.applyBatchResults(batchId: first.id, results: chunk, maxAttempts: 5, priceFactor: 0.5)
            again.skipped += s.skipped
            again.answered += s.answered + s.duplicates
        }
        #expect(counts.results == 25 && again.skipped == 25 && again.answered == 0)
        #expect(try db.queryOne("SELECT count(*) FROM attempts") { $0.int(0) } == 60, "no attempt recorded twice")
    }

    @Test func lineErrorsAreResubmittedAlone() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.lineErrorRate = 0.2
        let f = try Fixture(prompts: 100, faults: faults)
        let outcome = try await f.coordinator(Self.fast).run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 2))
        try f.expectExactlyOnce(100)
        let stats = f.mock.batchStats()
        #expect(stats.linesErrored > 0)
        let resubmitted = stats.submissionsPerCustomId.values.filter { $0 == 2 }.count
        #expect(resubmitted == stats.linesErrored, "only the lines that failed were submitted again")
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 })
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let retries = try db.queryOne("SELECT count(*) FROM attempts WHERE outcome = 'retry' AND http_status = 500") { $0.int(0) }
        #expect(retries == stats.linesErrored, "each line error is recorded as an attempt")
    }

    @Test func expiredBatchKeepsItsDoneHalfAndResubmitsTheRest() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.expire = 1
        let f = try Fixture(prompts: 40, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 40, pollSeconds: 0.05, maxPollSeconds: 0.2)
        let outcome = try await f.coordinator(settings).run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 2))
        try f.expectExactlyOnce(40)
        let batches = try f.store.batches(sweepId: f.sweepId)
        #expect(batches.count == 2)
        #expect(batches[0].providerStatus == "expired" && batches[0].answered == 20 && batches[0].returned == 20)
        #expect(batches[1].requests == 20, "only the 20 lines that did not run were submitted again")
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let maxAttempts = try db.queryOne("SELECT max(attempts) FROM jobs") { $0.int(0) }
        #expect(maxAttempts == 1, "a line that expired unrun costs no attempt")
    }

    @Test func validationFailureReturnsJobsAndTheNextRoundSucceeds() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.failValidation = 1
        let f = try Fixture(prompts: 10, faults: faults)
        let outcome = try await f.coordinator(Self.fast).run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 2))
        try f.expectExactlyOnce(10)
        let first = try #require(try f.store.batches(sweepId: f.sweepId).first)
        #expect(first.providerStatus == "failed" && first.returned == 10)
        #expect(first.lastError?.contains("validation") == true)
    }

    @Test func cancelledBatchKeepsWhatCameBack() async throws {
        var faults = MockBatchFaults()
        // Steps of 4 s: the window in which the batch is in_progress with some lines done (4.8–8 s after creation) is
        // wide enough that a test starved of the cooperative pool by other suites still lands its cancel in it.
        faults.stepSeconds = 4
        let f = try Fixture(prompts: 50, faults: faults)
        let settings = BatchSettings(maxRequestsPerFile: 50, pollSeconds: 0.05, maxPollSeconds: 0.1, maxRounds: 1)
        let api = OpenAIBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: nil)
        let coordinator = f.coordinator(settings)
        let run = Task { try await coordinator.run(sweepId: f.sweepId) }
        // Cancel half-way through in_progress.
        var cancelled = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !cancelled, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            if let id = try f.store.batches(sweepId: f.sweepId).first?.providerBatchId {
                let info = try await api.batch(id)
                if info.status == "in_progress", info.completed >= 10 {
                    _ = try await api.cancel(id)
                    cancelled = true
                }
            }
        }
        #expect(cancelled)
        #expect(try await run.value == .finished(rounds: 1))
        let batch = try #require(try f.store.batches(sweepId: f.sweepId).first)
        #expect(batch.providerStatus == "cancelled")
        #expect(batch.answered > 0 && batch.answered < 50 && batch.answered + batch.returned == 50)
        #expect(try f.store.jobStates(sweepId: f.sweepId)[.done] == batch.answered)
        #expect(try f.store.jobStates(sweepId: f.sweepId)[.pending] == batch.returned)
        #expect(f.mock.batchStats().answersPerCustomId.count == batch.answered)
    }

    /// The issue's bar without the kills: 10,000 jobs, 2 % line errors, one expired batch. Prints the figures.
    @Test func tenThousandJobsWithLineErrorsAndAnExpiredBatch() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.2
        faults.lineErrorRate = 0.02
        faults.expire = 1
        let f = try Fixture(prompts: 10_000, faults: faults)
        try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 1, outputPerMillion: 4)
        let settings = BatchSettings(maxRequestsPerFile: 2_500, priceFactor: 0.5, pollSeconds: 0.1, maxPollSeconds: 0.5)
        let started = Date()
        let outcome = try await f.coordinator(settings).run(sweepId: f.sweepId)
        let seconds = Date().timeIntervalSince(started)
        #expect(outcome == .finished(rounds: 2))
        try f.expectExactlyOnce(10_000)
        let stats = f.mock.batchStats()
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let (cost, expected) = try db.queryOne("""
            SELECT sum(a.cost), sum((r.prompt_tokens * 1.0 + r.completion_tokens * 4.0) * 0.5 / 1000000.0)
            FROM responses r JOIN attempts a ON a.id = r.attempt_id
            """) { ($0.double(0), $0.double(1)) }!
        let paid = try db.queryOne("SELECT count(*) FROM attempts WHERE cost IS NOT NULL") { $0.int(0) }
        #expect(paid == 10_000, "only answers are charged")
        #expect(abs(cost - expected) < 1e-9)
        print("batch bench: 10000 jobs, \(stats.batchesCreated) batches, \(stats.linesErrored) line errors, 1 expired batch: "
              + "\(String(format: "%.1f", seconds)) s wall (mock steps 0.2 s), every job answered once")
    }

    @Test func multipartUploadRoundTripsThroughTheMock() async throws {
        let f = try Fixture(prompts: 1, faults: MockBatchFaults())
        let api = OpenAIBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: nil)
        let bytes = Array("{\"a\":1}\r\n--not-the-boundary\r\n\u{0}\u{7F}end".utf8)
        let id = try await api.uploadFile(bytes, filename: "x.jsonl")
        #expect(try await api.fileContent(id) == bytes)
        await #expect(throws: BatchError.self) { try await api.batch("batch-unknown") }
    }
}
