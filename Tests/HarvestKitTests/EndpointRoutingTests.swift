import HarvestKit
import Testing

@Suite struct EndpointRoutingTests {
    let urls = ["http://a/v1", "http://b/v1", "http://c/v1"]

    func index(_ pick: EndpointPool.Pick) -> Int? {
        if case .endpoint(let i, _) = pick { return i }
        return nil
    }

    @Test func routesToTheLeastLoadedEndpoint() {
        var pool = EndpointPool(urls: urls, policy: BreakerPolicy())
        let first = (0..<3).compactMap { _ in index(pool.pick(now: 0)) }
        #expect(Set(first) == [0, 1, 2], "one each before any gets a second")
        pool.finish(index: 1, trial: false, verdict: .alive, now: 0)
        let p1 = pool.pick(now: 0)
        #expect(index(p1) == 1, "b has the fewest in flight")
        #expect(pool.endpoints.map(\.inFlight) == [1, 1, 1])
        #expect(pool.endpoints.map(\.sent) == [1, 2, 1])
    }

    @Test func breakerOpensAfterConsecutiveFailuresAndProbesAfterCooldown() {
        var b = CircuitBreaker(policy: BreakerPolicy(failureThreshold: 3, cooldown: 2, maxCooldown: 8))
        b.record(.failed, trial: false, now: 0)
        b.record(.alive, trial: false, now: 0)
        b.record(.failed, trial: false, now: 0)
        b.record(.failed, trial: false, now: 0)
        #expect(b.isClosed, "an answer in between resets the count")
        let opened = b.record(.failed, trial: false, now: 10)
        #expect(opened)
        #expect(b.state == .open(until: 12))
        #expect(!b.trialDue(now: 11.9))
        #expect(b.trialDue(now: 12))
        b.beginTrial()
        #expect(b.state == .halfOpen)
        // A failed trial reopens with a doubled cool-down.
        b.record(.failed, trial: true, now: 12)
        #expect(b.state == .open(until: 16))
        b.beginTrial()
        b.record(.failed, trial: true, now: 16)
        #expect(b.state == .open(until: 24))
        b.beginTrial()
        b.record(.failed, trial: true, now: 24)
        #expect(b.state == .open(until: 32), "capped at maxCooldown")
        b.beginTrial()
        b.record(.alive, trial: true, now: 32)
        #expect(b.isClosed)
        // Cool-down is back to its base.
        for _ in 0..<3 { b.record(.failed, trial: false, now: 40) }
        #expect(b.state == .open(until: 42))
    }

    @Test func aCancelledTrialAllowsAnotherTrial() {
        var b = CircuitBreaker(policy: BreakerPolicy(failureThreshold: 1, cooldown: 1))
        b.record(.failed, trial: false, now: 0)
        b.beginTrial()
        b.record(.unknown, trial: true, now: 5)
        #expect(b.trialDue(now: 5))
    }

    @Test func unhealthyEndpointIsSkippedAndProbedBack() {
        var pool = EndpointPool(urls: urls, policy: BreakerPolicy(failureThreshold: 2, cooldown: 5))
        // b fails twice: it is taken out.
        for _ in 0..<2 {
            while index(pool.pick(now: 0)) != 1 {}
            pool.finish(index: 1, trial: false, verdict: .failed, now: 0)
        }
        #expect(pool.opened == 1)
        for e in pool.endpoints.indices where pool.endpoints[e].inFlight > 0 {
            for _ in 0..<pool.endpoints[e].inFlight { pool.finish(index: e, trial: false, verdict: .alive, now: 0) }
        }
        for _ in 0..<20 { let p2 = pool.pick(now: 1); #expect(index(p2) != 1) }
        // After the cool-down b gets exactly one trial, then nothing until it ends.
        let p3 = pool.pick(now: 5)
        #expect(p3 == .endpoint(index: 1, trial: true))
        for _ in 0..<10 { let p4 = pool.pick(now: 6); #expect(index(p4) != 1) }
        pool.finish(index: 1, trial: true, verdict: .alive, now: 6)
        #expect(pool.endpoints[1].breaker.isClosed)
        #expect(pool.unavailableSince == nil)
    }

    @Test func allEndpointsDownMeansWaitUntilTheEarliestCooldown() {
        var pool = EndpointPool(urls: ["http://a/v1", "http://b/v1"], policy: BreakerPolicy(failureThreshold: 1, cooldown: 3))
        _ = pool.pick(now: 0)
        _ = pool.pick(now: 0)
        pool.finish(index: 0, trial: false, verdict: .failed, now: 0)
        pool.finish(index: 1, trial: false, verdict: .failed, now: 1)
        let p5 = pool.pick(now: 2)
        #expect(p5 == .wait(until: 3))
        #expect(pool.unavailableSince == 1)
        let p6 = pool.pick(now: 3)
        #expect(p6 == .endpoint(index: 0, trial: true))
        let p7 = pool.pick(now: 3.5)
        #expect(p7 == .wait(until: 4))
    }

    @Test func implicitEndpointSendsToTheJobsOwnURL() {
        var pool = EndpointPool(urls: [], policy: BreakerPolicy())
        #expect(pool.endpoints.count == 1 && pool.endpoints[0].baseURL == nil)
        let p8 = pool.pick(now: 0)
        #expect(p8 == .endpoint(index: 0, trial: false))
    }
}
