#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SQLiteStore
import Testing

/// The bar for the daemon: `kill -9` at random moments five times during a 5,000-job sweep loses no answer,
/// stores no job twice, and costs at most (in-flight limit × kills) extra teacher requests.
/// `HARVEST_SOAK_JOBS` and `HARVEST_SOAK_KILLS` scale it (defaults 5,000 and 5).
@Suite(.serialized) struct KillSoakTests {
    @Test func killNineFiveTimesDuringAFiveThousandJobSweep() async throws {
        let env = ProcessInfo.processInfo.environment
        let jobs = env["HARVEST_SOAK_JOBS"].flatMap(Int.init) ?? 5000
        let kills = env["HARVEST_SOAK_KILLS"].flatMap(Int.init) ?? 5
        let inFlight = 16
        // 20 ms per answer, 16 in flight: at most ~800 answers/s, so each kill lands well inside the sweep (at 5 ms a
        // quiet machine finished the sweep between the last check and the kill, and the next target was out of reach).
        let f = try DaemonFixture(latencyMs: 20)
        try f.writePrompts(jobs)
        try f.writeConfig(maxInFlight: inFlight, leaseSeconds: 1)
        let runId = try DaemonTests.runId(try await f.enqueue("main"))
        let started = Date()
        var killedAt: [Int] = []
        let step = max(1, jobs / (kills + 1))
        for _ in 0..<kills {
            let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "soak")
            defer { serve.stop() }
            let before = try DaemonTests.run(f, runId)?.done ?? 0
            guard before < jobs else { break }  // the sweep finished before an earlier kill landed: nothing left to kill
            // A random moment: after between a fifth and the whole of an even share of the jobs.
            let target = min(jobs, before + Int.random(in: max(1, step / 5)...step))
            #expect(try await f.waitUntil(seconds: 120) { (try DaemonTests.run(f, runId)?.done ?? 0) >= target }, "log: \(serve.log)")
            serve.signal(SIGKILL)
            _ = await serve.waitForExit(seconds: 10)
            killedAt.append(try DaemonTests.run(f, runId)?.done ?? 0)
        }
        let last = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "soak-final")
        defer { last.stop() }
        #expect(try await f.waitUntil(seconds: 300) { try DaemonTests.run(f, runId)?.done == jobs }, "log: \(last.log)")
        last.signal(SIGTERM)
        #expect(await last.waitForExit(seconds: 30) == 0)
        let seconds = Date().timeIntervalSince(started)

        let store = try f.store()
        defer { store.close() }
        let counts = try store.counts()
        let stats = f.mock.stats()
        let extra = stats.completionsServed - jobs
        // 0 answers lost: every job is done with exactly one stored response, and every answer served is for a done job.
        #expect(counts["responses"] == jobs)
        #expect(try store.jobStates(sweepId: try #require(try DaemonTests.run(f, runId)).sweepId)[.done] == jobs)
        #expect(f.mock.servedFingerprints().count == jobs)
        // Extra requests: answers sent again because the daemon died before storing them.
        #expect(extra <= inFlight * kills, "extra answers \(extra) > \(inFlight) × \(kills)")
        #expect(f.duplicatedAnswers == extra)
        print("kill -9 soak: \(jobs) jobs, \(kills) kills at done = \(killedAt), \(extra) extra teacher answers "
              + "(bound \(inFlight * kills)), \(stats.requestsReceived) requests received, \(Int(seconds)) s")
    }
}
