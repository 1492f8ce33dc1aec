import HarvestCore
import HarvestKit
import Testing

/// `TrafficController.update(options:)` (SIGHUP in the daemon): new limits apply at once, in-flight requests keep
/// their slots, buckets and breakers keep their history.
@Suite struct LiveLimitUpdateTests {
    @Test func raisingTheWindowAdmitsWaitersWithoutTouchingInFlight() async throws {
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 1)), clock: ManualClock())
        let a = try #require(await traffic.admit())
        let waiting = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        traffic.update(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 3)))
        let b = try #require(await waiting.value)
        #expect(traffic.snapshot().inFlight == 2 && traffic.window == 3)
        traffic.finish(a, report: TrafficReport(verdict: .alive, successLatency: 0.1))  // the old admission still finishes
        traffic.finish(b, report: TrafficReport(verdict: .alive, successLatency: 0.1))
        #expect(traffic.snapshot().inFlight == 0)
    }

    @Test func loweringTheWindowHoldsNewAdmissionsUntilInFlightDrops() async throws {
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 4)), clock: ManualClock())
        let held = [try #require(await traffic.admit()), try #require(await traffic.admit()), try #require(await traffic.admit())]
        traffic.update(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 2)))
        let next = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        traffic.finish(held[0], report: TrafficReport(verdict: .alive))
        #expect(traffic.snapshot().waiting == 1, "3 → 2 in flight is still not below the new window of 2")
        traffic.finish(held[1], report: TrafficReport(verdict: .alive))
        #expect(await next.value != nil)
    }

    @Test func aNewRateTakesOverFromTheOldBucketLevel() async throws {
        let clock = ManualClock()
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 100, requestsPerMinute: 60)), clock: clock)
        _ = try #require(await traffic.admit())  // 1/s, burst 1: empty now
        let next = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        clock.advance(0.1)
        traffic.update(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 100, requestsPerMinute: 600)))  // 10/s
        #expect(traffic.snapshot().waiting == 1, "0.1 s at the old 1/s rate accrued only 0.1")
        clock.advance(0.1)  // 0.1 + 0.1 × 10 = 1.1 ≥ 1
        traffic.reevaluate()
        #expect(await next.value != nil)
        #expect(traffic.options.limits.requestsPerMinute == 600)
    }

    @Test func droppingALimitFreesWaitersAtOnce() async throws {
        let clock = ManualClock()
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 100, requestsPerSecond: 1)), clock: clock)
        _ = try #require(await traffic.admit())
        let next = Task { await traffic.admit() }
        #expect(await eventually { traffic.snapshot().waiting == 1 })
        traffic.update(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 100)))
        #expect(await next.value != nil)
    }

    @Test func replicasKeepTheirBreakerAcrossAnUpdateAndRemovedOnesFinishQuietly() async throws {
        let clock = ManualClock()
        let policy = BreakerPolicy(failureThreshold: 1, cooldown: 60)
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 10), endpoints: ["http://a", "http://b"],
                                                                breaker: policy), clock: clock)
        let first = try #require(await traffic.admit())
        let second = try #require(await traffic.admit())
        let toA = first.baseURL == "http://a" ? first : second
        let toB = first.baseURL == "http://a" ? second : first
        traffic.finish(toA, report: TrafficReport(verdict: .failed))  // a is taken out
        traffic.update(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 10), endpoints: ["http://c", "http://a"], breaker: policy))
        traffic.finish(toB, report: TrafficReport(verdict: .failed))  // b was removed: its answer is still accepted
        let endpoints = traffic.snapshot().endpoints
        #expect(endpoints.map(\.baseURL) == ["http://c", "http://a"])
        #expect(endpoints[1].breaker.isClosed == false, "a's open breaker survived the update")
        #expect(traffic.snapshot().inFlight == 0)
        let next = try #require(await traffic.admit())
        #expect(next.baseURL == "http://c")
    }
}
