import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// A teacher with `server: sglang` against the mock in SGLang's shape (``MockServerShape/sglang``), on the production
/// path (``TeacherPipeline`` → ``SweepRunner`` → store): token ids asked with `return_token_ids`, kept for the sampled
/// tokens (alternatives have text only, so `kd` refuses the rows with a count), echo scoring with its -1 offsets and
/// `prompt_token_ids`, and `prompt_logprobs` refused before anything is sent.
@Suite struct SGLangTeacherTests {
    struct Harness {
        let dir: TempDir
        let mock: MockTeacherServer
        let store: SQLiteStore
        let base: String

        init(shape: MockServerShape = .sglang) throws {
            dir = try TempDir()
            var config = MockTeacherConfiguration()
            config.shape = shape
            mock = MockTeacherServer(config)
            base = "http://127.0.0.1:\(try mock.start())/v1"
            store = try SQLiteStore(path: dir.path("sglang.sqlite"))
        }

        func close() {
            store.close()
            mock.stop()
            dir.cleanup()
        }

        func sweep(_ set: String, kind: EndpointKind, params: SamplingParams, server: TeacherServer = .sglang) async throws -> (Int64, SweepCounters) {
            var spec = TeacherSpec(name: "sglang@\(kind.rawValue)", baseURLs: [base], model: "mock-teacher", endpoint: kind)
            spec.server = server
            spec.sampling = params
            spec.failFast = FailFastPolicy(window: 0)
            try spec.sampling.prepareScoring(endpoint: kind)
            let pipeline = try TeacherPipeline(spec: spec)
            defer { pipeline.shutdown() }
            let created = try store.createSweep(name: "\(set):\(kind.rawValue):\(params.canonicalJSON)", setName: set,
                                                teacher: spec.endpointForJobs, params: spec.sampling, samples: 1)
            let outcome = try await pipeline.runner(store: store, session: SweepOptions(rescuePath: dir.path("rescue.jsonl")))
                .run(sweepId: created.sweepId)
            return (created.sweepId, outcome.counters)
        }

        func rows(_ sweepId: Int64) throws -> [StoredResponse] {
            try store.responses(query: ResponseQuery(sweepId: sweepId, limit: 1000, includeLogprobs: true))
        }
    }

    @Test(arguments: [EndpointKind.chat, .completions])
    func sampledIdsAreStoredAndKDRefusesTheRowsWithACount(kind: EndpointKind) async throws {
        let h = try Harness()
        defer { h.close() }
        _ = try h.store.importPrompts(setName: "s", prompts: EndToEndTests.prompts(10), sourceName: "gen")
        var params = SamplingParams(maxTokens: 12, temperature: 0.7, topLogprobs: 3)
        params.tokenIds = true
        let (sweepId, counters) = try await h.sweep("s", kind: kind, params: params)
        #expect(counters.done == 10 && counters.missingLogprobs == 0)
        let rows = try h.rows(sweepId)
        #expect(rows.count == 10)
        for row in rows {
            let lp = try #require(row.choice.logprobs)
            #expect(!lp.isEmpty)
            #expect(lp.allSatisfy { $0.tokenId != nil && !$0.token.hasPrefix("token_id:") }, "sampled ids from token_ids, text kept")
            #expect(lp.allSatisfy { $0.top.count == 3 && $0.top.allSatisfy { $0.tokenId == nil } }, "alternatives: text only")
        }
        let kd = KDFormat(closingTokenIds: [])
        #expect(rows.allSatisfy { kd.skipReason($0, options: ExportOptions()) == KDFormat.noTokenIds })
    }

    @Test func echoScoringStoresTheSequenceWithIdsAndTheSameValuesAsVLLM() async throws {
        let h = try Harness()
        defer { h.close() }
        let vllm = try Harness(shape: .vllm)
        defer { vllm.close() }
        let sft = (0..<6).map { i in
            PromptInput(externalId: "p\(i)", messages: [ChatMessage(role: "user", content: "Question \(i)?"),
                                                        ChatMessage(role: "assistant", content: "The answer is \(i * 7).")],
                        source: InputLocation(file: "sft.jsonl", line: i + 1))
        }
        for store in [h.store, vllm.store] { _ = try store.importPrompts(setName: "sft", prompts: sft, sourceName: "sft") }
        var params = SamplingParams(temperature: 0, topLogprobs: 4)
        params.score = .echo
        params.tokenIds = true
        let (sweepId, counters) = try await h.sweep("sft", kind: .completions, params: params)
        #expect(counters.done == 6 && counters.missingLogprobs == 0)
        params.tokenIds = false
        let (vllmSweep, _) = try await vllm.sweep("sft", kind: .completions, params: params, server: .vllm)
        let sglang = try h.rows(sweepId).sorted { ($0.externalId ?? "") < ($1.externalId ?? "") }
        let reference = try vllm.rows(vllmSweep).sorted { ($0.externalId ?? "") < ($1.externalId ?? "") }
        #expect(sglang.count == 6 && reference.count == 6)
        for (s, r) in zip(sglang, reference) {
            let sp = try #require(s.choice.logprobs), rp = try #require(r.choice.logprobs)
            #expect(sp.map(\.token).joined() == s.messages.map(\.content).joined(),
                    "the sequence's tokens only: the generated one is dropped although every text_offset is -1")
            #expect(sp.count == rp.count)
            #expect(sp.allSatisfy { $0.tokenId != nil }, "ids from prompt_token_ids")
            #expect(zip(sp, rp).allSatisfy { $0.logprob.bitPattern == $1.logprob.bitPattern }, "same sequence, same values")
            #expect(zip(sp, rp).allSatisfy { a, b in a.top.map(\.token) == Array(b.top.map(\.token).prefix(a.top.count)) },
                    "SGLang's alternatives are the top-k alone (vLLM-shape mock adds the scored token when outside)")
        }
    }

    @Test func promptLogprobsIsRefusedBeforeAnythingIsSent() throws {
        func parse(_ server: String, _ sampling: String) throws(ConfigFileError) -> TeacherSpec {
            let text = #"{"name": "sg", "base_url": "http://127.0.0.1:9/v1", "model": "m", "endpoint": "completions", "server": ""#
                + server + #"", "sampling": "# + sampling + "}"
            let value = try! JSONValue.parse(text)
            return try TeacherSpec.parse(ConfigReader(file: "harvest.json", path: "teachers[0]", value: value, keys: TeacherSpec.configKeys))
        }
        #expect(try parse("sglang", #"{"logprobs": 5, "score": "echo", "token_ids": true}"#).server == .sglang)
        for (server, sampling, field) in [("sglang", #"{"logprobs": 5, "score": "prompt_logprobs"}"#, "score"),
                                          ("openai", #"{"logprobs": 5, "token_ids": true}"#, "token_ids")] {
            do {
                _ = try parse(server, sampling)
                Issue.record("\(server) accepted \(sampling)")
            } catch {
                #expect(error.description.contains("harvest.json") && error.description.contains("teachers[0].sampling.\(field)"),
                        "\(error.description)")
            }
        }
        do {
            _ = try parse("tgi", "{}")
            Issue.record("an unknown server was accepted")
        } catch {
            #expect(error.description.contains("teachers[0].server") && error.description.contains("\"sglang\""), "\(error.description)")
        }
    }
}
