import CurlTransport
import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// The whole path against the built-in mock teacher on an ephemeral loopback port, with faults on.
@Suite(.serialized) struct EndToEndTests {
    static func prompts(_ n: Int) -> [PromptInput] {
        (0..<n).map { i in
            PromptInput(externalId: "q\(i)", messages: [ChatMessage(role: "user", content: "Question \(i): what is \(i) + \(i)?")],
                        source: InputLocation(file: "gen", line: i + 1))
        }
    }

    @Test func harvestsEveryJobExactlyOnceUnderFaults() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var faults = MockFaults()
        faults.rateLimited = 0.05
        faults.retryAfterSeconds = 0
        faults.serverError = 0.03
        faults.reset = 0.02
        var config = MockTeacherConfiguration()
        config.faults = faults
        let mock = MockTeacherServer(config)
        let port = try mock.start()
        defer { mock.stop() }

        let store = try SQLiteStore(path: dir.path("e2e.sqlite"))
        _ = try store.importPrompts(setName: "e2e", prompts: Self.prompts(500), sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher")
        let params = SamplingParams(maxTokens: 32, temperature: 0.7, seed: 11, topLogprobs: 5)
        let sweep = try store.createSweep(name: "e2e", setName: "e2e", teacher: teacher, params: params, samples: 2)
        #expect(sweep.totalJobs == 1000)

        let retry = RetryPolicy(maxAttempts: 10, baseDelay: 0.01, maxDelay: 0.05)
        let url = "http://127.0.0.1:\(port)/v1"
        let (pipeline, runner) = try pipelineRunner(store: store, url: url, maxInFlight: 64, retry: retry,
                                                    failFast: FailFastPolicy(window: 0), rescuePath: dir.path("rescue.jsonl"))
        defer { pipeline.shutdown() }
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        #expect(outcome.counters.done == 1000)
        #expect(outcome.counters.failed == 0)
        #expect(outcome.counters.retries > 0, "faults were injected, so some attempts must have been retried")
        #expect(try store.jobStates(sweepId: sweep.sweepId)[.done] == 1000)

        // The mock answered every job successfully exactly once: nothing was paid for twice.
        let served = mock.servedFingerprints()
        #expect(served.count == 1000)
        #expect(served.values.allSatisfy { $0 == 1 })

        // A re-run sends nothing.
        let before = mock.stats().requestsReceived
        let again = try store.createSweep(name: "e2e", setName: "e2e", teacher: teacher, params: params, samples: 2)
        #expect(again.newJobs == 0)
        #expect(again.alreadyDone == 1000)
        let rerun = try await pipelineRunner(store: store, url: url, maxInFlight: 64, retry: retry, failFast: FailFastPolicy(window: 0),
                                             rescuePath: dir.path("rescue.jsonl")).runner.run(sweepId: again.sweepId)
        #expect(rerun.counters.done == 0)
        #expect(mock.stats().requestsReceived == before)

        // Export parses line by line and carries the logprobs.
        let out = dir.path("out.jsonl")
        let summary = try Exporter(store: store).export(.init(setName: "e2e"), format: OpenAIChatFormat(),
                                                        options: ExportOptions(withLogprobs: true), to: out)
        #expect(summary.rows == 1000)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1000)
        for line in lines {
            let row = try JSONValue.parse(String(line))
            let messages = try #require(row["messages"]?.arrayValue)
            #expect(messages.last?["role"]?.stringValue == "assistant")
            let logprobs = try #require(row["logprobs"]?.arrayValue)
            #expect(logprobs.count == 32)
            #expect(logprobs.allSatisfy { $0["top_logprobs"]?.arrayValue?.count == 5 })
        }
    }

    @Test func drainStopStoresInFlightAnswersAndRerunCompletes() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var config = MockTeacherConfiguration()
        config.latencyMs = 20
        let mock = MockTeacherServer(config)
        let port = try mock.start()
        defer { mock.stop() }
        let store = try SQLiteStore(path: dir.path("drain.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: Self.prompts(1000), sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher")
        let params = SamplingParams(maxTokens: 8, topLogprobs: 2)
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: params, samples: 1)
        let stop = StopSignal()
        let (pipeline, runner) = try pipelineRunner(store: store, url: teacher.baseURL, maxInFlight: 16, rescuePath: dir.path("rescue.jsonl"), stop: stop)
        defer { pipeline.shutdown() }
        // Drain once the first answers are stored (not after a fixed time: a starved run may have none by then);
        // 1,000 jobs at 16 × 20 ms take over a second, so the drain lands mid-sweep.
        Task {
            let deadline = ContinuousClock.now + .seconds(60)
            while runner.snapshot().done < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            stop.request(.drain, reason: "test")
        }
        let first = try await runner.run(sweepId: sweep.sweepId)
        #expect(first.interrupted)
        #expect(first.counters.done > 0 && first.counters.done < 1000)
        let states = try store.jobStates(sweepId: sweep.sweepId)
        #expect(states[.leased, default: 0] == 0, "a drained run leaves no job leased")
        #expect(states[.done] == first.counters.done, "every answer that arrived was stored")
        // Every request the mock answered was stored: nothing paid was lost.
        #expect(mock.servedFingerprints().count == first.counters.done)

        let second = try pipelineRunner(store: store, url: teacher.baseURL, maxInFlight: 16, rescuePath: dir.path("rescue.jsonl")).runner
        let rest = try await second.run(sweepId: sweep.sweepId)
        #expect(first.counters.done + rest.counters.done == 1000)
        #expect(mock.servedFingerprints().values.allSatisfy { $0 == 1 })
    }

    @Test func badRequestFailsAtOnceWithTheServersMessage() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var config = MockTeacherConfiguration()
        config.faults.badRequestForModel = "no-such-model"
        let mock = MockTeacherServer(config)
        let port = try mock.start()
        defer { mock.stop() }
        let store = try SQLiteStore(path: dir.path("bad.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: Self.prompts(5), sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "no-such-model")
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 4), samples: 1)
        let (pipeline, runner) = try pipelineRunner(store: store, url: teacher.baseURL, model: "no-such-model", maxInFlight: 4,
                                                    failFast: FailFastPolicy(window: 0), rescuePath: dir.path("rescue.jsonl"))
        defer { pipeline.shutdown() }
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        #expect(outcome.counters.failed == 5)
        #expect(outcome.counters.retries == 0, "a 400 is not retried")
        #expect(outcome.counters.lastError?.contains("HTTP 400") == true)
        #expect(mock.stats().requestsReceived == 5)
    }
}
