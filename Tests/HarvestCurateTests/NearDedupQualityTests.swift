import HarvestCurate
import Testing

@Suite("Near-duplicate quality")
struct NearDedupQualityTests {
    /// 2,000 ~150-word documents; every fifth is a copy of an earlier one with 1–2 word substitutions or
    /// deletions (true 5-shingle Jaccard 0.85–0.97 against its source). The rest are unrelated.
    @Test func recallAndPrecisionAtThreshold08() throws {
        let corpus = SyntheticCorpus(count: 2000, copyFraction: 0.2, maxEdits: 2)
        let docs = (0..<corpus.count).map(corpus.document)
        let dedup = try NearDeduplicator()
        #expect(dedup.banding == LSHParameters(bands: 12, rows: 10))
        var index = dedup.makeIndex()
        let outcome = dedup.deduplicate(docs.map { TextItem(id: $0.id, text: $0.text) }, index: &index)

        let byId = Dictionary(uniqueKeysWithValues: docs.map { ($0.id, $0) })
        let correct = outcome.duplicates.filter { byId[$0.id]!.cluster == byId[$0.matchedId]!.cluster }.count
        let copies = docs.filter(\.isCopy).count
        let recall = Double(correct) / Double(copies)
        let precision = outcome.duplicates.isEmpty ? 1 : Double(correct) / Double(outcome.duplicates.count)
        print("near-dup quality: \(copies) copies, \(outcome.duplicates.count) marked, recall \(recall), precision \(precision)")
        #expect(recall >= 0.95)
        #expect(precision >= 0.95)
        #expect(index.count == docs.count - outcome.duplicates.count)
    }
}
