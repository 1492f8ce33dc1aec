import HarvestCore
import HarvestKit
import HarvestTestSupport
import SQLiteStore
import Synchronization
import Testing

/// A teacher that answers every call the same way and counts calls.
final class ScriptedTeacher: TeacherCalling {
    let outcome: @Sendable (Job) -> Result<TeacherAnswer, TeacherError>
    let status: Int?
    let calls = Mutex(0)
    init(status: Int?, _ outcome: @escaping @Sendable (Job) -> Result<TeacherAnswer, TeacherError>) {
        self.status = status
        self.outcome = outcome
    }
    func call(_ job: Job) async -> TeacherCallResult {
        calls.withLock { $0 += 1 }
        try? await Task.sleep(for: .milliseconds(1))
        return TeacherCallResult(startedAt: 0, latencyMs: 1, httpStatus: status, retryAfter: nil, outcome: outcome(job))
    }
}

@Suite(.serialized) struct FailFastTests {
    func sweep(_ n: Int, logprobs: Int? = nil) async throws -> (SQLiteStore, Int64, TempDir) {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path("ff.sqlite"))
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m")
        let s = try await offPool {
            _ = try store.importPrompts(setName: "s", prompts: EndToEndTests.prompts(n), sourceName: "gen")
            return try store.createSweep(name: "s", setName: "s", teacher: teacher,
                                         params: SamplingParams(maxTokens: 4, topLogprobs: logprobs), samples: 1)
        }
        return (store, s.sweepId, dir)
    }

    @Test func wrongKeyStopsAfterTheFirstWaveNotAfterEveryJob() async throws {
        let (store, sweepId, dir) = try await sweep(2000)
        defer { dir.cleanup() }
        let teacher = ScriptedTeacher(status: 401) { _ in .failure(.http(status: 401, message: "Incorrect API key provided")) }
        let runner = SweepRunner(store: store, client: teacher, options: SweepOptions(concurrency: 16, rescuePath: dir.path("r")))
        let outcome = try await runner.run(sweepId: sweepId)
        #expect(outcome.failFast?.rule == .authError)
        #expect(outcome.failFast?.description.contains("API key") == true)
        #expect(outcome.interrupted)
        #expect(teacher.calls.withLock { $0 } <= 40, "only the requests already admitted went out")
        let states = try store.jobStates(sweepId: sweepId)
        #expect(states[.leased, default: 0] == 0)
        #expect(states[.pending, default: 0] >= 1900)
    }

    @Test func errorRateOverTheWindowStopsTheSweep() async throws {
        let (store, sweepId, dir) = try await sweep(1000)
        defer { dir.cleanup() }
        let teacher = ScriptedTeacher(status: 500) { _ in .failure(.http(status: 500, message: "boom")) }
        let options = SweepOptions(concurrency: 8, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.002),
                                   rescuePath: dir.path("r"),
                                   failFast: FailFastPolicy(window: 50, maxErrorRate: 0.5, maxInitialFailures: nil))
        let traffic = TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: 8),
                                                                breaker: BreakerPolicy(failureThreshold: 1000)))
        let outcome = try await SweepRunner(store: store, client: teacher, options: options, traffic: traffic).run(sweepId: sweepId)
        #expect(outcome.failFast?.rule == .errorRate)
        #expect(outcome.failFast?.detail.contains("of the last 50 attempts failed") == true)
        #expect(teacher.calls.withLock { $0 } < 100)
    }

    @Test func aTeacherThatAnswersNothingStopsAfterTheFirstAttempts() async throws {
        let (store, sweepId, dir) = try await sweep(1000)
        defer { dir.cleanup() }
        let teacher = ScriptedTeacher(status: 500) { _ in .failure(.http(status: 500, message: "model not loaded")) }
        let options = SweepOptions(concurrency: 4, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.001, maxDelay: 0.002),
                                   rescuePath: dir.path("r"))
        let outcome = try await SweepRunner(store: store, client: teacher, options: options).run(sweepId: sweepId)
        #expect(outcome.failFast?.rule == .initialFailures)
        #expect(outcome.failFast?.detail.contains("model not loaded") == true)
        #expect(teacher.calls.withLock { $0 } <= 14, "10 attempts, plus those already in flight")
        // Once an answer has arrived, failures go to the error-rate rule instead.
        let monitor = FailFastMonitor(policy: FailFastPolicy(window: 0, maxInitialFailures: 2))
        let ok = TeacherCallResult(startedAt: 0, latencyMs: 0, httpStatus: 200, retryAfter: nil,
                                   outcome: .success(TeacherAnswer(response: TeacherResponse(choices: [CompletionChoice(index: 0, content: "x")]), rawBody: nil)))
        let bad = TeacherCallResult(startedAt: 0, latencyMs: 0, httpStatus: 500, retryAfter: nil, outcome: .failure(.http(status: 500, message: "")))
        #expect(monitor.recordAttempt(ok) == nil)
        for _ in 0..<5 { #expect(monitor.recordAttempt(bad) == nil) }
    }

    @Test func teacherWithoutLogprobsStopsButEveryAnswerIsStoredAndMarked() async throws {
        let (store, sweepId, dir) = try await sweep(500, logprobs: 5)
        defer { dir.cleanup() }
        let teacher = ScriptedTeacher(status: 200) { _ in
            .success(TeacherAnswer(response: TeacherResponse(choices: [CompletionChoice(index: 0, content: "no logprobs here")]), rawBody: nil))
        }
        let options = SweepOptions(concurrency: 4, rescuePath: dir.path("r"), failFast: FailFastPolicy(window: 20))
        let outcome = try await SweepRunner(store: store, client: teacher, options: options).run(sweepId: sweepId)
        #expect(outcome.failFast?.rule == .missingLogprobs)
        let done = try store.jobStates(sweepId: sweepId)[.done, default: 0]
        #expect(done == outcome.counters.done)
        #expect(outcome.counters.missingLogprobs == done, "every answer was stored although it lacks logprobs")
        #expect(done == teacher.calls.withLock { $0 }, "nothing paid was thrown away")
        #expect(done < 100)
    }

    @Test func missingLogprobsAloneAreStoredWhenTheRuleIsOff() async throws {
        let (store, sweepId, dir) = try await sweep(50, logprobs: 5)
        defer { dir.cleanup() }
        let teacher = ScriptedTeacher(status: 200) { _ in
            .success(TeacherAnswer(response: TeacherResponse(choices: [CompletionChoice(index: 0, content: "x")]), rawBody: nil))
        }
        var policy = FailFastPolicy()
        policy.maxMissingLogprobsRate = nil
        let outcome = try await SweepRunner(store: store, client: teacher,
                                            options: SweepOptions(concurrency: 4, rescuePath: dir.path("r"), failFast: policy)).run(sweepId: sweepId)
        #expect(outcome.failFast == nil)
        #expect(outcome.counters.done == 50 && outcome.counters.missingLogprobs == 50)
    }

    @Test func monitorIgnores429sAndCountsTheRest() {
        let monitor = FailFastMonitor(policy: FailFastPolicy(window: 4, maxErrorRate: 0.5))
        func r(_ e: TeacherError?) -> TeacherCallResult {
            let answer = TeacherAnswer(response: TeacherResponse(choices: [CompletionChoice(index: 0, content: "x")]), rawBody: nil)
            return TeacherCallResult(startedAt: 0, latencyMs: 0, httpStatus: nil, retryAfter: nil,
                                     outcome: e.map { .failure($0) } ?? .success(answer))
        }
        for _ in 0..<10 { #expect(monitor.recordAttempt(r(.http(status: 429, message: "slow"))) == nil) }
        #expect(monitor.recordAttempt(r(.http(status: 500, message: ""))) == nil)
        #expect(monitor.recordAttempt(r(nil)) == nil)
        #expect(monitor.recordAttempt(r(.http(status: 502, message: ""))) == nil)
        #expect(monitor.recordAttempt(r(.http(status: 500, message: "last"))) != nil, "3 of 4 failed")
        let quota = FailFastMonitor(policy: FailFastPolicy())
        #expect(quota.recordAttempt(r(.http(status: 429, message: "You exceeded your current quota, please check your plan")))?.rule == .quotaExhausted)
        #expect(FailFastMonitor(policy: .off).recordAttempt(r(.http(status: 401, message: ""))) == nil)
        #expect(quota.checkUnavailable(seconds: 10, lastError: nil) == nil, "first trip wins; later rules stay quiet")
        #expect(FailFastMonitor(policy: FailFastPolicy(maxUnavailableSeconds: 5)).checkUnavailable(seconds: 6, lastError: "x")?.rule == .unavailable)
    }
}
