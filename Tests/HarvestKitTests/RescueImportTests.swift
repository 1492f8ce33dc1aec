import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore
import Testing

/// Rescue files: what a refused answer becomes on disk, and `rescue import` storing it exactly once.
@Suite struct RescueImportTests {
    /// A store with `n` prompts, a sweep over them and all its jobs claimed.
    static func claimedJobs(_ dir: TempDir, _ n: Int) async throws -> (SQLiteStore, [Job], Int64) {
        let store = try SQLiteStore(path: dir.path("r.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: EndToEndTests.prompts(n), sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m")
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 8, topLogprobs: 1), samples: 1)
        let jobs = try await store.claimJobs(sweepId: sweep.sweepId, owner: "test", limit: n, leaseSeconds: 60)
        return (store, jobs, sweep.sweepId)
    }

    static func answer(for job: Job) -> (AttemptRecord, ResponseRecord) {
        let logprobs = [TokenLogprob(token: "x", logprob: -0.25, top: [TopLogprob(token: "x", logprob: -0.25)])]
        let choice = CompletionChoice(index: 0, content: "answer to job \(job.id)\nwith a \"quote\"", finishReason: "stop", logprobs: logprobs)
        let record = ResponseRecord(jobId: job.id, choice: choice, usage: Usage(promptTokens: 7, completionTokens: 3, totalTokens: 10),
                                    model: "m-served", responseId: "r\(job.id)", receivedAt: 1_765_000_000.5)
        return (AttemptRecord(jobId: job.id, startedAt: 1_765_000_000, latencyMs: 500, httpStatus: 200, outcome: .success), record)
    }

    @Test func rescuedAnswersAreStoredOnceAndTheFileIsMovedAsideAfterTheCommit() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (store, jobs, sweepId) = try await Self.claimedJobs(dir, 5)
        defer { store.close() }
        let log = RescueLog(path: dir.path("harvest-rescue.jsonl"))
        #expect(RescueLog.defaultPath(database: dir.path("r.sqlite")) == log.path)
        for job in jobs.prefix(3) {
            let (attempt, record) = Self.answer(for: job)
            try log.append(job: job, attempt: attempt, record: record)
        }
        #expect(log.count == 3)
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        let saved = text

        let summary = try #require(try await RescueImporter.importFile(log.path, into: store))
        #expect(summary.answers == 3 && summary.stored == 3 && summary.alreadyDone == 0 && summary.unknownLines.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: log.path) && FileManager.default.fileExists(atPath: summary.archivedAs))
        let stored = try store.responses(query: ResponseQuery(sweepId: sweepId, includeLogprobs: true))
        #expect(stored.count == 3)
        #expect(stored.allSatisfy { $0.choice.logprobs?.first?.logprob == -0.25 })
        #expect(stored.allSatisfy { $0.choice.content.hasPrefix("answer to job ") && $0.usage?.completionTokens == 3 && $0.model == "m-served" })
        #expect(try store.jobStates(sweepId: sweepId)[.done] == 3)

        // Nothing left to import; the same lines again (a crash before the rename) store nothing twice.
        #expect(try await RescueImporter.importFile(log.path, into: store) == nil)
        try saved.write(toFile: log.path, atomically: false, encoding: .utf8)
        let again = try #require(try await RescueImporter.importFile(log.path, into: store))
        #expect(again.stored == 0 && again.alreadyDone == 3)
        #expect(try store.counts()["responses"] == 3)
    }

    @Test func aBadLineImportsNothingAndNamesFileAndLineButATornLastLineIsSkipped() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (store, jobs, _) = try await Self.claimedJobs(dir, 3)
        defer { store.close() }
        let log = RescueLog(path: dir.path("harvest-rescue.jsonl"))
        for job in jobs {
            let (attempt, record) = Self.answer(for: job)
            try log.append(job: job, attempt: attempt, record: record)
        }
        var lines = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n").map(String.init)
        let good = lines
        lines[1] = lines[1].replacingOccurrences(of: "\"job_key\":\"", with: "\"job_key\":\"zz")
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.path, atomically: false, encoding: .utf8)
        await #expect {
            _ = try await RescueImporter.importFile(log.path, into: store)
        } throws: { error in
            "\(error)".contains("harvest-rescue.jsonl:2") && "\(error)".contains("job_key")
        }
        #expect(try store.counts()["responses"] == 0 && FileManager.default.fileExists(atPath: log.path))

        // A crash in the middle of the last append: that line is skipped, the others are stored.
        let torn = good[0] + "\n" + good[1] + "\n" + String(good[2].prefix(40))
        try torn.write(toFile: log.path, atomically: false, encoding: .utf8)
        let summary = try #require(try await RescueImporter.importFile(log.path, into: store))
        #expect(summary.stored == 2 && summary.tornLines == 1)
    }

    @Test func appendsDuringAnImportLandEitherInTheImportOrInTheNextFile() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (store, jobs, _) = try await Self.claimedJobs(dir, 200)
        defer { store.close() }
        let log = RescueLog(path: dir.path("harvest-rescue.jsonl"))
        let writer = RescueLog(path: log.path)  // a second appender, as another runner would be
        for job in jobs.prefix(20) {
            let (attempt, record) = Self.answer(for: job)
            try log.append(job: job, attempt: attempt, record: record)
        }
        let rest = Array(jobs.dropFirst(20))
        let appending = Thread {
            for job in rest {
                let (attempt, record) = Self.answer(for: job)
                _ = try? writer.append(job: job, attempt: attempt, record: record)
            }
        }
        appending.start()
        var stored = 0
        var imports = 0
        while !appending.isFinished || FileManager.default.fileExists(atPath: log.path) {
            if let summary = try await RescueImporter.importFile(log.path, into: store) {
                #expect(summary.tornLines == 0)
                stored += summary.stored
                imports += 1
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(writer.count == rest.count)
        #expect(imports >= 2, "imports ran while answers were being appended")
        #expect(stored == 200, "every appended answer was imported exactly once")
        #expect(try store.counts()["responses"] == 200)
    }
}
