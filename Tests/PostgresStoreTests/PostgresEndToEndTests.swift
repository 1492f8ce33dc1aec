import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import PostgresStore
import Testing

/// The real path into PostgreSQL: runners built by `TeacherPipeline` (libcurl, traffic controller) against the
/// built-in mock teacher on loopback, harvesting one sweep.
@Suite(.serialized) struct PostgresEndToEndTests {
    /// Builds a runner the way every entry point does (``TeacherSpec`` → ``TeacherPipeline``).
    static func runner(store: any JobStore, url: String, owner: String, rescue: String) throws -> (TeacherPipeline, SweepRunner) {
        let retry = RetryPolicy(maxAttempts: 10, baseDelay: 0.01, maxDelay: 0.05)
        var spec = TeacherSpec(name: "test", baseURLs: [url], model: "mock-teacher", limits: TeacherLimits(maxInFlight: 32),
                               maxAttempts: retry.maxAttempts, keepRaw: false)
        spec.failFast = FailFastPolicy(window: 0)
        let pipeline = try TeacherPipeline(spec: spec)
        let options = SweepOptions(retry: retry, owner: owner, rescuePath: rescue)
        return (pipeline, pipeline.runner(store: store, session: options))
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func twoRunnersHarvestEveryJobExactlyOnceIntoPostgres() async throws {
        var faults = MockFaults()
        faults.rateLimited = 0.03
        faults.retryAfterSeconds = 0
        faults.serverError = 0.03
        var config = MockTeacherConfiguration()
        config.faults = faults
        config.latencyMs = 50  // so that neither runner can finish the sweep before the other claims
        let mock = MockTeacherServer(config)
        let port = try mock.start()
        defer { mock.stop() }
        let url = "http://127.0.0.1:\(port)/v1"

        let fixture = try PostgresFixture()
        defer { fixture.cleanup() }
        let sweep = try await fixture.sweep(prompts: 200, samples: 2, baseURL: url)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-pg-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Two stores (two "daemons") with their own owners share the sweep.
        let (p1, r1) = try Self.runner(store: try await fixture.store(), url: url, owner: "daemon-1", rescue: dir.appendingPathComponent("r1").path)
        let (p2, r2) = try Self.runner(store: try await fixture.store(), url: url, owner: "daemon-2", rescue: dir.appendingPathComponent("r2").path)
        defer { p1.shutdown(); p2.shutdown() }
        async let o1 = r1.run(sweepId: sweep)
        async let o2 = r2.run(sweepId: sweep)
        let (one, two) = try await (o1, o2)
        #expect(one.counters.done + two.counters.done == 400)
        #expect(one.counters.done > 0 && two.counters.done > 0, "both runners took part")
        #expect(one.counters.failed + two.counters.failed == 0)

        let store = try PostgresStore(url: fixture.database.url)
        defer { store.close() }
        #expect(try await store.jobStates(sweepId: sweep)[.done] == 400)
        // The mock answered every job successfully exactly once: nothing was paid twice.
        let served = mock.servedFingerprints()
        #expect(served.count == 400)
        #expect(served.values.allSatisfy { $0 == 1 })
        // Answers carry their logprobs (HLP2 in bytea) as the mock sent them: 16 positions of top-3.
        let c = try PostgresConnection(url: PostgresURL(fixture.database.url))
        let ids = try c.execute("SELECT job_id FROM responses ORDER BY job_id LIMIT 5")
        for i in 0..<ids.count {
            let answer = try #require(try await store.answer(jobId: try ids.int64(i, 0)))
            #expect(answer.logprobFormat == "HLP2")
            #expect(answer.logprobs?.count == answer.completionTokens)
            #expect(answer.logprobs?.allSatisfy { $0.top.count == 3 } == true)
        }
        #expect(try c.execute("SELECT count(*) FROM responses").int(0, 0) == 400)
    }
}
