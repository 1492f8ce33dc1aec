import HarvestCore
import HarvestKit
import Synchronization
import Testing

@Suite struct TrafficControllerTests {
    @Test func windowBoundsInFlightAndFinishLetsTheNextIn() async throws {
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 2)), clock: ManualClock())
        let a = try #require(await traffic.admit())
        let b = try #require(await traffic.admit())
        #expect(a.sequence == 1 && b.sequence == 2)
        let third = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        traffic.finish(a, report: TrafficReport(verdict: .alive, successLatency: 0.1))
        let c = try #require(await third.value)
        #expect(c.sequence == 3)
        #expect(traffic.snapshot().inFlight == 2)
    }

    @Test func requestsPerSecondPaceAdmissionsOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let limits = TeacherLimits(maxInFlight: 100, requestsPerSecond: 4)
        let traffic = TrafficController(options: TrafficOptions(limits: limits), clock: clock)
        _ = try #require(await traffic.admit())  // the burst holds one request at 4/s
        let next = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 }, "the bucket is empty until the clock moves")
        clock.advance(0.25)
        traffic.reevaluate()
        #expect(await next.value != nil)
    }

    @Test func tokensPerMinuteChargesTheEstimateAndRefundsFromUsage() async throws {
        let clock = ManualClock()
        let limits = TeacherLimits(maxInFlight: 100, tokensPerMinute: 60_000)  // 1,000 tokens/s, burst 1,000
        let traffic = TrafficController(options: TrafficOptions(limits: limits), clock: clock)
        let a = try #require(await traffic.admit(estimatedTokens: 900))
        let blocked = Task { await traffic.admit(estimatedTokens: 900) }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        // The answer used only 100 tokens: 800 come back, and the waiting request fits.
        traffic.finish(a, report: TrafficReport(verdict: .alive, successLatency: 0.1, usedTokens: 100))
        #expect(await blocked.value != nil)
    }

    @Test func exhaustedRateLimitHeadersPauseEveryAdmissionUntilReset() async throws {
        let clock = ManualClock()
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 10)), clock: clock)
        let a = try #require(await traffic.admit())
        let info = RateLimitInfo(remainingRequests: 0, resetRequests: 2)
        traffic.finish(a, report: TrafficReport(verdict: .alive, congestion: true, rateLimit: info))
        #expect(traffic.snapshot().pausedFor == 2)
        let waiting = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        clock.advance(2)
        traffic.reevaluate()
        #expect(await waiting.value != nil)
        #expect(traffic.snapshot().pauses == 1)
    }

    @Test func congestionHalvesTheAdaptiveWindow() async throws {
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 8, adaptive: true)),
                                        clock: ManualClock())
        var admitted: [Admission] = []
        for _ in 0..<8 { admitted.append(try #require(await traffic.admit())) }
        for a in admitted { traffic.finish(a, report: TrafficReport(verdict: .alive, congestion: true)) }
        #expect(traffic.window == 4, "eight 429s of one round trip halve the window once")
        #expect(traffic.snapshot().windowDecreases == 1)
    }

    @Test func abandonedAndCancelledWaitersGetNil() async throws {
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 1)), clock: ManualClock())
        let held = try #require(await traffic.admit())
        let flag = Mutex(false)
        let abandoning = Task { await traffic.admit(abandon: { flag.withLock { $0 } }) }
        let cancelled = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 2 })
        flag.withLock { $0 = true }
        cancelled.cancel()
        #expect(await abandoning.value == nil)
        #expect(await cancelled.value == nil)
        #expect(traffic.snapshot().waiting == 0)
        traffic.finish(held, report: TrafficReport(verdict: .alive))
        #expect(await traffic.admit() != nil)
    }

    @Test func routesAcrossReplicasAndWaitsOutAnOpenBreaker() async throws {
        let clock = ManualClock()
        let options = TrafficOptions(limits: TeacherLimits(maxInFlight: 10), endpoints: ["http://a/v1", "http://b/v1"],
                                     breaker: BreakerPolicy(failureThreshold: 1, cooldown: 5))
        let traffic = TrafficController(options: options, clock: clock)
        let a = try #require(await traffic.admit())
        let b = try #require(await traffic.admit())
        #expect(Set([a.baseURL, b.baseURL]) == ["http://a/v1", "http://b/v1"])
        traffic.finish(a, report: TrafficReport(verdict: .failed))
        traffic.finish(b, report: TrafficReport(verdict: .failed))
        #expect(traffic.unavailableFor() == 0)
        let waiting = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        clock.advance(5)
        traffic.reevaluate()
        let trial = try #require(await waiting.value)
        #expect(trial.trial)
        traffic.finish(trial, report: TrafficReport(verdict: .alive))
        #expect(traffic.unavailableFor() == nil)
    }

    @Test func reportsMapTeacherResults() {
        func result(_ outcome: Result<TeacherAnswer, TeacherError>) -> TeacherCallResult {
            TeacherCallResult(startedAt: 0, latencyMs: 250, httpStatus: nil, retryAfter: nil, outcome: outcome)
        }
        let answer = TeacherAnswer(response: TeacherResponse(choices: [CompletionChoice(index: 0, content: "x")],
                                                             usage: Usage(promptTokens: 10, completionTokens: 5)), rawBody: nil)
        let ok = TrafficReport(result(.success(answer)))
        #expect(ok.verdict == .alive && ok.successLatency == 0.25 && ok.usedTokens == 15 && !ok.congestion)
        #expect(TrafficReport(result(.failure(.http(status: 429, message: "")))) == TrafficReport(verdict: .alive, congestion: true))
        #expect(TrafficReport(result(.failure(.http(status: 503, message: "")))) == TrafficReport(verdict: .failed, congestion: true))
        #expect(TrafficReport(result(.failure(.http(status: 500, message: "")))).verdict == .failed)
        #expect(TrafficReport(result(.failure(.http(status: 400, message: "")))).verdict == .alive)
        #expect(TrafficReport(result(.failure(.malformedBody(detail: "")))).verdict == .alive)
        let reset = TransportError(kind: .connectionLost, message: "reset", url: "u")
        #expect(TrafficReport(result(.failure(.transport(reset)))).verdict == .failed)
        let cancelled = TransportError(kind: .cancelled, message: "", url: "u")
        #expect(TrafficReport(result(.failure(.transport(cancelled)))).verdict == .unknown)
    }
}
