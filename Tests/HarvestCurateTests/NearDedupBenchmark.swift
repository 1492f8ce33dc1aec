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

    /// 10,000 new documents against 1,000,000 kept signatures vs against nothing (3 different batches each,
    /// the best time reported).
    @Test func incrementalAgainstAMillionKeptRows() throws {
        let dedup = try NearDeduplicator()
        let batches = (0..<3).map { b in
            let corpus = SyntheticCorpus(count: 10_000, copyFraction: 0.2, maxEdits: 2, seed: 7 + UInt64(b))
            return (0..<corpus.count).map { i in
                let d = corpus.document(i)
                return TextItem(id: 2_000_000 + Int64(b) * 100_000 + d.id, text: d.text)
            }
        }
        var empty = dedup.makeIndex()
        _ = dedup.deduplicate(batches[0], index: &empty)  // warm-up
        var alone = [Double]()
        var aloneDuplicates = [[NearDuplicate]]()
        for batch in batches {
            var index = dedup.makeIndex()
            let start = ContinuousClock.now
            aloneDuplicates.append(dedup.deduplicate(batch, index: &index).duplicates)
            alone.append(seconds(since: start))
        }

        // Stored signatures of 1,000,000 kept rows: random values in their byte form, decoded and inserted as a store
        // would (only decode + insert are timed; the bytes are made 10,000 rows at a time beforehand).
        var rng = TestRNG(seed: 99)
        let kept = 1_000_000
        var buildSeconds = 0.0
        var big = dedup.makeIndex()
        big.reserveCapacity(kept + 30_000)
        for chunk in 0..<(kept / 10_000) {
            let blobs = (0..<10_000).map { _ in
                (0..<128).flatMap { _ in withUnsafeBytes(of: UInt32(truncatingIfNeeded: rng.next()).littleEndian, Array.init) }
            }
            let start = ContinuousClock.now
            for (i, blob) in blobs.enumerated() {
                big.insert(id: Int64(chunk * 10_000 + i), signature: try MinHashSignature(bytes: blob))
            }
            buildSeconds += seconds(since: start)
        }
        var against = [Double]()
        for (b, batch) in batches.enumerated() {
            let start = ContinuousClock.now
            let outcome = dedup.deduplicate(batch, index: &big)
            against.append(seconds(since: start))
            #expect(outcome.duplicates == aloneDuplicates[b])
        }
        print(String(format: "bench incremental: 10,000 rows alone %.3f s; against %d kept rows %.3f s (best of 3); "
            + "index build from stored signatures %.2f s (%.0f rows/s, decode + insert); RSS %.0f MiB (%.0f MiB in huge pages)",
            alone.min()!, kept, against.min()!, buildSeconds, Double(kept) / buildSeconds, ProcessMemory.currentMiB,
            ProcessMemory.hugePagesMiB))
    }
}
