import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import MockTeacher
import SQLiteStore
import Testing

/// Scoring mode end to end through the built-in mock over loopback HTTP, on the one production path
/// (``TeacherPipeline`` → ``SweepRunner`` → ``SQLiteStore``): answers sampled by a sweep become a scoring set
/// (``ScoringSetBuilder``), and a sweep with ``SamplingParams/score`` stores the teacher's top-k at every position
/// of prompt + answer, in both shapes (legacy `echo`, vLLM `prompt_logprobs`).
@Suite struct ScoringTests {
    struct Harness {
        let dir: TempDir
        let mock: MockTeacherServer
        let store: SQLiteStore
        let base: String

        init() throws {
            dir = try TempDir()
            mock = MockTeacherServer(MockTeacherConfiguration())
            base = "http://127.0.0.1:\(try mock.start())/v1"
            store = try SQLiteStore(path: dir.path("score.sqlite"))
        }

        func close() {
            store.close()
            mock.stop()
            dir.cleanup()
        }

        /// Runs a sweep of `set` through a pipeline of `spec`; returns the sweep id and the counters.
        func sweep(_ set: String, kind: EndpointKind, params: SamplingParams) async throws -> (Int64, SweepCounters) {
            var spec = TeacherSpec(name: "mock@\(kind.rawValue)", baseURLs: [base], model: "mock-teacher", endpoint: kind)
            spec.sampling = params
            try spec.sampling.prepareScoring(endpoint: kind)
            let pipeline = try TeacherPipeline(spec: spec)
            defer { pipeline.shutdown() }
            let created = try store.createSweep(name: "\(set):\(kind.rawValue):\(params.canonicalJSON)", setName: set,
                                                teacher: spec.endpointForJobs, params: spec.sampling, samples: 1)
            let outcome = try await pipeline.runner(store: store, session: SweepOptions(rescuePath: dir.path("rescue.jsonl")))
                .run(sweepId: created.sweepId)
            return (created.sweepId, outcome.counters)
        }

        func scored(_ sweepId: Int64) throws -> [StoredResponse] {
            try store.responses(query: ResponseQuery(sweepId: sweepId, limit: 1000, includeLogprobs: true))
        }
    }

    static func scoring(_ form: ScoreForm, k: Int = 5) -> SamplingParams {
        var p = SamplingParams(temperature: 0, topLogprobs: k)
        p.score = form
        return p
    }

    @Test func storedAnswersAreScoredInBothShapesAndAgree() async throws {
        let h = try Harness()
        defer { h.close() }
        _ = try h.store.importPrompts(setName: "qa", prompts: EndToEndTests.prompts(12), sourceName: "gen")
        _ = try await h.sweep("qa", kind: .completions, params: SamplingParams(maxTokens: 24, temperature: 0.8, topLogprobs: 3))
        let built = try await ScoringSetBuilder(store: h.store).build(from: "qa", into: "qa.scored")
        #expect(built.summary.added == 12 && built.answers == 12)

        let (echoSweep, echo) = try await h.sweep("qa.scored", kind: .completions, params: Self.scoring(.echo))
        let (plSweep, pl) = try await h.sweep("qa.scored", kind: .completions, params: Self.scoring(.promptLogprobs))
        #expect(echo.done == 12 && pl.done == 12 && echo.missingLogprobs == 0 && pl.missingLogprobs == 0)
        let echoRows = try h.scored(echoSweep), plRows = try h.scored(plSweep)
        #expect(echoRows.count == 12 && plRows.count == 12)
        for (e, p) in zip(echoRows.sorted { $0.promptId < $1.promptId }, plRows.sorted { $0.promptId < $1.promptId }) {
            let a = try #require(e.choice.logprobs), b = try #require(p.choice.logprobs)
            #expect(e.choice.content.isEmpty && e.params.score == .echo && p.params.score == .promptLogprobs)
            let answer = try #require(e.messages.last)
            #expect(answer.role == "assistant" && !answer.content.isEmpty)
            #expect(a.count == b.count && a.count > 3, "one position per token of prompt + answer, the generated token left out")
            #expect(a.map(\.token).joined() == (e.messages.dropLast().first?.content ?? "") + answer.content)
            #expect(a[0].logprob.isNaN && b[0].logprob.isNaN, "nothing precedes the first token")
            for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
                #expect(x.token == y.token && x.logprob.bitPattern == y.logprob.bitPattern, "same sequence, same score in both shapes")
                #expect(x.top.contains { $0.token == x.token && $0.logprob.bitPattern == x.logprob.bitPattern })
                #expect(y.top.first?.tokenId == y.tokenId && y.tokenId != nil, "prompt_logprobs: the scored token first, with its id")
                #expect(y.top.count >= 5 && y.top.count <= 6)
            }
        }
    }

    @Test func chatPromptLogprobsScoreTheRenderedConversation() async throws {
        let h = try Harness()
        defer { h.close() }
        let sft = (0..<5).map { i in
            PromptInput(externalId: "s\(i)", messages: [ChatMessage(role: "user", content: "What is \(i) + \(i)?"),
                                                       ChatMessage(role: "assistant", content: " The answer is \(2 * i).")],
                        source: InputLocation(file: "sft", line: i + 1))
        }
        _ = try h.store.importPrompts(setName: "sft", prompts: sft, sourceName: "sft")
        let (sweepId, counters) = try await h.sweep("sft", kind: .chat, params: Self.scoring(.promptLogprobs, k: 2))
        #expect(counters.done == 5)
        for row in try h.scored(sweepId) {
            let lp = try #require(row.choice.logprobs)
            let text = lp.map(\.token).joined()
            #expect(text.hasSuffix("<|im_end|>\n") && !text.hasSuffix("<|im_start|>assistant\n"), "add_generation_prompt: false")
            #expect(text.contains(row.messages[1].content))
        }
    }

    @Test func aRerunPaysNothingTwiceAndNewAnswersAreAddedOnly() async throws {
        let h = try Harness()
        defer { h.close() }
        _ = try h.store.importPrompts(setName: "qa", prompts: EndToEndTests.prompts(6), sourceName: "gen")
        _ = try await h.sweep("qa", kind: .completions, params: SamplingParams(maxTokens: 12, temperature: 0.8, topLogprobs: 2))
        _ = try await ScoringSetBuilder(store: h.store).build(from: "qa", into: "qa.scored")
        _ = try await h.sweep("qa.scored", kind: .completions, params: Self.scoring(.echo))
        let sent = h.mock.stats().completionsServed
        let again = try await ScoringSetBuilder(store: h.store).build(from: "qa", into: "qa.scored")
        #expect(again.summary.added == 0 && again.summary.unchanged == 6)
        let (_, rerun) = try await h.sweep("qa.scored", kind: .completions, params: Self.scoring(.echo))
        #expect(rerun.done == 0 && h.mock.stats().completionsServed == sent, "nothing sent again")
        // Another k is another job: the key holds mode, k and the exact sequence.
        let (_, other) = try await h.sweep("qa.scored", kind: .completions, params: Self.scoring(.echo, k: 3))
        #expect(other.done == 6)
        // A second sample of the source set adds only its answers.
        _ = try await h.sweep("qa", kind: .completions, params: SamplingParams(maxTokens: 12, temperature: 0.9, topLogprobs: 2))
        let grown = try await ScoringSetBuilder(store: h.store).build(from: "qa", into: "qa.scored")
        #expect(grown.summary.added == 6 && grown.summary.unchanged == 6)
    }
}
