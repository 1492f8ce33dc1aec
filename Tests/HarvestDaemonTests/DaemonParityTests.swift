import Foundation
import HarvestCore
import HarvestTestSupport
import MockTeacher
import Testing
@testable import HarvestDaemon

/// Every traffic rule of the foreground sweep, proven on the daemon path (``ServeService`` with mock teachers on
/// loopback): the daemon builds its runners through the same ``TeacherPipeline``.
@Suite(.serialized) struct DaemonParityTests {
    @Test func rateLimitsAreEnforced() async throws {
        let f = try ParityFixture()
        let (mock, url) = try f.mock()
        try f.importPrompts(40)
        let teachers = "[" + ParityFixture.teacher("per-minute", url: url, limits: "{\"max_in_flight\": 8, \"rpm\": 120}") + ", "
            + ParityFixture.teacher("per-second", url: url, model: "m2", limits: "{\"max_in_flight\": 8, \"rps\": 4}") + "]"
        try f.writeConfig(teachers: teachers, sweeps: """
            [{"name": "a", "prompt_set": "main", "teacher": "per-minute"}, {"name": "b", "prompt_set": "main", "teacher": "per-second"}]
            """)
        try await f.enqueue("a")
        try await f.enqueue("b")
        let daemonStarted = Date()
        try await f.start()
        // Measured from the first admission of each teacher (a loaded machine may take a while to get there: once
        // 30 s were not enough in a full parallel run, which starves this in-process daemon's tasks). The
        // window is timed around the metric reads (a scrape can take seconds on a loaded machine): it starts before
        // the first read and ends after the last, so it is never shorter than the admissions it counts.
        let admitted = { (t: String) in f.metric("harvest_admitted_total{teacher=\"\(t)\"}") ?? 0 }
        #expect(await f.waitUntil(seconds: 120) { admitted("per-minute") >= 1 && admitted("per-second") >= 1 })
        let started = Date()
        let (minuteBefore, secondBefore) = (admitted("per-minute"), admitted("per-second"))
        try await Task.sleep(for: .milliseconds(1500))
        let served = mock.stats().completionsServed
        let (minuteAfter, secondAfter) = (admitted("per-minute"), admitted("per-second"))
        let seconds = Date().timeIntervalSince(started)
        let perMinute = minuteAfter - minuteBefore
        let perSecond = secondAfter - secondBefore
        // rpm 120 = 2/s with a 2-request burst; rps 4 with a 1-request burst (+1 for the admission that opened the
        // window). Before the daemon used the traffic layer it sent all 40 in well under a second.
        #expect(perMinute <= 2 + 2 * seconds + 1, "rpm: \(perMinute) admitted in \(seconds) s")
        #expect(perSecond <= 1 + 4 * seconds + 1, "rps: \(perSecond) admitted in \(seconds) s")
        #expect(f.metric("harvest_limit{teacher=\"per-minute\",limit=\"rpm\"}") == 120)
        #expect(f.metric("harvest_limit{teacher=\"per-second\",limit=\"rps\"}") == 4)
        #expect(served <= Int(minuteAfter + secondAfter))
        // Over the daemon's whole life, too (unlimited, all 40 of each go in well under a second).
        let total = Date().timeIntervalSince(daemonStarted)
        #expect(admitted("per-minute") <= 2 + 2 * total + 1 && admitted("per-second") <= 1 + 4 * total + 1, "in \(total) s")
        try await f.stop()
    }

