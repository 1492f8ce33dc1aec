import HarvestCore
import HarvestKit
import SQLiteStore
import Synchronization
import Testing

/// A transport that answers the n-th request with the n-th body (the last one repeated), counting requests.
final class ScriptedTransport: HTTPTransport, Sendable {
    let bodies: [String]
    let sent = Mutex(0)
    init(_ bodies: [String]) { self.bodies = bodies }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let n = sent.withLock { count -> Int in
            count += 1
            return count
        }
        let body = bodies[min(n, bodies.count) - 1]
        return HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

/// The value rules through a real store and runner: an answer that breaks them is retried once and then failed (never
/// stored as empty); odd usage never rejects a paid answer nor makes spend negative.
@Suite struct ValueRulesSweepTests {
    static let nanLogprob = #"{"choices":[{"message":{"content":"4"},"logprobs":{"content":[{"token":"4","logprob":NaN,"top_logprobs":[]}]}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#
    static let numberContent = #"{"choices":[{"message":{"content":123}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#
    static let valid = #"{"choices":[{"message":{"content":"four"},"logprobs":{"content":[{"token":"four","logprob":-0.25,"top_logprobs":[]}]}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#

    func run(_ bodies: [String], prices: Bool = false) async throws -> (store: SQLiteStore, sweep: Int64, transport: ScriptedTransport, dir: TempDir) {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.path("v.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: [PromptInput(externalId: "1", messages: [ChatMessage(role: "user", content: "2+2? answer in words")],
                                                                         source: InputLocation(file: "t", line: 1))], sourceName: "t")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m")
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 8, topLogprobs: 0), samples: 1)
        if prices { try await store.setPrices(teacher: teacher, inputPerMillion: 1_000_000, outputPerMillion: 2_000_000) }
        let transport = ScriptedTransport(bodies)
        let (pipeline, runner) = try pipelineRunner(
            store: store, url: teacher.baseURL, model: "m", maxInFlight: 1, retry: RetryPolicy(maxAttempts: 8, baseDelay: 0.001, maxDelay: 0.002),
            failFast: FailFastPolicy(stopOnAuthError: false, window: 0, maxMissingLogprobsRate: nil, maxUnavailableSeconds: nil, maxInitialFailures: nil),
            rescuePath: dir.path("rescue.jsonl"), transport: transport)
        defer { pipeline.shutdown() }
        _ = try await runner.run(sweepId: sweep.sweepId)
        return (store, sweep.sweepId, transport, dir)
    }

    @Test(arguments: [nanLogprob, numberContent])
    func invalidAnswerIsRetriedOnceThenFailed(_ body: String) async throws {
        let r = try await run([body])
        defer { r.dir.cleanup() }
        #expect(r.transport.sent.withLock { $0 } == RetryPolicy.invalidAnswerAttempts)
        #expect(try r.store.jobStates(sweepId: r.sweep)[.failed] == 1)
        #expect(try r.store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false)).isEmpty, "never stored (not as an empty answer either)")
        let info = try #require(try r.store.jobInfo(id: 1))
        #expect(info.lastError?.contains("breaks the value rules") == true)
    }

    @Test func invalidThenValidIsStored() async throws {
        let r = try await run([Self.nanLogprob, Self.valid])
        defer { r.dir.cleanup() }
        #expect(r.transport.sent.withLock { $0 } == 2)
        let stored = try r.store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false))
        #expect(stored.map(\.choice.content) == ["four"])
    }

    @Test(arguments: [#"{"prompt_tokens":-5,"completion_tokens":-7}"#, #"{"prompt_tokens":1e30,"completion_tokens":9223372036854775807}"#])
    func oddUsageKeepsThePaidAnswerAndSpendIsNeverNegative(_ usage: String) async throws {
        let body = #"{"choices":[{"message":{"content":"four"}}],"usage":"# + usage + "}"
        let r = try await run([body], prices: true)
        defer { r.dir.cleanup() }
        #expect(r.transport.sent.withLock { $0 } == 1, "one request: the answer is kept, not retried and paid again")
        let stored = try r.store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false))
        #expect(stored.map(\.choice.content) == ["four"])
        let raw = try SQLiteDatabase(path: r.dir.path("v.sqlite"), mode: .readOnly)
        let (cost, note) = try #require(try raw.queryOne("SELECT cost, error FROM attempts WHERE outcome = 'success'") { ($0.optionalDouble(0), $0.optionalString(1)) })
        let c = try #require(cost)
        #expect(c > 0, "negative counts are estimated, not charged as negative")
        if usage.contains("-5") {
            #expect(stored[0].usage?.promptTokens == nil)
            #expect(note?.contains("negative") == true)
            #expect(c < 100, "estimated from a short prompt and answer")
        } else {
            #expect(stored[0].usage?.promptTokens == Usage.maxTokens)
            #expect(note?.contains("clamped") == true)
        }
    }
}
