import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import HarvestTestSupport
import MockTeacher
import SQLiteStore
import Testing

/// Several replicas of one teacher: least-loaded routing, circuit breakers, and job keys that ignore which
/// replica answered.
@Suite(.serialized) struct ReplicaTests {
    func harvest(_ replicas: [MockTeacherServer], jobs: Int, name: String = "team-teacher", during: (@Sendable () -> Void)? = nil)
        async throws -> (SweepOutcome, TrafficSnapshot, SQLiteStore, TempDir) {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path("replicas.sqlite"))
        let urls = replicas.map(\.baseURL)
        let teacher = TeacherEndpoint(baseURL: urls[0], model: "mock-teacher", name: name)
        let sweep = try await offPool {
            _ = try store.importPrompts(setName: "r", prompts: EndToEndTests.prompts(jobs), sourceName: "gen")
            return try store.createSweep(name: "r", setName: "r", teacher: teacher,
                                         params: SamplingParams(maxTokens: 8, seed: 5, topLogprobs: 1), samples: 1)
        }
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let client = TeacherClient(transport: transport, apiKey: nil,
                                   timeouts: HTTPTimeouts(connect: 2, total: 20, firstByte: 2, idle: 2))
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 32), endpoints: urls,
                                                                breaker: BreakerPolicy(failureThreshold: 3, cooldown: 0.5)))
        let options = SweepOptions(retry: RetryPolicy(maxAttempts: 20, baseDelay: 0.01, maxDelay: 0.05), rescuePath: dir.path("rescue"),
                                   failFast: FailFastPolicy(window: 0))
        let runner = SweepRunner(store: store, client: client, options: options, traffic: traffic)
        if let during {
            Task {
                while runner.snapshot().done < jobs / 4 { try? await Task.sleep(for: .milliseconds(5)) }
                during()
            }
        }
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        return (outcome, runner.trafficSnapshot(), store, dir)
    }

    func started(_ faults: MockFaults = .none) throws -> MockTeacherServer {
        var config = MockTeacherConfiguration()
        config.faults = faults
        let server = MockTeacherServer(config)
        try server.start()
        return server
    }

    @Test func spreadsLoadOverHealthyReplicasAndStoresEachAnswerOnce() async throws {
        let replicas = try (0..<3).map { _ in try started() }
        defer { replicas.forEach { $0.stop() } }
        let (outcome, traffic, store, dir) = try await harvest(replicas, jobs: 600)
        defer { dir.cleanup() }
        #expect(outcome.counters.done == 600)
        let served = replicas.map { $0.stats().completionsServed }
        #expect(served.reduce(0, +) == 600)
        #expect(served.allSatisfy { $0 > 100 }, "least-loaded routing uses every replica: \(served)")
        #expect(traffic.endpoints.map(\.sent).reduce(0, +) == 600)
        // Which replica answered does not change the jobs: the same sweep through another first URL adds nothing.
        let again = try store.createSweep(name: "r", setName: "r",
                                          teacher: TeacherEndpoint(baseURL: replicas[2].baseURL, model: "mock-teacher", name: "team-teacher"),
                                          params: SamplingParams(maxTokens: 8, seed: 5, topLogprobs: 1), samples: 1)
        #expect(again.newJobs == 0 && again.alreadyDone == 600)
    }

    @Test func brokenReplicaIsTakenOutAndTheOthersFinishTheSweep() async throws {
        let good = try started()
        let broken = try started(MockFaults(serverError: 1))
        defer { good.stop(); broken.stop() }
        let (outcome, traffic, _, dir) = try await harvest([broken, good], jobs: 400)
        defer { dir.cleanup() }
        #expect(outcome.counters.done == 400 && outcome.counters.failed == 0)
        #expect(traffic.breakerOpens >= 1)
        #expect(broken.stats().requestsReceived < 80, "the breaker stopped sending to it: \(broken.stats().requestsReceived)")
        #expect(good.servedFingerprints().count == 400)
    }

    @Test func replicaThatDiesMidRunIsRoutedAround() async throws {
        let a = try started()
        let b = try started()
        defer { a.stop(); b.stop() }
        let (outcome, traffic, _, dir) = try await harvest([a, b], jobs: 800, during: { b.stop() })
        defer { dir.cleanup() }
        #expect(outcome.counters.done == 800)
        #expect(traffic.endpoints[1].breaker.isClosed == false)
        let served = a.servedFingerprints().merging(b.servedFingerprints(), uniquingKeysWith: +)
        #expect(served.count == 800)
        #expect(served.values.allSatisfy { $0 == 1 })
    }
}
