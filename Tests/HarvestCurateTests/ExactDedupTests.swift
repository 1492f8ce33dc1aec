import HarvestCurate
import Testing

@Suite("Exact dedup")
struct ExactDedupTests {
    @Test func keepsLowestIdWhateverTheInputOrder() {
        var d = ExactDeduplicator()
        let outcome = d.deduplicate([
            TextItem(id: 9, text: "Hello   world"), TextItem(id: 3, text: "hello world"), TextItem(id: 5, text: "HELLO WORLD\n"),
            TextItem(id: 4, text: "something else"),
        ])
        #expect(outcome.kept.map(\.id) == [3, 4])
        #expect(outcome.duplicates.map(\.id) == [5, 9])
        #expect(outcome.duplicates.allSatisfy { $0.matchedId == 3 })
        #expect(outcome.duplicates[0].hash == d.hash("hello world"))
    }

    @Test func orderKeyOverridesId() {
        var d = ExactDeduplicator()
        let outcome = d.deduplicate([TextItem(id: 1, text: "same", order: 50), TextItem(id: 2, text: "same", order: 10)])
        #expect(outcome.kept.map(\.id) == [2])
        #expect(outcome.duplicates.map(\.matchedId) == [2])
    }

    @Test func incrementalAgainstKeptHashes() {
        var first = ExactDeduplicator()
        let batch1 = first.deduplicate([TextItem(id: 1, text: "alpha"), TextItem(id: 2, text: "beta")])
        var second = ExactDeduplicator(kept: batch1.kept)
        let batch2 = second.deduplicate([TextItem(id: 3, text: "Beta"), TextItem(id: 4, text: "gamma"), TextItem(id: 2, text: "beta")])
        #expect(batch2.duplicates.map(\.id) == [3])
        #expect(batch2.duplicates.first?.matchedId == 2)
        #expect(batch2.kept.map(\.id) == [4])  // id 2 owns its hash already: kept before, not a duplicate
    }

    @Test func punctuationOnlyMattersWhenKept() {
        var keep = ExactDeduplicator()
        #expect(keep.deduplicate([TextItem(id: 1, text: "Yes."), TextItem(id: 2, text: "yes")]).duplicates.isEmpty)
        var strip = ExactDeduplicator(normalizer: TextNormalizer(stripPunctuation: true))
        #expect(strip.deduplicate([TextItem(id: 1, text: "Yes."), TextItem(id: 2, text: "yes")]).duplicates.map(\.id) == [2])
    }
}
