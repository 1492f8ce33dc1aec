import Foundation
import HarvestCore
import HarvestKit
import SQLiteStore
import Testing

/// Prints the storage of scored positions (docs/BENCHMARKS.md, *Scoring*): one answer of about 2,000 tokens from the
/// mock, scored with top-5 in both shapes; bytes per position of the blobs and of the vocabulary entries they added.
@Suite struct ScoringStorageBenchmark {
    @Test func scoredTwoThousandTokenSequence() async throws {
        let h = try ScoringTests.Harness()
        defer { h.close() }
        let prompt = PromptInput(externalId: "long", messages: [ChatMessage(role: "user", content: "Write a long essay.")],
                                 source: InputLocation(file: "gen", line: 1))
        _ = try h.store.importPrompts(setName: "long", prompts: [prompt], sourceName: "gen")
        _ = try await h.sweep("long", kind: .completions, params: SamplingParams(maxTokens: 2000, temperature: 0.8))
        _ = try await ScoringSetBuilder(store: h.store).build(from: "long", into: "long.scored")
        for form in ScoreForm.allCases {
            let before = try h.store.logprobStorageStats()
            let (sweepId, counters) = try await h.sweep("long.scored", kind: .completions, params: ScoringTests.scoring(form))
            #expect(counters.done == 1)
            let after = try h.store.logprobStorageStats()
            let positions = after.positions - before.positions
            let blob = after.blobBytes - before.blobBytes
            let vocabulary = after.vocabularyBytes - before.vocabularyBytes
            #expect(positions > 1900)
            #expect(Double(blob) / Double(positions) <= 40, "≤ 40 bytes per top-5 position")
            let row = try #require(try h.scored(sweepId).first?.choice.logprobs)
            #expect(row.count == positions)
            print(String(format: "scoring %@ top-5: %d positions, blob %d B (%.1f B/position), vocabulary +%d B (%.1f B/position with it)",
                         form.rawValue, positions, blob, Double(blob) / Double(positions), vocabulary,
                         Double(blob + vocabulary) / Double(positions)))
        }
    }
}
