import HarvestCore
import Testing
@testable import SQLiteStore

/// Responses' logprobs are stored as `HLP2` against the teacher's vocabulary table and read back bit-identical,
/// also when two stores (processes) append to one vocabulary, and old `HLP1` blobs stay readable.
@Suite struct LogprobVocabularyTests {
    /// Tokens drawn from a small vocabulary, float32 values, the sampled token among its alternatives.
    static func answer(_ seed: Int, count: Int = 64) -> [TokenLogprob] {
        var rng = SplitMix64Test(state: UInt64(seed) &+ 1)
        return (0..<count).map { _ in
            let top = (0..<5).map { k -> TopLogprob in
                let id = Int(rng.next() % 300)
                return TopLogprob(token: "w\(id)", logprob: Double(Float(-Double(k) - Double(rng.next() % 1000) / 1000)),
                                  bytes: Array("w\(id)".utf8), tokenId: id)
            }
            let s = top[Int(rng.next() % 3)]
            return TokenLogprob(token: s.token, logprob: s.logprob, bytes: s.bytes, tokenId: s.tokenId, top: top)
        }
    }

    static func stored(_ store: SQLiteStore) throws -> [Int64: [TokenLogprob]] {
        let rows = try store.responses(query: ResponseQuery(afterId: 0, limit: 10_000, includeLogprobs: true))
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.jobId, $0.choice.logprobs ?? []) })
    }

    @Test func twoWritersShareOneVocabularyAndEverythingReadsBackBitIdentical() async throws {
        let dir = TempDir()
        let (a, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 40)
        let b = try SQLiteStore(path: dir.db)
        let jobs = try await a.claimJobs(sweepId: sweepId, owner: "a", limit: 100, leaseSeconds: 60)
        var sent: [Int64: [TokenLogprob]] = [:]
        for (n, job) in jobs.enumerated() {
            let lp = Self.answer(n)
            sent[job.id] = lp
            // Alternate the writers: each must first read the entries the other appended.
            try await (n % 2 == 0 ? a : b).commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, logprobs: lp))
        }
        for store in [a, b, try SQLiteStore(path: dir.db)] {
            let back = try Self.stored(store)
            #expect(back.count == jobs.count)
            for (id, lp) in sent { #expect(LogprobCodec.encode(back[id] ?? []) == LogprobCodec.encode(lp), "job \(id)") }
        }
        // Every distinct entry is stored once; blobs are HLP2 and small.
        let distinct = Set(sent.values.flatMap { $0.flatMap { t in [t.token] + t.top.map(\.token) } }).count
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM logprob_vocab") == Int64(distinct))
        #expect(try Fixtures.scalar(dir.db, "SELECT count(*) FROM responses WHERE substr(logprobs, 1, 4) = X'484C5002'") == Int64(jobs.count))
        let bytes = try Fixtures.scalar(dir.db, "SELECT sum(length(logprobs)) FROM responses") ?? 0
        #expect(Double(bytes) / Double(jobs.count * 64) <= 40)
    }

    @Test func oldHLP1BlobsStayReadable() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2)
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 2, leaseSeconds: 60)
        let old = Fixtures.logprobs(count: 10, top: 3)
        try await store.commitSuccess(Fixtures.attempt(jobs[0].id), response: Fixtures.response(jobs[0].id, logprobs: old))
        // Rewrite the row as an older harvest stored it.
        let db = try SQLiteDatabase(path: dir.db, mode: .readWrite)
        try db.with("UPDATE responses SET logprobs = ?1 WHERE job_id = ?2") { s in
            try s.bind(blob: LogprobCodec.encode(old), at: 1); try s.bind(jobs[0].id, at: 2); try s.run()
        }
        let fresh = Self.answer(7)
        try await store.commitSuccess(Fixtures.attempt(jobs[1].id), response: Fixtures.response(jobs[1].id, logprobs: fresh))
        let back = try Self.stored(store)
        #expect(LogprobCodec.encode(back[jobs[0].id] ?? []) == LogprobCodec.encode(old))
        #expect(LogprobCodec.encode(back[jobs[1].id] ?? []) == LogprobCodec.encode(fresh))
    }
}

/// A tiny deterministic generator for test data.
struct SplitMix64Test: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
