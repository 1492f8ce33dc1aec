#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MockTeacher
import SQLiteStore
import Testing

/// `harvest sweep SET --run --via batch` as a child process against an in-process mock teacher that serves the
/// batch API: kill -9 after upload, after create and while polling; the same command then collects — every job
/// answered exactly once by the mock's own counters, no batch created twice.
@Suite(.serialized) struct BatchCLITests {
    final class Fixture: @unchecked Sendable {
        let dir: URL
        let mock: MockTeacherServer
        let port: Int
        var database: String { dir.appendingPathComponent("harvest.sqlite").path }

        init(faults: MockBatchFaults, prompts n: Int) async throws {
            dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hb-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var config = MockTeacherConfiguration()
            config.batch = faults
            mock = MockTeacherServer(config)
            port = try mock.start()
            let text = (0..<n).map { "batch cli question \($0)" }.joined(separator: "\n") + "\n"
            let file = dir.appendingPathComponent("p.txt")
            try Data(text.utf8).write(to: file)
            let imported = try await CLIRunner.run(["import", file.path, "--set", "s", "--db", database])
            #expect(imported.status == 0, "\(imported.stderr)")
        }

        deinit {
            mock.stop()
            try? FileManager.default.removeItem(at: dir)
        }

        var args: [String] {
            ["sweep", "s", "--run", "--via", "batch", "--teacher", "http://127.0.0.1:\(port)/v1", "--model", "mock-teacher",
             "--max-tokens", "8", "--logprobs", "1", "--batch-poll-seconds", "0.1", "--batch-max-requests", "40", "--db", database]
        }

        func waitUntil(seconds: Double = 60, _ condition: () throws -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try condition() { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return try condition()
        }

        func stages() throws -> [BatchStage] {
            let store = try SQLiteStore(path: database)
            defer { store.close() }
            return try store.batches().map(\.stage)
        }

        /// Kills the first run once `ready` holds, runs the same command again, checks exactly-once.
        func killThenRerun(prompts n: Int, ready: @escaping () throws -> Bool) async throws -> CLIRunner.Result {
            let first = try SweepProcess(args, directory: dir, name: "first")
            defer { first.stop() }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, try !ready() { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try ready(), "stage not reached; log: \(first.log)")
            kill(first.process.processIdentifier, SIGKILL)
            #expect(await first.waitForExit(seconds: 10) != nil)
            let second = try await CLIRunner.run(args)
            #expect(second.status == 0, "\(second.stderr)")
            let stats = mock.batchStats()
            #expect(stats.answersPerCustomId.count == n)
            #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 }, "a job was answered twice")
            #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 == 1 }, "a job was submitted twice")
            let store = try SQLiteStore(path: database)
            defer { store.close() }
            #expect(try store.counts()["responses"] == n)
            #expect(try store.openBatches().isEmpty)
            return second
        }
    }

    @Test func killAfterUploadThenRerunUploadsAgainAndCreatesOnce() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.2
        faults.uploadReplyDelay = 30
        let f = try await Fixture(faults: faults, prompts: 30)
        // The mock holds the file but not yet its reply: the process dies before it can record the file id.
        _ = try await f.killThenRerun(prompts: 30) { f.mock.batchStats().filesUploaded >= 1 }
        let stats = f.mock.batchStats()
        #expect(stats.batchesCreated == 1)
        #expect(stats.filesUploaded == 2, "the orphan upload is harmless; the batch is created from the second")
    }

    @Test func killAfterCreateThenRerunFindsTheBatchInsteadOfCreatingIt() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.2
        faults.createReplyDelay = 30
        let f = try await Fixture(faults: faults, prompts: 30)
        // The batch exists at the provider, but the process dies before it records the batch id.
        let second = try await f.killThenRerun(prompts: 30) { f.mock.batchStats().batchesCreated >= 1 }
        #expect(f.mock.batchStats().batchesCreated == 1, "the batch created before the crash was found again, not created twice")
        #expect(second.stderr.contains("found again"))
    }

    @Test func killWhilePollingThenRerunCollects() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 1
        let f = try await Fixture(faults: faults, prompts: 100)
        let second = try await f.killThenRerun(prompts: 100) { try f.stages().count == 3 && f.stages().allSatisfy { $0 == .submitted } }
        #expect(f.mock.batchStats().batchesCreated == 3)
        #expect(second.stderr.contains("from an earlier run"))
    }
    @Test func interruptLeavesTheBatchRunningAndTheSameCommandCollects() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 1
        let f = try await Fixture(faults: faults, prompts: 20)
        let first = try SweepProcess(f.args, directory: f.dir, name: "first")
        defer { first.stop() }
        #expect(try await f.waitUntil { try f.stages() == [.submitted] })
        kill(first.process.processIdentifier, SIGINT)
        #expect(await first.waitForExit(seconds: 10) == 3)
        #expect(first.log.contains("keep running at the provider"), "\(first.log)")
        #expect(first.log.contains("run the same command again to collect"))
        let status = try await CLIRunner.run(["status", "--db", f.database])
        #expect(status.stdout.contains("batch 1 of sweep 1:") && status.stdout.contains("provider id batch-mock"), "\(status.stdout)")
        let statusJSON = try await CLIRunner.run(["status", "--json", "--db", f.database])
        #expect(statusJSON.stdout.contains("\"stage\":\"submitted\""), "\(statusJSON.stdout)")
        let second = try await CLIRunner.run(f.args)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(f.mock.batchStats().batchesCreated == 1)
        #expect(f.mock.batchStats().answersPerCustomId.count == 20)
    }
    @Test func batchCancelStopsTheBatchAndTheNextRunKeepsWhatCameBack() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 6
        let f = try await Fixture(faults: faults, prompts: 20)
        let first = try SweepProcess(f.args + ["--batch-rounds", "1"], directory: f.dir, name: "first")
        defer { first.stop() }
        #expect(try await f.waitUntil { try f.stages() == [.submitted] })
        kill(first.process.processIdentifier, SIGINT)
        #expect(await first.waitForExit(seconds: 10) == 3)
        // Cancel during in_progress (6 s long): some lines are done, others not.
        #expect(try await f.waitUntil { f.mock.batchStatuses().values.contains("in_progress") })
        try await Task.sleep(for: .milliseconds(800))
        let cancel = try await CLIRunner.run(["batch", "cancel", "1", "--db", f.database])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stderr.contains("cancelling"))
        let unknown = try await CLIRunner.run(["batch", "cancel", "9", "--db", f.database])
        #expect(unknown.status == 6)
        let second = try await CLIRunner.run(f.args + ["--batch-rounds", "1"])
        #expect(second.stderr.contains("batch 1 cancelled"), "\(second.stderr)")
        let stats = f.mock.batchStats()
        #expect(stats.batchesCancelled == 1)
        let store = try SQLiteStore(path: f.database)
        defer { store.close() }
        let batch = try #require(try store.batches().first)
        #expect(batch.providerStatus == "cancelled" && batch.answered == stats.linesAnswered && batch.answered + batch.returned == 20)
        #expect(batch.answered > 0 && batch.answered < 20)
        #expect(try store.counts()["responses"] == batch.answered)
        let again = try await CLIRunner.run(["batch", "cancel", "1", "--db", f.database])
        #expect(again.status == 4, "a collected batch cannot be cancelled")
    }
}
