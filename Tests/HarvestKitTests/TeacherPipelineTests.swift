import HarvestCore
import HarvestKit
import Testing

/// The one factory: every setting of a ``TeacherSpec`` reaches the part that enforces it.
@Suite struct TeacherPipelineTests {
    static func spec() -> TeacherSpec {
        var s = TeacherSpec(name: "t", baseURLs: ["http://a/v1", "http://b/v1"], model: "m", apiKeyEnv: "KEY",
                            limits: TeacherLimits(maxInFlight: 7, requestsPerMinute: 60, adaptive: true), maxAttempts: 3,
                            connectTimeout: 4, totalTimeout: 40, keepRaw: true)
        s.firstByteTimeout = 5
        s.idleTimeout = 6
        s.maxResponseBytes = 3 << 20
        s.breaker = BreakerPolicy(failureThreshold: 2, cooldown: 1)
        s.failFast = FailFastPolicy(window: 10)
        return s
    }

    @Test func specSettingsReachTrafficClientAndRunner() throws {
        let pipeline = try TeacherPipeline(spec: Self.spec(), environment: ["KEY": "sk-test"],
                                           transport: CannedTransport(response: HTTPResponse(status: 200)))
        let traffic = pipeline.traffic.options
        #expect(traffic.limits == TeacherLimits(maxInFlight: 7, requestsPerMinute: 60, adaptive: true))
        #expect(traffic.endpoints == ["http://a/v1", "http://b/v1"] && traffic.breaker.failureThreshold == 2)
        let client = pipeline.client()
        #expect(client.timeouts == HTTPTimeouts(connect: 4, total: 40, firstByte: 5, idle: 6))
        #expect(client.maxResponseBytes == 3 << 20 && client.keepRaw)
        #expect(pipeline.connections == 16)
    }

    @Test func liveChangesApplyToTheSharedControllerOthersNeedANewPipeline() throws {
        let pipeline = try TeacherPipeline(spec: Self.spec(), transport: CannedTransport(response: HTTPResponse(status: 200)))
        var faster = Self.spec()
        faster.limits.requestsPerMinute = 600
        faster.baseURLs = ["http://c/v1"]
        #expect(faster.differsOnlyLive(from: Self.spec()))
        #expect(pipeline.canApply(faster))
        pipeline.update(faster)
        #expect(pipeline.traffic.options.limits.requestsPerMinute == 600)
        #expect(pipeline.traffic.snapshot().endpoints.map(\.baseURL) == ["http://c/v1"])
        var slower = Self.spec()
        slower.idleTimeout = 60
        #expect(!slower.differsOnlyLive(from: Self.spec()), "a client setting waits for the next runner")
        #expect(pipeline.canApply(slower))
        var other = Self.spec()
        other.model = "m2"
        #expect(!pipeline.canApply(other), "another model is another teacher")
    }
}
