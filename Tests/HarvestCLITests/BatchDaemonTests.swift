#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import MockTeacher
import SQLiteStore
import Testing

/// `harvest serve` working off a sweep queued with `via: "batch"` through the in-process mock teacher's batch API:
/// line errors, an expired batch, kill -9 while batches are being polled, a restart — every job answered exactly
/// once by the mock's own counters, spend at the batch price, batches shown in `/metrics` and `harvest status`.
@Suite(.serialized) struct BatchDaemonTests {
    static func writeConfig(_ f: DaemonFixture, metricsPort: Int, budget: Double? = nil, wire: String = "openai",
                            batchMaxRequests: Int = 40, batchRounds: Int = 3) throws {
        let budgetJSON = budget.map { ", \"budget\": \($0)" } ?? ""
        let text = """
            {
              "database": {"path": "harvest.sqlite"}, "server": {"metrics_address": "127.0.0.1:\(metricsPort)"},
              "drain_seconds": 10, "lease_seconds": 30, "poll_seconds": 0.1,
              "teachers": [{"name": "mock", "base_url": "http://127.0.0.1:\(f.port)/v1", "model": "mock-teacher",
                            "prices": {"input_per_million": 2, "output_per_million": 8},
                            "sampling": {"max_tokens": 16, "temperature": 0.5, "logprobs": 2},
                            "batch_max_requests": \(batchMaxRequests), "batch_poll_seconds": 0.2, "batch_price_factor": 0.5, "max_attempts": 4,
                            "batch_rounds": \(batchRounds),
                            "batch_wire": "\(wire)"}],
              "sweeps": [{"name": "main", "prompt_file": "prompts.txt", "set": "main", "teacher": "mock", "via": "batch"\(budgetJSON)}]
            }
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: f.configPath))
    }

    static func runId(_ r: CLIRunner.Result) throws -> Int64 {
        guard r.status == 0, let id = Int64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("harvest sweep failed (\(r.status)): \(r.stderr)")
        }
        return id
    }

    static func run(_ f: DaemonFixture, _ runId: Int64) throws -> RunStatus? {
        let store = try f.store()
        defer { store.close() }
        return try store.runStatus(id: runId)
    }

    @Test(arguments: ["openai", "anthropic"])
    func killNineWhilePollingThenRestartAnswersEveryJobExactlyOnce(wire: String) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 3  // each batch lives ~9 s: the kill lands while they are polled
        faults.lineErrorRate = 0.05
        faults.expire = 1
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(200)
        let metricsPort = DaemonFixture.freePort()
        try Self.writeConfig(f, metricsPort: metricsPort, wire: wire)
        let runId = try Self.runId(try await f.enqueue("main"))
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }

        // Polling: every file is submitted and at least one is running at the provider. (Not "all five open": the
        // first batch expires after ~6 s, so on a loaded machine that window can close before the test looks.)
        let polling = try await f.waitUntil(seconds: 60) {
            let store = try f.store()
            defer { store.close() }
            let open = try store.openBatches()
            return try store.batches().count >= 5 && !open.isEmpty && open.allSatisfy { $0.stage == .submitted }
                && open.contains { $0.providerStatus == "in_progress" }
        }
        #expect(polling, "log: \(serve.log)")
        let metrics = try #require(httpGet(port: metricsPort, path: "/metrics"))
        #expect(metrics.body.contains("harvest_batch_open_requests{batch=\"") && metrics.body.contains("provider_id=\"batch-mock"),
                "\(metrics.body)")
        let openBatches = metrics.body.split(separator: "\n").filter { $0.hasPrefix("harvest_batches{") && $0.contains("open=\"true\"") }
        #expect(!openBatches.isEmpty, "\(metrics.body)")
        let status = try await CLIRunner.run(["status", "--db", f.database])
        #expect(status.status == 0 && status.stdout.contains("provider id batch-mock"), "status shows the provider ids: \(status.stdout)")
        serve.signal(SIGKILL)
        #expect(await serve.waitForExit(seconds: 10) != nil)

        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        let finished = try await f.waitUntil(seconds: 120) { try Self.run(f, runId)?.state == .done }
        #expect(finished, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)

        let stats = f.mock.batchStats()
        #expect(stats.answersPerCustomId.count == 200)
        #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "a job was answered twice")
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 }, "a line was submitted again without having failed or expired")
        #expect(stats.linesErrored > 0)
        let resubmitted = stats.submissionsPerCustomId.values.filter { $0 == 2 }.count
        let store = try f.store()
        defer { store.close() }
        let batches = try store.batches()
        let expiredUnrun = batches.filter { $0.providerStatus == "expired" }.reduce(0) { $0 + $1.returned }
        #expect(expiredUnrun > 0)
        #expect(resubmitted == stats.linesErrored + expiredUnrun, "only failed and expired lines were submitted again")
        #expect(try store.counts()["responses"] == 200)
        #expect(try store.openBatches().isEmpty)
        let run = try #require(try store.runStatus(id: runId))
        #expect(run.done == 200 && run.answers == 200)
        let expected = try store.spendCheck()
        #expect(expected > 0 && abs(run.spent - expected) < 1e-9, "spend = batch price × tokens")
    }

    /// Kills `serve` with SIGKILL, starts the daemon again, waits until run `runId` is done and stops it cleanly;
    /// returns the mock's batch counters.
    static func killRestartAndFinish(_ f: DaemonFixture, _ serve: inout ServeProcess, runId: Int64) async throws -> MockBatchStats {
        serve.signal(SIGKILL)
        #expect(await serve.waitForExit(seconds: 10) != nil)
        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        let finished = try await f.waitUntil(seconds: 120) { try Self.run(f, runId)?.state == .done }
        #expect(finished, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        return f.mock.batchStats()
    }

    /// Every one of `jobs` custom ids was submitted in exactly one created batch and answered exactly once.
    static func expectEachSubmittedAndAnsweredOnce(_ stats: MockBatchStats, jobs: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(stats.submissionsPerCustomId.count == jobs && stats.submissionsPerCustomId.values.allSatisfy { $0 == 1 },
                sourceLocation: sourceLocation)
        #expect(stats.answersPerCustomId.count == jobs && stats.answersPerCustomId.values.allSatisfy { $0 == 1 },
                sourceLocation: sourceLocation)
    }

    @Test func theDaemonStopsResubmittingAfterBatchRounds() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.failValidation = 1_000  // the provider refuses every batch
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(60)
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort(), batchRounds: 2)
        let runId = try Self.runId(try await f.enqueue("main"))
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let finished = try await f.waitUntil(seconds: 120) { try Self.run(f, runId)?.state == .done }
        #expect(finished, "log: \(serve.log)")
        // A few more polls: nothing else is submitted once every job is out of rounds.
        try await Task.sleep(for: .seconds(1))
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        let stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 4 && stats.filesUploaded == 4, "two files of 40 and 20 lines, two rounds each (batch_rounds 2): \(stats)")
        let run = try #require(try Self.run(f, runId))
        #expect(run.failed == 60 && run.done == 0, "\(run)")
        #expect(serve.log.contains("out_of_rounds"), "log: \(serve.log)")
    }

    @Test(arguments: ["openai", "anthropic"])
    func killNineWhileTheFirstCreateIsInFlightFindsTheBatchAgain(wire: String) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.3
        faults.createReplyDelay = 60  // the first create is done at the mock, its reply held back
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(120)
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort(), wire: wire)
        let runId = try Self.runId(try await f.enqueue("main"))
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let created = try await f.waitUntil(seconds: 60) {
            let store = try f.store()
            defer { store.close() }
            let stage = try store.batch(id: 1)?.stage
            return f.mock.batchStats().batchesCreated == 1 && stage == .uploaded
        }
        #expect(created, "log: \(serve.log)")
        let stats = try await Self.killRestartAndFinish(f, &serve, runId: runId)
        #expect(stats.batchesCreated == 3, "the batch created before the kill was found again, not created twice")
        Self.expectEachSubmittedAndAnsweredOnce(stats, jobs: 120)
        #expect(serve.log.contains("found=true"), "log: \(serve.log)")
    }

    @Test func killNineWhileTheFirstUploadIsInFlightUploadsAgainAndCreatesOnce() async throws {
        var faults = MockBatchFaults()
        faults.uploadReplyDelay = 60  // the first file is stored at the mock, its id never reaches the daemon
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(120)
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort())
        let runId = try Self.runId(try await f.enqueue("main"))
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let uploading = try await f.waitUntil(seconds: 60) {
            let store = try f.store()
            defer { store.close() }
            let stage = try store.batch(id: 1)?.stage
            return f.mock.batchStats().filesUploaded == 1 && stage == .prepared
        }
        #expect(uploading, "log: \(serve.log)")
        let stats = try await Self.killRestartAndFinish(f, &serve, runId: runId)
        // An upload costs nothing; what must not repeat is a created batch (that is what a provider bills).
        #expect(stats.filesUploaded >= 4, "the file whose id was lost is uploaded again")
        #expect(stats.batchesCreated == 3)
        Self.expectEachSubmittedAndAnsweredOnce(stats, jobs: 120)
    }

    @Test(arguments: ["openai", "anthropic"])
    func killNineDuringTheFirstResultsDownloadStoresEveryAnswerOnce(wire: String) async throws {
        var faults = MockBatchFaults()
        faults.finalizingSeconds = 2  // a slow `finalizing`, seen by the daemon's polls
        faults.downloadReplyDelay = 60  // the first results download hangs: killed mid-download
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(120)
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort(), wire: wire)
        let runId = try Self.runId(try await f.enqueue("main"))
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        var sawFinalizing = false
        let downloading = try await f.waitUntil(seconds: 90) {
            let store = try f.store()
            defer { store.close() }
            if try store.batches().contains(where: { $0.providerStatus == "finalizing" || $0.providerStatus == "in_progress" && wire == "anthropic" }) {
                sawFinalizing = true
            }
            return f.mock.batchStats().resultDownloads >= 1
        }
        #expect(downloading, "log: \(serve.log)")
        #expect(sawFinalizing, "the daemon polled through the slow finalizing step")
        #expect(try Self.run(f, runId)?.done ?? 0 < 120, "killed before every answer was stored")
        let stats = try await Self.killRestartAndFinish(f, &serve, runId: runId)
        #expect(stats.resultDownloads >= 4, "the interrupted download was made again after the restart")
        #expect(stats.batchesCreated == 3, "nothing was resubmitted because a download was cut")
        Self.expectEachSubmittedAndAnsweredOnce(stats, jobs: 120)
        #expect(try Self.run(f, runId)?.done == 120)
    }

    /// The issue's bar on the daemon path: 10,000 jobs, 2 % line errors, one expired batch, two kill -9 at random
    /// moments (whatever stage the files are in), restarts — every job answered once by the mock's counters,
    /// nothing submitted twice that had not failed or expired, spend = batch price × tokens. Prints its figures.
    /// Runs with `HARVEST_BENCH=1` only (80–120 s of CPU in debug: it would starve the timing-bound tests of a
    /// parallel suite run); the smaller kill tests above run always.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
    func tenThousandJobsThroughTwoRandomKills() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 1
        faults.lineErrorRate = 0.02
        faults.expire = 1
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(10_000)
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort(), batchMaxRequests: 2500)
        let started = Date()
        let runId = try Self.runId(try await f.enqueue("main"))
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        var stagesAtKills: [String] = []
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...4000)))
            serve.signal(SIGKILL)
            #expect(await serve.waitForExit(seconds: 10) != nil)
            let store = try f.store()
            stagesAtKills.append(try store.batches().map { "\($0.id):\($0.providerStatus ?? $0.stage.rawValue)" }.joined(separator: " "))
            store.close()
            serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        }
        // Read the daemon's systemd notifications meanwhile: over minutes its STATUS= lines would fill the test's
        // notify socket, and a full socket blocks the daemon's sender.
        let deadline = Date().addingTimeInterval(300)
        var finished = false
        while !finished, Date() < deadline {
            finished = try Self.run(f, runId)?.state == .done
            if !finished { _ = await serve.notify.wait(for: "\u{1}", seconds: 0.2) }
        }
        #expect(finished, "log: \(serve.log)")
        let wall = Date().timeIntervalSince(started)
        serve.signal(SIGTERM)
        let exit = await serve.waitForExit(seconds: 60)
        #expect(exit == 0, "exit \(String(describing: exit)); log: \(serve.log.suffix(6000))")
        let stats = f.mock.batchStats()
        #expect(stats.answersPerCustomId.count == 10_000)
        #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "a job was answered twice")
        let store = try f.store()
        defer { store.close() }
        let batches = try store.batches()
        let expiredUnrun = batches.filter { $0.providerStatus == "expired" }.reduce(0) { $0 + $1.returned }
        let resubmitted = stats.submissionsPerCustomId.values.filter { $0 > 1 }.count
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 })
        #expect(resubmitted == stats.linesErrored + expiredUnrun, "only failed and expired lines were submitted again")
        #expect(try store.counts()["responses"] == 10_000)
        let run = try #require(try store.runStatus(id: runId))
        let expected = try store.spendCheck()
        #expect(abs(run.spent - expected) < 1e-9, "spend = batch price × tokens")
        print("daemon batch soak: 10,000 jobs, \(stats.batchesCreated) batches created, \(stats.linesErrored) line errors, "
              + "\(expiredUnrun) lines expired unrun, 2 kill -9 (batches at the kills: [\(stagesAtKills.joined(separator: "] ["))]), "
              + "\(Int(wall)) s wall from enqueue to run done")
    }

    @Test func aBudgetStopsTheRunBeforeAFileWouldOverrunIt() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.2
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(100)
        // Worst case of a line: ~(prompt 15 tokens × 2 + 16 × 8) × 0.5 / 1e6 ≈ 0.00008; 0.002 fits ~25 lines.
        try Self.writeConfig(f, metricsPort: DaemonFixture.freePort(), budget: 0.002)
        let runId = try Self.runId(try await f.enqueue("main"))
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let stopped = try await f.waitUntil(seconds: 60) { try Self.run(f, runId)?.state == .budget }
        #expect(stopped, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        let run = try #require(try Self.run(f, runId))
        let sent = f.mock.batchStats().submissionsPerCustomId.count
        #expect(sent > 0 && sent < 100, "some lines fit, not all")
        #expect(run.done == sent && run.spent <= 0.002, "spent \(run.spent) within the budget")
        #expect(serve.log.contains("batch run reached its budget"))
    }
}

extension SQLiteStore {
    /// Σ over stored answers of (prompt × 2 + completion × 8) × 0.5 / 1e6: what the answers cost at the batch price.
    func spendCheck() throws -> Double {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        return try db.queryOne("SELECT sum((prompt_tokens * 2.0 + completion_tokens * 8.0) * 0.5 / 1000000.0) FROM responses") { $0.double(0) } ?? 0
    }
}
