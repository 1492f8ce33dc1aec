#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import MockTeacher
import PostgresStore
import SQLiteStore
import Testing

/// Provider batches on PostgreSQL through the real `harvest` binary against an in-process mock teacher that serves the
/// batch API: `sweep SET --run --via batch` killed with -9 after the provider created its batch, then run again (the
/// batch is found, not created twice) and once more (nothing sent); `batch cancel` and `status`; two `harvest serve`
/// daemons on one database working a `via: "batch"` run, one of them killed with -9 while polling. Every job is
/// answered exactly once by the mock's own counters. Skipped without `HARVEST_TEST_PG_URL`.
@Suite(.serialized, .enabled(if: PostgresScratch.available, PostgresScratch.skipNote))
struct PostgresBatchCLITests {
    /// What the database holds, read by the test process.
    static func stored(_ pg: PostgresScratch, set: String) async throws -> (responses: Int, batches: [BatchRecord]) {
        let store = try PostgresStore(url: pg.url, connections: 1)
        defer { store.close() }
        let responses = try store.responses(query: ResponseQuery(setName: set, limit: 100_000, includeLogprobs: false)).count
        return (responses, try await store.batches(sweepId: nil))
    }

    @Test func sweepViaBatchResumesAfterKillNineAndARerunSendsNothing() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.2
        faults.createReplyDelay = 30
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(30)
        let imported = try await CLIRunner.run(["import", f.dir.appendingPathComponent("prompts.txt").path, "--set", "s", "--db", pg.url])
        #expect(imported.status == 0, "\(imported.stderr)")
        let args = ["sweep", "s", "--run", "--via", "batch", "--teacher", "http://127.0.0.1:\(f.port)/v1", "--model", "mock-teacher",
                    "--max-tokens", "8", "--logprobs", "1", "--batch-poll-seconds", "0.1", "--batch-max-requests", "40", "--db", pg.url]
        // The batch exists at the provider, but the process dies before it records the batch id.
        let first = try SweepProcess(args, directory: f.dir, name: "first")
        defer { first.stop() }
        #expect(await f.waitUntil(seconds: 60) { f.mock.batchStats().batchesCreated >= 1 }, "log: \(first.log)")
        kill(first.process.processIdentifier, SIGKILL)
        #expect(await first.waitForExit(seconds: 10) != nil)
        let second = try await CLIRunner.run(args)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("found again"), "\(second.stderr)")
        var stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 1, "the batch created before the crash was found again, not created twice")
        #expect(stats.answersPerCustomId.count == 30 && stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "a job was answered twice")
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 == 1 }, "a job was submitted twice")
        let (responses, batches) = try await Self.stored(pg, set: "s")
        #expect(responses == 30)
        #expect(batches.count == 1 && batches.allSatisfy { $0.stage == .collected && $0.answered == 30 })

        // A re-run sends nothing.
        let third = try await CLIRunner.run(args)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("30 already done"), "\(third.stderr)")
        stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 1 && stats.filesUploaded == 1 && stats.linesAnswered == 30, "nothing was sent again")

        let status = try await CLIRunner.run(["status", "--db", pg.url])
        #expect(status.status == 0 && status.stdout.contains("batches (--via batch):") && status.stdout.contains("completed"),
                "status lists the collected batch: \(status.stdout)")
        let unknown = try await CLIRunner.run(["batch", "cancel", "9", "--db", pg.url])
        #expect(unknown.status == 6, "\(unknown.stderr)")
        let collected = try await CLIRunner.run(["batch", "cancel", "1", "--db", pg.url])
        #expect(collected.status == 4, "a collected batch cannot be cancelled: \(collected.stderr)")
    }

    /// The batch daemon test (BatchDaemonTests) on PostgreSQL with two daemons: both step the run, one at a time per
    /// sweep; one is killed with -9 while the batches are polled; the other finishes. No job is submitted twice
    /// (no faults: nothing fails or expires), no batch is created twice.
    @Test func twoDaemonsWorkABatchRunOnceEvenWhenOneIsKilled() async throws {
        let pg = try PostgresScratch()
        defer { pg.drop() }
        var faults = MockBatchFaults()
        faults.stepSeconds = 2
        let f = try DaemonFixture(batch: faults)
        try f.writePrompts(120)
        try BatchDaemonTests.writeConfig(f, metricsPort: DaemonFixture.freePort(), batchMaxRequests: 30)
        try pg.useInConfig(f.configPath)
        let secondConfig = f.dir.appendingPathComponent("second.json").path
        let text = try String(contentsOfFile: f.configPath, encoding: .utf8)
        let metricsB = DaemonFixture.freePort()
        let other = text.replacingOccurrences(of: #"(?<="metrics_address": "127\.0\.0\.1:)\d+"#, with: "\(metricsB)",
                                              options: .regularExpression)
        #expect(other != text)
        try Data(other.utf8).write(to: URL(fileURLWithPath: secondConfig))
        let runId = try BatchDaemonTests.runId(try await f.enqueue("main"))
        var a = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "serve-a")
        defer { a.stop() }
        let b = try await ServeProcess.start(config: secondConfig, directory: f.dir, name: "serve-b")
        defer { b.stop() }

        let store = try PostgresStore(url: pg.url, connections: 1)
        defer { store.close() }
        // Polling: every file submitted, some still running (not "all four open": on a loaded machine the first
        // can be collected before the test looks).
        let polling = try await Self.waitUntil(seconds: 60) {
            let open = try await store.openBatches(sweepId: nil)
            return try await store.batches(sweepId: nil).count >= 4 && !open.isEmpty && open.allSatisfy { $0.stage == .submitted }
        }
        #expect(polling, "a: \(a.log)\nb: \(b.log)")
        // `/metrics` shows the batches on PostgreSQL too (as the batch service last read them).
        let shown = try await Self.waitUntil(seconds: 30) {
            httpGet(port: metricsB, path: "/metrics")?.body.contains("harvest_batch_lines{state=\"") == true
        }
        #expect(shown, "\(httpGet(port: metricsB, path: "/metrics")?.body ?? "no answer")")
        a.signal(SIGKILL)
        _ = await a.waitForExit(seconds: 10)
        let finished = try await Self.waitUntil(seconds: 120) {
            try await store.latestRuns(now: nil).first { $0.id == runId }?.state == .done
        }
        #expect(finished, "b: \(b.log)")
        b.signal(SIGTERM)
        #expect(await b.waitForExit(seconds: 30) == 0)
        a = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "serve-a2")
        a.signal(SIGTERM)
        _ = await a.waitForExit(seconds: 30)

        let stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 4, "120 jobs in files of 30: four batches, each created once")
        #expect(stats.answersPerCustomId.count == 120 && stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "a job was answered twice")
        #expect(stats.submissionsPerCustomId.count == 120 && stats.submissionsPerCustomId.values.allSatisfy { $0 == 1 },
                "a job was submitted in two batches")
        let run = try #require(try await store.latestRuns(now: nil).first { $0.id == runId })
        #expect(run.done == 120 && run.answers == 120)
        #expect(try store.responses(query: ResponseQuery(setName: "main", limit: 100_000, includeLogprobs: false)).count == 120)
        #expect(try await store.openBatches(sweepId: nil).isEmpty)
    }

    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
