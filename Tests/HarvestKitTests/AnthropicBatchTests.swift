import CurlTransport
import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// Anthropic Message Batches as the second wire, through the mock teacher's `/v1/messages/batches` on real
/// loopback HTTP: inline requests with `custom_id` + `params`, results JSONL with succeeded / errored / expired
/// lines, `thinking` blocks stored as reasoning, spend at the batch price, exactly once by the mock's counters.
@Suite(.serialized) struct AnthropicBatchTests {
    typealias Fixture = BatchCoordinatorTests.Fixture

    static func coordinator(_ f: Fixture, _ settings: BatchSettings) -> BatchCoordinator {
        BatchCoordinator(store: f.store, api: AnthropicBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: "k"),
                         settings: settings, maxAttempts: 5, stop: StopSignal())
    }

    @Test func aRequestLineCarriesCustomIdAndParams() throws {
        let job = Job(id: 1, key: Array(repeating: 0xAB, count: 32), promptId: 1,
                      messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "2+2?")],
                      teacher: TeacherEndpoint(baseURL: "https://api.example.com/v1", model: "claude-x"),
                      params: SamplingParams(maxTokens: 300, temperature: 0.2, stop: ["END"],
                                             extraBody: [("thinking", .object([("type", .string("enabled")), ("budget_tokens", .number(1024))]))]),
                      sampleIndex: 0, attempts: 0)
        let client = AnthropicBatchClient(transport: try CurlTransport(), baseURL: "https://api.example.com/v1", apiKey: nil)
        let line = try JSONValue.parse(client.line(for: job).dropLast())
        #expect(line["custom_id"]?.stringValue == String(repeating: "ab", count: 32))
        let params = try #require(line["params"])
        #expect(params["model"]?.stringValue == "claude-x" && params["max_tokens"]?.intValue == 300)
        #expect(params["system"]?.stringValue == "Be brief.")
        #expect(params["messages"]?.arrayValue?.count == 1 && params["messages"]?.arrayValue?.first?["role"]?.stringValue == "user")
        #expect(params["stop_sequences"]?.arrayValue?.first?.stringValue == "END" && params["temperature"]?.doubleValue == 0.2)
        #expect(params["thinking"]?["budget_tokens"]?.intValue == 1024)
        #expect(params["seed"] == nil && params["logprobs"] == nil)
    }

    @Test func fullCycleWithLineErrorsAnExpiredBatchAndThinking() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.lineErrorRate = 0.1
        faults.expire = 1
        let f = try Fixture(prompts: 60, faults: faults)
        try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 3, outputPerMillion: 15)
        // A second sweep over the same prompts with thinking enabled (its own jobs).
        let thinking = SamplingParams(maxTokens: 8, extraBody: [("thinking", .object([("type", .string("enabled")), ("budget_tokens", .number(1024))]))])
        let sweep = try f.store.createSweep(name: "t", setName: "b", teacher: f.teacher, params: thinking, samples: 1).sweepId
        let settings = BatchSettings(maxRequestsPerFile: 25, priceFactor: 0.5, pollSeconds: 0.05, maxPollSeconds: 0.2)
        let outcome = try await Self.coordinator(f, settings).run(sweepId: sweep)
        #expect(outcome == .finished(rounds: 2))
        let stats = f.mock.batchStats()
        #expect(stats.filesUploaded == 0, "Message Batches take the requests inline")
        #expect(stats.answersPerCustomId.count == 60 && stats.answersPerCustomId.values.allSatisfy { $0 == 1 })
        #expect(stats.linesErrored > 0)
        #expect(try f.store.jobStates(sweepId: sweep)[.done] == 60)
        let batches = try f.store.batches(sweepId: sweep)
        #expect(batches.allSatisfy { $0.wire == "anthropic" && $0.stage == .collected })
        #expect(batches.contains { $0.providerStatus == "expired" && $0.returned > 0 })
        let db = try SQLiteDatabase(path: f.dir.path("batch.sqlite"), mode: .readOnly)
        let withReasoning = try db.queryOne("SELECT count(*) FROM responses WHERE reasoning LIKE 'Mock reasoning for %'") { $0.int(0) }
        #expect(withReasoning == 60, "thinking blocks are stored as reasoning")
        let (cost, expected) = try db.queryOne("""
            SELECT sum(a.cost), sum((r.prompt_tokens * 3.0 + r.completion_tokens * 15.0) * 0.5 / 1000000.0)
            FROM responses r JOIN attempts a ON a.id = r.attempt_id
            """) { ($0.double(0), $0.double(1)) }!
        #expect(expected > 0 && abs(cost - expected) < 1e-12)
    }

    @Test func aBatchCreatedBeforeACrashIsFoundNotCreatedAgain() async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        let f = try Fixture(prompts: 10, faults: faults)
        let api = AnthropicBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: nil)
        let settings = BatchSettings(maxRequestsPerFile: 25, pollSeconds: 0.05, maxPollSeconds: 0.2)
        // A process recorded and staged the file, created the batch, and died before recording its id.
        let c = Self.coordinator(f, settings)
        let jobs = try f.store.pendingJobs(sweepId: f.sweepId, limit: 100)
        let input = try BatchInputFile.pack(jobs, maxRequests: 100, maxBytes: .max, line: api.line).bytes
        let record = try await f.store.recordBatch(sweepId: f.sweepId, ref: "crash-ref", lines: jobs.map { (jobId: $0.id, customId: BatchInputFile.customId($0)) },
                                                   bytes: input.count, priceFactor: 0.5, wire: "anthropic")
        try await f.store.markBatchUploaded(id: record.id, inputFileId: "inline:harvest-\(record.ref)")
        let created = try await api.create(input: input, inputId: "x", ref: record.ref, kind: .chat, completionWindow: "24h")
        let outcome = try await c.run(sweepId: f.sweepId)
        #expect(outcome == .finished(rounds: 1))
        #expect(f.mock.batchStats().batchesCreated == 1, "the batch was found again, not created twice")
        #expect(try f.store.batches(sweepId: f.sweepId).first?.providerBatchId == created.id)
        try f.expectExactlyOnce(10)
    }
}
