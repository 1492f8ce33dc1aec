import HarvestCurate
import Testing

@Suite("Near-dup incremental")
struct NearDedupIncrementalTests {
    /// Two batches, the second checked against an index rebuilt from the first batch's stored signature bytes,
    /// give exactly the marks of one pass over everything.
    @Test func batchesAgainstStoredSignaturesEqualOnePass() throws {
        let corpus = SyntheticCorpus(count: 600, copyFraction: 0.2, maxEdits: 2, seed: 3)
        let items = (0..<corpus.count).map { i in TextItem(id: corpus.document(i).id, text: corpus.document(i).text) }
        let dedup = try NearDeduplicator()

        var whole = dedup.makeIndex()
        let onePass = dedup.deduplicate(items, index: &whole)

        var first = dedup.makeIndex()
        let batch1 = dedup.deduplicate(Array(items[..<300]), index: &first)
        let stored = try batch1.kept.map { KeptSignature(id: $0.id, signature: try MinHashSignature(bytes: $0.signature.bytes)) }
        var rebuilt = try dedup.makeIndex(stored: stored)
        let batch2 = dedup.deduplicate(Array(items[300...]), index: &rebuilt)

        #expect(batch1.duplicates + batch2.duplicates == onePass.duplicates)
        #expect(batch1.kept + batch2.kept == onePass.kept)
        #expect(rebuilt.count == whole.count)
        #expect(!onePass.duplicates.isEmpty)
    }

    @Test func rerunningKeptRowsMarksNothing() throws {
        let dedup = try NearDeduplicator()
        let items = [TextItem(id: 1, text: "the cat sat on the mat and looked at the dog"),
                     TextItem(id: 2, text: "the cat sat on the mat and looked at the dog!")]
        var index = dedup.makeIndex()
        let first = dedup.deduplicate(items, index: &index)
        #expect(first.duplicates.map(\.id) == [2])
        let again = dedup.deduplicate(items, index: &index)
        #expect(again.duplicates.map(\.id) == [2])
        #expect(again.kept.isEmpty)  // id 1 is already indexed
        #expect(index.count == 1)
    }

    @Test func signaturesDoNotDependOnThreadCount() throws {
        let texts = (0..<300).map { i in (0..<40).map { "w\(($0 * 7 + i) % 97)" }.joined(separator: " ") }
        let one = try NearDeduplicator(NearDedupConfig(parallelism: 1)).signatures(of: texts)
        let four = try NearDeduplicator(NearDedupConfig(parallelism: 4)).signatures(of: texts)
        #expect(one == four)
    }
}
