import Foundation
import HarvestCurate
import Testing

/// MinHash-LSH throughput and memory on 100,000 ~150-word documents; runs only with `HARVEST_BENCH=1`
/// (use `-c release`). Writes the corpus to `HARVEST_BENCH_CORPUS` (default /tmp/harvest-minhash-corpus.txt) so
/// docs/bench/datasketch_minhash.py can run the reference on identical documents.
@Suite("Near-dup benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
struct NearDedupBenchmark {
    static let path = ProcessInfo.processInfo.environment["HARVEST_BENCH_CORPUS"] ?? "/tmp/harvest-minhash-corpus.txt"
    static let documents = Int(ProcessInfo.processInfo.environment["HARVEST_BENCH_DOCS"] ?? "") ?? 100_000

    /// Streams the corpus file through normalize → shingle → MinHash → LSH query/verify/insert.
    static func run(parallelism: Int) throws -> (docs: Int, duplicates: Int, seconds: Double, cpu: Double, index: LSHIndex) {
        let dedup = try NearDeduplicator(NearDedupConfig(parallelism: parallelism))
        var index = dedup.makeIndex()
        var reader = try LineChunks(path: path)
        var docs = 0
        var duplicates = 0
        let start = ContinuousClock.now
        let cpu0 = cpuSeconds()
        while true {
            let lines = try reader.next(8192)
            if lines.isEmpty { break }
            let items = lines.enumerated().map { TextItem(id: Int64(docs + $0.offset + 1), text: $0.element) }
            docs += lines.count
            duplicates += dedup.deduplicate(items, index: &index).duplicates.count
        }
        return (docs, duplicates, seconds(since: start), cpuSeconds() - cpu0, index)
    }

    @Test func minhashLSHThroughputAndMemory() throws {
        let corpus = SyntheticCorpus(count: Self.documents, copyFraction: 0.2, maxEdits: 2)
        try corpus.write(to: Self.path)
        ProcessMemory.resetPeak()
        let baseline = ProcessMemory.currentMiB
        let (docs, dups, secs, cpu, index) = try Self.run(parallelism: 2)
        let peak = ProcessMemory.peakMiB
        print(String(format: "bench near-dup (2 threads): %d docs, %d near duplicates, %@ banding, %.2f s wall, %.0f docs/s, "
            + "%.2f CPU s; peak RSS %.0f MiB (%.0f MiB before the run)", docs, dups, index.parameters.description, secs,
            Double(docs) / secs, cpu, peak, baseline))
        let single = try Self.run(parallelism: 1)
        print(String(format: "bench near-dup (1 thread): %.2f s wall, %.0f docs/s, %.2f CPU s (%.0f docs per CPU second)",
            single.seconds, Double(single.docs) / single.seconds, single.cpu, Double(single.docs) / single.cpu))
        print("corpus: \(Self.path) (python3 docs/bench/datasketch_minhash.py \(Self.path) --weights 0.2 0.8)")
        #expect(single.duplicates == dups)
    }

    /// 10,000 new documents against 1,000,000 kept signatures vs against nothing.
    @Test func incrementalAgainstAMillionKeptRows() throws {
        let dedup = try NearDeduplicator()
        let corpus = SyntheticCorpus(count: 10_000, copyFraction: 0.2, maxEdits: 2, seed: 7)
        let items = (0..<corpus.count).map { i in
            let d = corpus.document(i)
            return TextItem(id: 2_000_000 + d.id, text: d.text)
        }
        var empty = dedup.makeIndex()
        var start = ContinuousClock.now
        let alone = dedup.deduplicate(items, index: &empty)
        let aloneSeconds = seconds(since: start)

        // Stored signatures of 1,000,000 kept rows: random values, decoded from their byte form as a store would.
        var rng = TestRNG(seed: 99)
        let kept = 1_000_000
        start = ContinuousClock.now
        var big = dedup.makeIndex()
        big.reserveCapacity(kept + items.count)
        for id in 0..<kept {
            let bytes = (0..<(128 * 4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            big.insert(id: Int64(id), signature: try MinHashSignature(bytes: bytes))
        }
        let buildSeconds = seconds(since: start)
        start = ContinuousClock.now
        let against = dedup.deduplicate(items, index: &big)
        let againstSeconds = seconds(since: start)
        print(String(format: "bench incremental: 10,000 rows alone %.3f s; against %d kept %.3f s; "
            + "index build from stored signatures %.2f s (%.0f rows/s, includes generating random bytes); RSS %.0f MiB",
            aloneSeconds, kept, againstSeconds, buildSeconds, Double(kept) / buildSeconds, ProcessMemory.currentMiB))
        #expect(alone.duplicates == against.duplicates)
    }
}
