#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestTestSupport
import SQLiteStore
import Testing

/// `harvest serve` as a real child process against the mock teacher, with sweeps queued from other processes.
@Suite(.serialized) struct DaemonTests {
    /// Jobs of sweep run `runId` by state, read from the database.
    static func run(_ f: DaemonFixture, _ runId: Int64) throws -> RunStatus? {
        let store = try f.store()
        defer { store.close() }
        return try store.runStatus(id: runId)
    }

    static func runId(_ r: CLIRunner.Result) throws -> Int64 {
        guard r.status == 0, let id = Int64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("harvest sweep failed (\(r.status)): \(r.stderr)")
        }
        return id
    }

    @Test func servesAQueuedSweepNotifiesSystemdAndStopsCleanly() async throws {
        let f = try DaemonFixture(latencyMs: 2)
        try f.writePrompts(300)
        try f.writePrompts(50, name: "prompts2.txt")
        let metricsPort = DaemonFixture.freePort()
        try f.writeConfig(maxInFlight: 8, metricsPort: metricsPort, outputPrice: 1)
        // Queued before the daemon starts, twice: the same sweep again does not double the work.
        let started = Date()
        let runId = try Self.runId(try await f.enqueue("main"))
        let enqueueSeconds = Date().timeIntervalSince(started)
        #expect(try Self.runId(try await f.enqueue("main")) == runId)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        // Queued from a second process while the daemon runs.
        let second = try Self.runId(try await f.enqueue("second"))
        #expect(try await f.waitUntil(seconds: 60) { try Self.run(f, runId)?.done == 300 && Self.run(f, second)?.done == 50 }, "log: \(serve.log)")

        let metrics = try #require(httpGet(port: metricsPort, path: "/metrics"))
        #expect(metrics.status == 200)
        #expect(metricValue(metrics.body, "harvest_jobs_done_total{teacher=\"mock\"}") == 350)
        #expect(metricValue(metrics.body, "harvest_requests_total{teacher=\"mock\",status=\"200\"}") == 350)
        #expect(metricValue(metrics.body, "harvest_tokens_total{teacher=\"mock\",direction=\"out\"}") == 350.0 * 16)
        let health = try #require(httpGet(port: metricsPort, path: "/healthz"))
        #expect(health.status == 200 && health.body.contains("\"database_writable\":true"))

        serve.signal(SIGTERM)
        #expect(await serve.notify.wait(for: "STOPPING=1", seconds: 10).found)
        #expect(await serve.waitForExit(seconds: 30) == 0, "log: \(serve.log)")
        let status = try #require(try Self.run(f, runId))
        #expect(status.state == .done && status.total == 300 && status.failed == 0)
        #expect(abs(status.spent - 300 * 16 / 1_000_000.0) < 1e-12)
        #expect(f.mock.servedFingerprints().count == 350 && f.duplicatedAnswers == 0)
        let json = try await CLIRunner.run(["status", "--json", "--config", f.configPath])
        #expect(json.status == 0 && json.stdout.contains("\"state\":\"done\""))
        print("enqueue latency (no daemon, 300 prompts imported): \(Int(enqueueSeconds * 1000)) ms")
    }

    @Test func queueingHasDistinctExitCodes() async throws {
        let f = try DaemonFixture()
        try f.writePrompts(3)
        try f.writeConfig()
        // 6: no such sweep in the config.
        let unknown = try await f.enqueue("nope")
        #expect(unknown.status == 6 && unknown.stderr.contains("no sweep named \"nope\"") && unknown.stderr.contains("main, second"))
        // 4: the sweep's prompt file is missing (the message names it).
        let badFile = try await f.enqueue("second")
        #expect(badFile.status == 4 && badFile.stderr.contains("prompts2.txt"))
        // 4: an invalid config names the file and the field.
        let text = try String(contentsOfFile: f.configPath, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"samples\": 1", with: "\"samples\": 0").utf8).write(to: URL(fileURLWithPath: f.configPath))
        let badConfig = try await f.enqueue("main")
        #expect(badConfig.status == 4 && badConfig.stderr.contains("field \"sweeps[0].samples\""))
        try Data(text.utf8).write(to: URL(fileURLWithPath: f.configPath))
        // 5: the database is locked by another process for longer than the 5 s busy timeout.
        #expect(try await f.enqueue("main").status == 0)
        let holder = try SQLiteDatabase(path: f.database, mode: .readWrite)
        try holder.execute("BEGIN EXCLUSIVE")
        let locked = try await f.enqueue("main")
        try holder.execute("ROLLBACK")
        #expect(locked.status == 5 && locked.stderr.contains("SQLITE_BUSY"), "stderr: \(locked.stderr)")
        // 5: the database cannot be opened.
        let elsewhere = try await CLIRunner.run(["sweep", "main", "--config", f.configPath, "--db", "/nonexistent/dir/h.sqlite"])
        #expect(elsewhere.status == 5, "stderr: \(elsewhere.stderr)")
    }

    @Test func statusLinesAndWatchdogPingsReachSystemd() async throws {
        let f = try DaemonFixture()
        try f.writeConfig()
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir, environment: ["WATCHDOG_USEC": "400000"])
        defer { serve.stop() }
        let watchdog = await serve.notify.wait(for: "WATCHDOG=1", seconds: 5)
        #expect(watchdog.found, "seen: \(watchdog.seen)")
        let more = await serve.notify.wait(for: "(nothing)", seconds: 1.5).seen
        #expect(more.filter { $0 == "WATCHDOG=1" }.count >= 2, "pings keep coming: \(more)")
        #expect((watchdog.seen + more).contains { $0.hasPrefix("STATUS=") && $0.contains("queue:") }, "seen: \(watchdog.seen + more)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
    }

    @Test func enqueueReturnsAtOnceWhileTheDaemonIsBusy() async throws {
        // 500 ms per answer at 64 in flight: the 6,000-job run keeps the daemon busy (and writing ~128 answers/s)
        // for at least 47 s, longer than three enqueues take even on a starved machine (12 s each were seen at
        // load 20).
        let f = try DaemonFixture(latencyMs: 500)
        try f.writePrompts(6000)
        try f.writePrompts(1000, name: "prompts2.txt")
        try f.writeConfig(maxInFlight: 64)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let first = try Self.runId(try await f.enqueue("main"))
        #expect(try await f.waitUntil(seconds: 30) { (try Self.run(f, first)?.done ?? 0) > 200 })
        var timings: [Double] = []
        for _ in 0..<3 {
            #expect((try Self.run(f, first)?.open ?? 0) > 0, "the daemon is still busy")
            let started = Date()
            let r = try await f.enqueue("second")
            timings.append(Date().timeIntervalSince(started))
            #expect(r.status == 0, "stderr: \(r.stderr)")
            // The point: the enqueue returned while the daemon was still working off the first run, not after it.
            #expect((try Self.run(f, first)?.open ?? 0) > 0, "the enqueue waited for the daemon to finish its run")
        }
        // Alone, a debug build enqueues in ~0.5 s; the bound only catches an enqueue that waited for the run (the
        // release figure is in docs/BENCHMARKS.md; a loaded 2-core machine has taken 12 s).
        #expect(timings.max()! < 40)
        print("enqueue latency while busy (1,000-job sweep, daemon at 64 in flight): \(timings.map { Int($0 * 1000) }) ms")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
    }

    @Test func sigtermMidSweepDrainsAndARestartFinishesWithoutPayingTwice() async throws {
        // 400 ms per answer (~10 s for the sweep): the SIGTERM lands mid-sweep even when this test's task is starved.
        let f = try DaemonFixture(latencyMs: 400)
        try f.writePrompts(200)
        try f.writeConfig(maxInFlight: 8)
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await f.waitUntil(seconds: 30) { (try Self.run(f, runId)?.done ?? 0) >= 40 })
        serve.signal(SIGTERM)
        #expect(await serve.notify.wait(for: "STOPPING=1", seconds: 10).found)
        #expect(await serve.waitForExit(seconds: 30) == 0, "log: \(serve.log)")
        let stopped = try #require(try Self.run(f, runId))
        #expect(stopped.leased == 0, "unanswered jobs were handed back")
        #expect(stopped.done < 200, "stopped mid-sweep")
        #expect(f.duplicatedAnswers == 0, "in-flight answers were stored, not dropped")

        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        #expect(try await f.waitUntil(seconds: 60) { try Self.run(f, runId)?.done == 200 }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        let store = try f.store()
        defer { store.close() }
        #expect(try store.counts()["responses"] == 200)
        #expect(f.mock.servedFingerprints().count == 200)
        #expect(f.duplicatedAnswers <= 8, "at most the in-flight jobs were sent twice")
    }

    @Test func theDrainDeadlineAbandonsSlowRequestsAndHandsTheirJobsBack() async throws {
        let f = try DaemonFixture(latencyMs: 20_000)
        try f.writePrompts(20)
        try f.writeConfig(maxInFlight: 4, drainSeconds: 1)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        // The runner holds (prefetches) more jobs than the 4 it sends; wait until it holds at least those.
        #expect(try await f.waitUntil(seconds: 10) { (try Self.run(f, runId)?.leased ?? 0) >= 4 })
        try await Task.sleep(for: .milliseconds(300))
        let stopped = Date()
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 15) == 0, "log: \(serve.log)")
        let seconds = Date().timeIntervalSince(stopped)
        #expect(seconds >= 1 && seconds < 8, "waited for drain_seconds, then abandoned the requests (\(seconds) s)")
        let status = try #require(try Self.run(f, runId))
        #expect(status.leased == 0 && status.pending == 20 && status.done == 0)
        #expect(serve.log.contains("drain deadline passed"))
    }

    @Test func sigkillMidSweepLeasesExpireAndARestartFinishes() async throws {
        // 600 jobs at 8 × 200 ms take ~15 s: the kill lands mid-sweep even when this test is starved for seconds.
        let f = try DaemonFixture(latencyMs: 200)
        try f.writePrompts(600)
        try f.writeConfig(maxInFlight: 8, leaseSeconds: 1.5)
        var serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await f.waitUntil(seconds: 30) { (try Self.run(f, runId)?.done ?? 0) >= 40 })
        serve.signal(SIGKILL)
        _ = await serve.waitForExit(seconds: 10)
        let killed = try #require(try Self.run(f, runId))
        #expect(killed.leased > 0, "the killed daemon left leases behind")

        serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        #expect(try await f.waitUntil(seconds: 90) { try Self.run(f, runId)?.done == 600 }, "log: \(serve.log)")
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
        let store = try f.store()
        defer { store.close() }
        #expect(try store.counts()["responses"] == 600)
        #expect(f.mock.servedFingerprints().count == 600)
        #expect(f.duplicatedAnswers <= 8, "at most the jobs in flight at the kill were sent twice")
    }

    @Test func sighupAppliesANewLimitAndABrokenConfigIsIgnored() async throws {
        let f = try DaemonFixture(latencyMs: 100)
        try f.writePrompts(600)
        let metricsPort = DaemonFixture.freePort()
        try f.writeConfig(maxInFlight: 1, metricsPort: metricsPort)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        func inFlight() -> Double { httpGet(port: metricsPort, path: "/metrics").flatMap { metricValue($0.body, "harvest_in_flight{teacher=\"mock\"}") } ?? -1 }
        var peak = 0.0
        _ = await f.waitUntil(seconds: 1.5) { peak = max(peak, inFlight()); return false }
        #expect(peak == 1)

        try f.writeConfig(maxInFlight: 6, metricsPort: metricsPort)
        serve.signal(SIGHUP)
        #expect(await serve.notify.wait(for: "RELOADING=1", seconds: 10).found)
        #expect(await f.waitUntil(seconds: 15) { inFlight() >= 4 }, "log: \(serve.log)")
        let metrics = try #require(httpGet(port: metricsPort, path: "/metrics")).body
        #expect(metricValue(metrics, "harvest_max_in_flight{teacher=\"mock\"}") == 6)
        #expect(metricValue(metrics, "harvest_config_reloads_total{result=\"ok\"}") == 1)

        try Data("{ \"teachers\": [ broken".utf8).write(to: URL(fileURLWithPath: f.configPath))
        serve.signal(SIGHUP)
        #expect(await f.waitUntil(seconds: 10) {
            httpGet(port: metricsPort, path: "/metrics").flatMap { metricValue($0.body, "harvest_config_reloads_total{result=\"error\"}") } == 1
        })
        let before = try Self.run(f, runId)?.done ?? 0
        #expect(try await f.waitUntil(seconds: 10) { (try Self.run(f, runId)?.done ?? 0) > before + 10 }, "still working with the old config")
        #expect(serve.process.isRunning)
        #expect(serve.log.contains("config reload failed"))
        #expect(httpGet(port: metricsPort, path: "/healthz")?.status == 200)
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
    }

    @Test func aTinyBudgetStopsTheRunWithinTheInFlightCost() async throws {
        let f = try DaemonFixture(latencyMs: 20)
        try f.writePrompts(200)
        // Each answer has 16 completion tokens at 1 per token: 16 per answer; the budget pays for 6.25 answers.
        try f.writeConfig(maxInFlight: 4, budget: 100, outputPrice: 1_000_000)
        let serve = try await ServeProcess.start(config: f.configPath, directory: f.dir)
        defer { serve.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await f.waitUntil(seconds: 30) { try Self.run(f, runId)?.state == .budget }, "log: \(serve.log)")
        try await Task.sleep(for: .milliseconds(500))
        let status = try #require(try Self.run(f, runId))
        #expect(status.spent >= 100)
        #expect(status.spent <= 100 + 4 * 16, "overshoot is at most the in-flight requests' cost")
        #expect(f.mock.stats().completionsServed <= 7 + 4)
        #expect(status.pending > 150, "the rest waits for the next run")
        let table = try await CLIRunner.run(["status", "--config", f.configPath])
        #expect(table.stdout.contains("stopped at its budget"))
        serve.signal(SIGTERM)
        #expect(await serve.waitForExit(seconds: 30) == 0)
    }

    @Test func twoDaemonsOnOneDatabaseNeverSendTheSameJob() async throws {
        let f = try DaemonFixture(latencyMs: 20)
        try f.writePrompts(600)
        try f.writeConfig(maxInFlight: 8)
        let a = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "a")
        defer { a.stop() }
        let b = try await ServeProcess.start(config: f.configPath, directory: f.dir, name: "b")
        defer { b.stop() }
        let runId = try Self.runId(try await f.enqueue("main"))
        #expect(try await f.waitUntil(seconds: 60) { try Self.run(f, runId)?.done == 600 })
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(await a.waitForExit(seconds: 30) == 0)
        #expect(await b.waitForExit(seconds: 30) == 0)
        #expect(f.mock.servedFingerprints().count == 600)
        #expect(f.duplicatedAnswers == 0, "no job was claimed by both daemons")
        let (sa, sb) = (a.answersStored ?? 0, b.answersStored ?? 0)
        #expect(sa + sb == 600)
        #expect(sa > 0 && sb > 0, "both daemons worked: \(sa) + \(sb)")
    }
}
