import CurlTransport
import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import SQLiteStore
import Testing

/// Opt-in: runs against a real OpenAI-compatible server when `HARVEST_REAL_TEACHER_URL` names its base URL
/// (e.g. `eval "$(../shared/teacher/real-teacher.sh start)"; HARVEST_REAL_TEACHER_URL=$TEACHER_BASE_URL
/// HARVEST_REAL_TEACHER_MODEL=$TEACHER_MODEL swift test --filter RealTeacherTests`).
/// `HARVEST_REAL_TEACHER_PROMPTS` sets the prompt count (default 20), `HARVEST_REAL_TEACHER_MAX_TOKENS` the answer
/// length (default 24).
@Suite struct RealTeacherTests {
    static let env = ProcessInfo.processInfo.environment
    static let url = env["HARVEST_REAL_TEACHER_URL"]

    @Test(.enabled(if: url != nil, "set HARVEST_REAL_TEACHER_URL to run against a real teacher"))
    func harvestsFromARealServerWithBitExactLogprobs() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let count = Int(Self.env["HARVEST_REAL_TEACHER_PROMPTS"] ?? "") ?? 20
        let model = Self.env["HARVEST_REAL_TEACHER_MODEL"] ?? "smollm2-135m"
        let store = try SQLiteStore(path: dir.path("real.sqlite"))
        let prompts = (0..<count).map { i in
            PromptInput(externalId: "r\(i)", messages: [ChatMessage(role: "user", content: "Give one fact about the number \(i).")],
                        source: InputLocation(file: "gen", line: i + 1))
        }
        _ = try store.importPrompts(setName: "real", prompts: prompts, sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: Self.url!, model: model)
        let (pipeline, runner) = try pipelineRunner(store: store, url: teacher.baseURL, model: model, maxInFlight: 4, keepRaw: true,
                                                    rescuePath: dir.path("rescue.jsonl"))
        defer { pipeline.shutdown() }
        try await TeacherProbe.check(teacher, transport: pipeline.transport, apiKey: nil)
        let maxTokens = Int(Self.env["HARVEST_REAL_TEACHER_MAX_TOKENS"] ?? "") ?? 24
        let params = SamplingParams(maxTokens: maxTokens, temperature: 0.7, seed: 5, topLogprobs: 5)
        let sweep = try store.createSweep(name: "real", setName: "real", teacher: teacher, params: params, samples: 1)
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        #expect(outcome.counters.done == count)
        #expect(outcome.counters.failed == 0)

        // Every stored logprob equals, bit for bit, the value in the raw body the server sent.
        let rows = try store.responses(query: ResponseQuery(setName: "real", sweepId: nil, afterId: 0, limit: count, includeLogprobs: true))
        #expect(rows.count == count)
        for row in rows {
            let raw = try #require(try store.rawBody(responseId: row.id))
            let sent = try JSONValue.parse(raw)
            let content = try #require(sent["choices"]?.arrayValue?.first?["logprobs"]?["content"]?.arrayValue)
            let stored = try #require(row.choice.logprobs)
            #expect(stored.count == content.count)
            for (s, c) in zip(stored, content) {
                #expect(s.token == c["token"]?.stringValue)
                #expect(s.logprob.bitPattern == c["logprob"]?.doubleValue?.bitPattern)
                #expect(s.top.count == c["top_logprobs"]?.arrayValue?.count)
            }
        }
        let out = dir.path("real.jsonl")
        let summary = try Exporter(store: store).export(.init(setName: "real"), format: OpenAIChatFormat(),
                                                        options: ExportOptions(withLogprobs: true), to: out)
        #expect(summary.rows == count)
        for line in try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n") {
            _ = try JSONValue.parse(String(line))
        }
    }
}
