import HarvestCurate
import Testing

@Suite("MinHash and LSH")
struct MinHashTests {
    @Test func bandingMatchesDatasketchOptimalParam() throws {
        // datasketch.lsh._optimal_param(threshold, num_perm, fp_weight, fn_weight), datasketch 2.0.0.
        let expected: [(Double, Int, Double, Double, Int, Int)] = [
            (0.8, 128, 0.5, 0.5, 9, 13), (0.8, 128, 0.2, 0.8, 12, 10), (0.8, 128, 0.1, 0.9, 14, 9),
            (0.5, 128, 0.5, 0.5, 25, 5), (0.7, 128, 0.5, 0.5, 14, 9), (0.9, 128, 0.5, 0.5, 5, 25),
            (0.8, 64, 0.5, 0.5, 5, 11), (0.8, 256, 0.5, 0.5, 17, 15), (0.9, 256, 0.2, 0.8, 12, 21),
        ]
        for (t, n, fp, fn, b, r) in expected {
            let p = try LSHParameters.optimal(threshold: t, numPermutations: n, falsePositiveWeight: fp, falseNegativeWeight: fn)
            #expect(p == LSHParameters(bands: b, rows: r), "threshold \(t), \(n) permutations, weights \(fp)/\(fn)")
        }
        #expect(throws: CurationError.self) { try LSHParameters.optimal(threshold: 1.2, numPermutations: 128, falsePositiveWeight: 0.5, falseNegativeWeight: 0.5) }
    }

    @Test func estimatesJaccard() throws {
        let hasher = try MinHasher(numPermutations: 256)
        let a = (0..<1000).map { UInt64($0) &* 0x9e37_79b9_7f4a_7c15 }
        let b = Array(a[200...]) + (5000..<5200).map { UInt64($0) &* 0x9e37_79b9_7f4a_7c15 }  // 800 shared of 1200
        let sa = try #require(hasher.signature(shingles: a))
        let sb = try #require(hasher.signature(shingles: b))
        #expect(abs(sa.jaccard(sb) - 800.0 / 1200.0) < 0.08)
        #expect(sa.jaccard(sa) == 1)
        #expect(hasher.signature(shingles: []) == nil)
        #expect(try MinHasher(numPermutations: 256).signature(shingles: a) == sa)  // deterministic
        #expect(try MinHasher(numPermutations: 256, seed: 2).signature(shingles: a) != sa)
    }

    @Test func signatureBytesRoundTrip() throws {
        let sig = try #require(try NearDeduplicator().signature(of: "one two three four five six seven"))
        #expect(sig.values.count == 128)
        #expect(sig.bytes.count == 512)
        #expect(try MinHashSignature(bytes: sig.bytes) == sig)
        #expect(throws: CurationError.self) { try MinHashSignature(bytes: [1, 2, 3]) }
    }

    @Test func lshFindsAndVerifiesCandidates() throws {
        let dedup = try NearDeduplicator()
        let base = (0..<120).map { "w\($0)" }
        var edited = base
        edited[60] = "changed"
        let unrelated = (0..<120).map { "u\($0)" }
        let s1 = try #require(dedup.signature(of: base.joined(separator: " ")))
        let s2 = try #require(dedup.signature(of: edited.joined(separator: " ")))
        let s3 = try #require(dedup.signature(of: unrelated.joined(separator: " ")))
        var index = dedup.makeIndex()
        index.insert(id: 10, signature: s1)
        index.insert(id: 11, signature: s3)
        #expect(index.query(s2) == [10])
        let match = try #require(index.bestMatch(for: s2, threshold: 0.8))
        #expect(match.id == 10)
        #expect(match.jaccard > 0.85)
        #expect(index.bestMatch(for: s2, threshold: 0.99) == nil)
        #expect(index.lookup(s1, threshold: 0.8, selfId: 10).containsSelf)
        #expect(index.lookup(s1, threshold: 0.8, selfId: 10).best == nil)
    }

    @Test func indexFromStoredSignaturesRejectsWrongLength() throws {
        let dedup = try NearDeduplicator()
        let bad = KeptSignature(id: 1, signature: MinHashSignature(values: [1, 2, 3]))
        let error = try #require(throws: CurationError.self) { try dedup.makeIndex(stored: [bad]) }
        #expect(error.description.contains("signature of row 1"))
        #expect(error.description.contains("expected 128"))
    }

    @Test func shortTextsGetOneShingleAndEmptyTextsNone() throws {
        let dedup = try NearDeduplicator()
        #expect(dedup.signature(of: "two words") != nil)
        #expect(dedup.signature(of: "  ...  ") == nil)
        var index = dedup.makeIndex()
        let outcome = dedup.deduplicate([TextItem(id: 1, text: "!!"), TextItem(id: 2, text: "Hi there"), TextItem(id: 3, text: "hi, there")], index: &index)
        #expect(outcome.skipped == [1])
        #expect(outcome.duplicates.map(\.id) == [3])
    }
}
