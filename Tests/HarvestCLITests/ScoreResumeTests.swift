#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A scoring sweep killed with `kill -9` mid-run: the same command finishes it, re-sending at most the requests
/// that were in flight (scoring jobs are jobs like any other).
@Suite(.serialized) struct ScoreResumeTests {
    @Test func killNineThenTheSameScoringCommandFinishes() async throws {
        let jobs = 200, window = 8
        // 400 ms per answer (~10 s per sweep): the kill lands mid-run even when this test's task is starved.
        let f = try await CrashResumeTests.setUp(prompts: jobs, latencyMs: 400)
        let teacher = ["--teacher", "http://127.0.0.1:\(f.port)/v1", "--model", "mock-teacher", "--endpoint", "completions", "--db", f.database]
        let sampled = try await CLIRunner.run(["sweep", "s", "--run", "--max-tokens", "8", "--concurrency", "32"] + teacher)
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let built = try await CLIRunner.run(["score", "s", "--into", "s.scored", "--db", f.database])
        #expect(built.status == 0 && built.stderr.contains("\(jobs) sequences added"), "\(built.stderr)")
        let args = ["sweep", "s.scored", "--run", "--score", "echo", "--logprobs", "5", "--concurrency", "\(window)"] + teacher
        let first = try SweepProcess(args, directory: f.dir, name: "score-first")
        defer { first.stop() }
        #expect(try await f.waitUntil(seconds: 120) { try CrashResumeTests.responses(f) >= jobs + 40 }, "log: \(first.log)")
        kill(first.process.processIdentifier, SIGKILL)
        #expect(await first.waitForExit(seconds: 10) != nil)
        try await Task.sleep(for: .milliseconds(300))
        let doneAtKill = try CrashResumeTests.responses(f)
        #expect(doneAtKill < 2 * jobs)
        let again = try await CLIRunner.run(args)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try CrashResumeTests.responses(f) == 2 * jobs)
        #expect(f.mock.servedFingerprints().count == 2 * jobs, "every sampled and every scoring request answered")
        #expect(f.duplicatedAnswers <= 2 * window, "answers served twice: \(f.duplicatedAnswers)")
        print("scoring kill -9 resume: killed at \(doneAtKill - jobs)/\(jobs) scored; re-run exit \(again.status), \(f.duplicatedAnswers) answers served twice (window \(window))")
    }
}
