import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import PostgresStore
import Synchronization
import Testing

/// The database goes away while a sweep runs (a real cluster of the test's own, stopped with `pg_ctl stop -m fast`
/// and started again on the same port) and nothing is lost: claims stop, answers that arrive meanwhile go to the
/// rescue file, the store reports the outage until a probe succeeds, and the rescue import puts them back exactly once.
@Suite(.serialized) struct PostgresConnectionLossTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func aSweepSurvivesTheDatabaseRestartingAndLosesNothing() async throws {
        var config = MockTeacherConfiguration()
        // 1 s per answer: the runner keeps its 16 slots full, so answers are in flight whenever the server goes down
        // (at 100 ms a loaded CI run once stopped the server between two claims: nothing in flight, nothing rescued).
        config.latencyMs = 1_000
        let mock = MockTeacherServer(config)
        let port = try mock.start()
        defer { mock.stop() }
        let teacherURL = "http://127.0.0.1:\(port)/v1"
        let cluster = try ScratchCluster()
        defer { cluster.destroy() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-pg-loss-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rescue = dir.appendingPathComponent("rescue.jsonl").path

        let jobs = 240
        let store = try PostgresStore(url: cluster.url)
        defer { store.close() }
        _ = try await store.importPrompts(setName: "s", prompts: conformancePrompts(jobs), sourceName: "gen")
        let sweep = try await store.createSweep(name: "s", setName: "s", teacher: conformanceTeacher(teacherURL), params: conformanceParams,
                                                samples: 1).sweepId
        let events = Mutex<[PostgresListener.Event]>([])
        let listener = try store.listenForRuns { e in events.withLock { $0.append(e) } }
        defer { listener.close() }

        let (pipeline, first) = try Self.runner(store: store, url: teacherURL, rescue: rescue)
        defer { pipeline.shutdown() }
        let running = Task { try await first.run(sweepId: sweep) }
        defer { running.cancel() }  // a failed wait must not leave the runner going after the test
        try await waitFor("60 answers stored before the outage") { (try? Self.count(cluster.url, "SELECT count(*) FROM responses")) ?? 0 >= 60 }
        try await waitFor("requests in flight at the teacher") {
            let s = mock.stats()
            return s.requestsReceived - s.responsesByStatus.values.reduce(0, +) >= 4
        }
        try cluster.stop()
        let outcome = try await running.value
        #expect(outcome.interrupted, "the runner stopped claiming when the database went away")
        #expect(outcome.counters.rescued > 0, "answers that arrived during the outage were kept in the rescue file")
        let refusal = try #require(store.writeRefusal, "the store reports the outage")
        #expect(refusal.reason.contains("PostgreSQL"))
        #expect(!store.isHealthy)
        #expect(try await store.claimJobs(sweepId: sweep, owner: "daemon-1", limit: 10, leaseSeconds: 10).isEmpty, "no claims while down")
        #expect(await store.retryWrites() == false, "the probe fails while the server is down")
        try await waitFor("the listener to notice") { events.withLock { $0 }.contains { if case .lost = $0 { true } else { false } } }

        try cluster.start()
        let imported = Mutex<RescueImporter.Summary?>(nil)
        try await waitFor("the store to accept writes again (reconnect with backoff, rescue import)") {
            await store.retryWrites {
                let summary = try await RescueImporter.importFile(rescue, into: store)
                imported.withLock { $0 = summary }
            }
        }
        #expect(store.isHealthy && store.writeRefusal == nil)
        let summary = try #require(imported.withLock { $0 })
        #expect(summary.stored + summary.alreadyDone == outcome.counters.rescued)
        #expect(summary.stored > 0, "answers received during the outage are in the database after recovery")
        try await waitFor("the listener to reconnect") { events.withLock { $0 }.contains(.reconnected) }
        try await store.release(jobIds: first.jobsLeftLeased(), owner: "daemon-1")

        // Claims resume: the rest of the sweep is harvested (a claim whose reply was lost in the cut leaves its jobs
        // leased until the 10 s lease expires, so run again until every job is done).
        try await waitFor("every job done", seconds: 300) {
            let (p, runner) = try Self.runner(store: store, url: teacherURL, rescue: rescue)
            defer { p.shutdown() }
            _ = try await runner.run(sweepId: sweep)
            return try await store.jobStates(sweepId: sweep)[.done] == jobs
        }
        #expect(try Self.count(cluster.url, "SELECT count(*) FROM responses") == jobs)
        #expect(try Self.count(cluster.url, "SELECT count(DISTINCT job_id) FROM responses") == jobs)
        // Nothing was paid twice: the mock answered every job once.
        let served = mock.servedFingerprints()
        #expect(served.count == jobs)
        #expect(served.values.allSatisfy { $0 == 1 })
    }

    static func runner(store: PostgresStore, url: String, rescue: String) throws -> (TeacherPipeline, SweepRunner) {
        let retry = RetryPolicy(maxAttempts: 10, baseDelay: 0.01, maxDelay: 0.05)
        var spec = TeacherSpec(name: "test", baseURLs: [url], model: "mock-teacher", limits: TeacherLimits(maxInFlight: 16),
                               maxAttempts: retry.maxAttempts, keepRaw: false)
        spec.failFast = FailFastPolicy(window: 0)
        let pipeline = try TeacherPipeline(spec: spec)
        let options = SweepOptions(retry: retry, leaseSeconds: 10, owner: "daemon-1", rescuePath: rescue)
        return (pipeline, pipeline.runner(store: store, session: options))
    }

    /// One count on a fresh connection (the store's may be down).
    static func count(_ url: String, _ sql: String) throws -> Int {
        try PostgresConnection(url: PostgresURL(url)).execute(sql).int(0, 0)
    }
}
