import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// `token_ids: true` asks the teacher for ids (vLLM's `return_tokens_as_token_ids`); the mock then sends every
/// token as `token_id:N`, and the store keeps the id of the sampled token and of every alternative, bit-exact.
@Suite struct TokenIdsTests {
    @Test(arguments: [EndpointKind.chat, .completions])
    func idsAreStoredForSampledTokensAndEveryAlternative(kind: EndpointKind) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let mock = MockTeacherServer(MockTeacherConfiguration())
        let port = try mock.start()
        defer { mock.stop() }
        let store = try SQLiteStore(path: dir.path("ids.sqlite"))
        _ = try store.importPrompts(setName: "s", prompts: EndToEndTests.prompts(20), sourceName: "gen")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "mock-teacher", kind: kind)
        var params = SamplingParams(maxTokens: 16, temperature: 0.7, topLogprobs: 3)
        params.tokenIds = true
        let sweep = try store.createSweep(name: "s", setName: "s", teacher: teacher, params: params, samples: 1)
        var spec = TeacherSpec(name: "test", baseURLs: [teacher.baseURL], model: "mock-teacher", endpoint: kind, limits: TeacherLimits(maxInFlight: 4))
        spec.failFast = FailFastPolicy(window: 0)
        let pipeline = try TeacherPipeline(spec: spec)
        defer { pipeline.shutdown() }
        let runner = pipeline.runner(store: store, session: SweepOptions(rescuePath: dir.path("rescue.jsonl")))
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        #expect(outcome.counters.done == 20)
        let rows = try store.responses(query: ResponseQuery(afterId: 0, limit: 100, includeLogprobs: true))
        #expect(rows.count == 20)
        var positions = 0
        for row in rows {
            #expect(row.params.tokenIds)
            let lp = try #require(row.choice.logprobs)
            for t in lp {
                positions += 1
                let id = try #require(t.tokenId, "sampled token without id")
                #expect(t.token == "token_id:\(id)")
                #expect(t.top.count == 3)
                #expect(t.top.allSatisfy { $0.tokenId != nil && $0.token == "token_id:\($0.tokenId!)" })
                #expect(t.top.contains { $0.tokenId == id && $0.logprob.bitPattern == t.logprob.bitPattern })
            }
        }
        #expect(positions >= 20, "every answer has logprobs")
    }

    @Test func theRequestAsksForIdsOnlyWhenSet() throws {
        var params = SamplingParams(maxTokens: 4, topLogprobs: 2)
        #expect(!params.canonicalJSON.contains("token_ids"))
        params.tokenIds = true
        #expect(try SamplingParams.fromCanonicalJSON(params.canonicalJSON).tokenIds)
        #expect(params.canonicalJSON.contains(#""token_ids":true"#))
    }
}
