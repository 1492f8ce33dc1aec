import HarvestCore
import HarvestCurate
import HarvestJSON
import Testing

@Suite("Curation pipeline")
struct PipelineTests {
    static let story = "Once upon a time a small robot learned to paint the sunsets over the quiet harbor every evening"

    static func config() throws -> CurationConfig {
        var d = try Decontaminator()
        d.add(EvalSet(name: "evalset", texts: ["A train leaves the station at noon travelling at sixty miles per hour towards the coast"]))
        return CurationConfig(filters: [FinishReasonFilter(), try LengthFilter(minCharacters: 2)], decontaminator: d)
    }

    static let batch1: [StoredResponse] = [
        response(id: 1, promptId: 1, prompt: "Tell me a story", content: story),
        response(id: 2, promptId: 1, prompt: "Tell me a story", content: story + " again"),  // near duplicate response
        response(id: 3, promptId: 2, prompt: "tell me  a STORY", content: "Another tale entirely about dragons and knights"),  // exact dup prompt
        response(id: 4, promptId: 3, prompt: "Q: a train leaves the station at noon travelling at sixty miles per hour. When?",
                 content: "At 3 pm it arrives"),  // contaminated
        response(id: 5, promptId: 4, prompt: "Say hi", content: "Hi", finish: "length"),  // filtered
        response(id: 6, promptId: 4, prompt: "Say hi", content: "Hello there friend, nice to meet you"),  // same prompt, other sample: kept
        response(id: 7, promptId: 5, prompt: "Name a colour", content: "x"),  // too short
    ]

    @Test func marksEveryStageWithReasons() throws {
        let pipeline = try CurationPipeline(try Self.config())
        var state = try pipeline.makeState()
        let result = pipeline.run(Self.batch1.reversed(), state: &state)
        let byId = Dictionary(grouping: result.marks, by: \.responseId)
        #expect(result.keptResponseIds == [1, 6])
        #expect(byId[2]?.map(\.stage) == ["dedup.near"])
        #expect(try JSONValue.parse(byId[2]![0].detail)["matched_response_id"] == .number(1))
        #expect(byId[3]?.map(\.stage) == ["dedup.exact"])
        #expect(byId[3]?.first?.reason == "prompt 2 is an exact duplicate of prompt 1")
        #expect(byId[4]?.map(\.stage) == ["decontam"])
        #expect(try JSONValue.parse(byId[4]![0].detail)["ngram"] == .string("a train leaves the station at noon travelling"))
        #expect(byId[5]?.map(\.stage) == ["filter.finish_reason"])
        #expect(byId[7]?.map(\.stage) == ["filter.length"])
        #expect(result.marks.map(\.responseId) == result.marks.map(\.responseId).sorted())
        #expect(Set(result.newState.promptHashes.map(\.id)) == [1, 4])
        #expect(Set(result.newState.responseHashes.map(\.id)) == [1, 2, 6])
        #expect(Set(result.newState.responseSignatures.map(\.id)) == [1, 6])
    }

    @Test func deterministic() throws {
        let pipeline = try CurationPipeline(try Self.config())
        var s1 = try pipeline.makeState()
        var s2 = try pipeline.makeState()
        let a = pipeline.run(Self.batch1, state: &s1)
        let b = pipeline.run(Self.batch1.shuffled(), state: &s2)
        #expect(a.marks == b.marks)
        #expect(a.newState == b.newState)
    }

    /// A later batch is checked against everything kept before, restored from the stored form.
    @Test func laterBatchesAgainstStoredState() throws {
        let pipeline = try CurationPipeline(try Self.config())
        var state = try pipeline.makeState()
        let first = pipeline.run(Self.batch1, state: &state)
        var restored = try pipeline.makeState(first.newState)
        let batch2 = [
            response(id: 10, promptId: 1, prompt: "Tell me a story", content: "A brand new story about a lighthouse keeper and a seal"),
            response(id: 11, promptId: 9, prompt: "Tell me a story!", content: "Something else"),
            response(id: 12, promptId: 10, prompt: "Say hello", content: Self.story + "!"),
        ]
        let second = pipeline.run(batch2, state: &restored)
        #expect(second.keptResponseIds == [10])  // same prompt as a kept one: a new sample, not a duplicate
        let marks = Dictionary(grouping: second.marks, by: \.responseId)
        // Exact dedup keeps punctuation ("story!" ≠ "story"); near dedup strips it, so this prompt is a near duplicate.
        #expect(marks[11]?.map(\.stage) == ["dedup.near"])
        #expect(marks[12]?.first?.reason.hasPrefix("response is a near duplicate of response 1") == true)
        var live = state
        #expect(pipeline.run(batch2, state: &live).marks == second.marks)
    }

    @Test func stagesCanBeTurnedOff() throws {
        let pipeline = try CurationPipeline(CurationConfig(exactDedup: nil, nearDedup: nil))
        var state = try pipeline.makeState()
        let result = pipeline.run(Self.batch1, state: &state)
        #expect(result.marks.isEmpty)
        #expect(result.newState.isEmpty)
        #expect(pipeline.config.stageParams.isEmpty)
    }

    @Test func promptOnlyNearDedupMarksAllRowsOfTheDuplicatePrompt() throws {
        let long = "Write a detailed essay about the history of the printing press in Europe and its effect on literacy"
        let config = CurationConfig(exactDedup: nil, nearDedup: NearDedupConfig(target: .prompt))
        let pipeline = try CurationPipeline(config)
        var state = try pipeline.makeState()
        let result = pipeline.run([
            response(id: 1, promptId: 1, prompt: long, content: "a"), response(id: 2, promptId: 1, prompt: long, content: "a"),
            response(id: 3, promptId: 2, prompt: long + ".", content: "b"), response(id: 4, promptId: 2, prompt: long + ".", content: "c"),
        ], state: &state)
        #expect(result.keptResponseIds == [1, 2])
        #expect(result.marks.map(\.responseId) == [3, 4])
        #expect(result.marks.allSatisfy { $0.reason.hasPrefix("prompt 2 is a near duplicate of prompt 1 (estimated Jaccard 1 ≥ 0.8)") })
        #expect(result.newState.promptSignatures.map(\.id) == [1])
    }
}