    @Test func tokensPerMinuteAreEnforced() async throws {
        let f = try ParityFixture()
        let (mock, url) = try f.mock()
        try f.importPrompts(40)
        // tpm 1,200 = 20 tokens/s with a 1 s burst; a request is estimated at ~21 tokens (prompt bytes / 4 + 4 +
        // max_tokens 8) and charged what the teacher reports. Unlimited, the 40 jobs take well under a second.
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("tokens", url: url, limits: "{\"max_in_flight\": 8, \"tpm\": 1200}") + "]",
                          sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"tokens\"}]")
        try await f.enqueue("a")
        let started = Date()  // before the bucket exists, so the bound below can only be looser than the real one
        try await f.start()
        let admitted = { f.metric("harvest_admitted_total{teacher=\"tokens\"}") ?? 0 }
        #expect(await f.waitUntil(seconds: 120) { admitted() >= 1 })
        try await Task.sleep(for: .milliseconds(2000))
        let seconds = Date().timeIntervalSince(started)
        let used = (f.metric("harvest_tokens_total{teacher=\"tokens\",direction=\"in\"}") ?? 0)
            + (f.metric("harvest_tokens_total{teacher=\"tokens\",direction=\"out\"}") ?? 0)
        // Tokens of finished requests never exceed the burst plus the rate since the daemon started (+ one estimate).
        #expect(used > 0)
        #expect(used <= 20 + 20 * seconds + 21, "tpm: \(used) tokens used in \(seconds) s")
        #expect(f.metric("harvest_limit{teacher=\"tokens\",limit=\"tpm\"}") == 1200)
        #expect(admitted() < 40, "admitted \(admitted()) of 40 in \(seconds) s")
        #expect(mock.stats().completionsServed < 40)
        try await f.stop()
    }

    @Test func windowHalvesOn429() async throws {
        let f = try ParityFixture()
        var faults = MockFaults(rateLimited: 0.3, retryAfterSeconds: 0.05)
        faults.seed = 7
        let (_, url) = try f.mock(faults, latencyMs: 5)
        try f.importPrompts(60)
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("hosted", url: url, limits: "{\"max_in_flight\": 16, \"adaptive\": true}",
                                                                extra: "\"max_attempts\": 30, \"fail_fast\": false") + "]",
                          sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"hosted\"}]")
        let run = try await f.enqueue("a")
        try await f.start()
        #expect(try await f.waitUntil(seconds: 60) { try f.settled(run) })
        #expect((f.metric("harvest_window_decreases_total{teacher=\"hosted\"}") ?? 0) >= 1)
        #expect((f.metric("harvest_window{teacher=\"hosted\"}") ?? 16) < 16)
        #expect(try f.states(sweepId: run.sweepId)[.done] == 60)
        try await f.stop()
    }

    @Test func rateLimitHeadersPauseAdmissions() async throws {
        let f = try ParityFixture()
        var faults = MockFaults()
        faults.rateLimitResetSeconds = 1
        let (_, url) = try f.mock(faults)
        try f.importPrompts(6)
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("hosted", url: url, limits: "{\"max_in_flight\": 4}") + "]",
                          sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"hosted\"}]")
        let run = try await f.enqueue("a")
        let started = Date()
        try await f.start()
        #expect(try await f.waitUntil(seconds: 120) { try f.settled(run) })
        // Four go out at once; their answers say the request budget is used up for 1 s; the last two wait for it.
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect((f.metric("harvest_ratelimit_pauses_total{teacher=\"hosted\"}") ?? 0) >= 1)
        #expect(try f.states(sweepId: run.sweepId)[.done] == 6)
        try await f.stop()
    }

    @Test func deadReplicaIsTakenOutWhileTheOtherCarriesOn() async throws {
        let f = try ParityFixture()
        let (_, live) = try f.mock()
        let (deadServer, dead) = try f.mock()
        deadServer.stop()
        try f.importPrompts(40)
        let teacher = """
            {"name": "pair", "base_urls": ["\(live)", "\(dead)"], "model": "mock-teacher", "limits": {"max_in_flight": 4},
             "sampling": {"max_tokens": 8}, "breaker_failures": 2, "breaker_cooldown": 60, "max_attempts": 10}
            """
        try f.writeConfig(teachers: "[\(teacher)]", sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"pair\"}]", metrics: true)
        let run = try await f.enqueue("a")
        let serve = try await f.start()
        #expect(try await f.waitUntil(seconds: 60) { try f.settled(run) })
        #expect(try f.states(sweepId: run.sweepId)[.done] == 40)
        // Over the real /metrics endpoint.
        let port = try #require(serve.metricsServer?.port)
        let page = try #require(httpGet(port: port, path: "/metrics")).body
        #expect(page.contains("harvest_endpoint_up{teacher=\"pair\",endpoint=\"\(dead)\"} 0"))
        #expect(page.contains("harvest_endpoint_up{teacher=\"pair\",endpoint=\"\(live)\"} 1"))
        #expect((f.metric("harvest_breaker_opens_total{teacher=\"pair\"}") ?? 0) >= 1)
        #expect((f.metric("harvest_endpoint_requests_total{teacher=\"pair\",endpoint=\"\(dead)\"}") ?? 99) <= 3)
        try await f.stop()
    }

    @Test func stalledBodiesAreCutByTheIdleTimeout() async throws {
        let f = try ParityFixture()
        var faults = MockFaults()
        faults.slowBody = 0.3
        faults.slowBodySeconds = 40
        faults.slowBodyChunks = 2
        faults.seed = 3
        let (_, url) = try f.mock(faults)
        try f.importPrompts(20)
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("slow", url: url, extra: "\"idle_timeout\": 0.4, \"max_attempts\": 20, \"fail_fast\": false") + "]",
                          sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"slow\"}]")
        let run = try await f.enqueue("a")
        let started = Date()
        try await f.start()
        #expect(try await f.waitUntil(seconds: 120) { try f.settled(run) })
        // A 40 s trickle would hold the run for 20 s per stalled body; the idle timeout cuts each one and retries.
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(try f.states(sweepId: run.sweepId)[.done] == 20)
        #expect((f.metric("harvest_retries_total{teacher=\"slow\"}") ?? 0) >= 1)
        try await f.stop()
    }

    @Test func oversizedBodiesFailTheJob() async throws {
        let f = try ParityFixture()
        let (_, url) = try f.mock()
        try f.importPrompts(3)
        let teacher = """
            {"name": "big", "base_url": "\(url)", "model": "mock-teacher", "sampling": {"max_tokens": 4000, "logprobs": 20},
             "max_response_mb": 1, "max_attempts": 2, "fail_fast": false}
            """
        try f.writeConfig(teachers: "[\(teacher)]", sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"big\"}]")
        let run = try await f.enqueue("a")
        try await f.start()
        #expect(try await f.waitUntil(seconds: 60) { try f.settled(run) })
        #expect(try f.states(sweepId: run.sweepId)[.failed] == 3)
        // The counter moves just after the failure is stored: wait for it rather than read it once.
        #expect(await f.waitUntil(seconds: 120) { f.metric("harvest_jobs_failed_total{teacher=\"big\"}") == 3 })
        try await f.stop()
    }

    @Test func failFastPausesOnlyThatTeacherAndResumes() async throws {
        let f = try ParityFixture()
        var faults = MockFaults()
        faults.quotaExhaustedForModel = "broke"
        let (mock, url) = try f.mock(faults)
        try f.importPrompts(20)
        let teachers = "[" + ParityFixture.teacher("broke", url: url, model: "broke", extra: "\"fail_fast_cooldown\": 3600") + ", "
            + ParityFixture.teacher("fine", url: url) + "]"
        try f.writeConfig(teachers: teachers, sweeps: """
            [{"name": "a", "prompt_set": "main", "teacher": "broke"}, {"name": "b", "prompt_set": "main", "teacher": "fine"}]
            """)
        let broke = try await f.enqueue("a")
        let fine = try await f.enqueue("b")
        let systemd = try NotifySocket(abstract: false)
        try await f.start(environment: ["NOTIFY_SOCKET": systemd.name])
        #expect(try await f.waitUntil(seconds: 120) { try f.settled(fine) })
        // systemd's STATUS= names the paused teacher and the rule (the notify socket of a real daemon).
        var statuses: [String] = []
        while let message = systemd.receive() {
            statuses.append(message)
            if message.contains("teacher broke paused") { break }
        }
        #expect(statuses.contains { $0.hasPrefix("STATUS=teacher broke paused: fail-fast rule \"quotaExhausted\"") }, "\(statuses)")
        #expect(try f.states(sweepId: fine.sweepId)[.done] == 20)
        let paused = "harvest_teacher_paused{teacher=\"broke\",reason=\"fail-fast rule \\\"quotaExhausted\\\": "
        #expect(await f.waitUntil(seconds: 10) { f.metricsText().contains(paused) })
        #expect(f.isRunning)
        #expect(try f.states(sweepId: broke.sweepId)[.done] ?? 0 == 0)
        #expect(try !f.settled(broke))  // paused, not failed: the jobs wait for the fix
        let refusedBefore = mock.stats().responses(status: 429)
        try await Task.sleep(for: .milliseconds(300))
        #expect(mock.stats().responses(status: 429) == refusedBefore)  // nothing is sent while paused
        // SIGHUP resumes it: the teacher tries again (and pauses again, as the quota is still used up).
        try await f.serveReload()
        #expect(await f.waitUntil(seconds: 10) { mock.stats().responses(status: 429) > refusedBefore })
        try await f.stop()
    }

    @Test func coolDownResumesAPausedTeacher() async throws {
        let f = try ParityFixture()
        var faults = MockFaults()
        faults.quotaExhaustedForModel = "broke"
        let (mock, url) = try f.mock(faults)
        try f.importPrompts(5)
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("broke", url: url, model: "broke", extra: "\"fail_fast_cooldown\": 0.5") + "]",
                          sweeps: "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"broke\"}]")
        try await f.enqueue("a")
        try await f.start()
        #expect(await f.waitUntil(seconds: 10) { mock.stats().responses(status: 429) >= 1 })
        let first = mock.stats().responses(status: 429)
        #expect(await f.waitUntil(seconds: 10) { mock.stats().responses(status: 429) > first })
        try await f.stop()
    }

    @Test func reloadAppliesNewLimitsLiveWithoutDroppingInFlightRequests() async throws {
        let f = try ParityFixture()
        let (mock, url) = try f.mock(latencyMs: 300)
        try f.importPrompts(30)
        let sweeps = "[{\"name\": \"a\", \"prompt_set\": \"main\", \"teacher\": \"t\"}]"
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("t", url: url, limits: "{\"max_in_flight\": 8, \"rpm\": 60}") + "]", sweeps: sweeps)
        let run = try await f.enqueue("a")
        try await f.start()
        try await Task.sleep(for: .milliseconds(1200))
        #expect((f.metric("harvest_admitted_total{teacher=\"t\"}") ?? 99) <= 4, "1/s with a burst of 1")
        #expect(try !f.settled(run))
        // SIGHUP with a higher rpm and window: applied to the running traffic controller, not a new runner.
        try f.writeConfig(teachers: "[" + ParityFixture.teacher("t", url: url, limits: "{\"max_in_flight\": 16, \"rpm\": 60000}") + "]", sweeps: sweeps)
        try await f.serveReload()
        #expect(f.metric("harvest_limit{teacher=\"t\",limit=\"rpm\"}") == 60000)
        #expect(f.metric("harvest_window{teacher=\"t\"}") == 16)
        #expect(try await f.waitUntil(seconds: 20) { try f.settled(run) })
        #expect(try f.states(sweepId: run.sweepId)[.done] == 30)
        // Nothing was cut off or sent twice by the reload.
        #expect(f.metric("harvest_requests_total{teacher=\"t\",status=\"transport\"}") == nil)
        #expect(f.metric("harvest_retries_total{teacher=\"t\"}") == 0)
        #expect(mock.stats().completionsServed == 30)
        try await f.stop()
    }
}
