#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
import Testing
@testable import SQLiteStore

/// Ad-hoc throughput figures; run with `HARVEST_BENCH=1 swift test --filter SQLiteStoreTests.BenchTests`.
@Suite(.enabled(if: getenv("HARVEST_BENCH") != nil), .serialized)
struct BenchTests {
    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = unixNow()
        try await body()
        return unixNow() - start
    }

    /// CPU seconds (user + system) used by this process so far.
    static func cpuSeconds() -> Double {
        var u = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    static func report(_ what: String, count: Int, seconds: Double) {
        let rate = Double(count) / seconds
        print("BENCH \(what): \(count) in \(String(Int(seconds * 1000))) ms = \(String(Int(rate)))/s")
    }

    @Test(arguments: [StoreOptions.Synchronous.full, .normal])
    func commitThroughput64Callers(sync: StoreOptions.Synchronous) async throws {
        let dir = TempDir()
        let n = 20_000, callers = 64
        let store = try SQLiteStore(path: dir.db, options: StoreOptions(synchronous: sync))
        let prompts = (0..<n).map { Fixtures.prompt($0) }
        var t = try await Self.seconds { _ = try store.importPrompts(setName: "s", prompts: prompts, sourceName: "bench") }
        Self.report("import prompts", count: n, seconds: t)
        var sweepId: Int64 = 0
        t = try await Self.seconds {
            sweepId = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1).sweepId
        }
        Self.report("createSweep jobs", count: n, seconds: t)
        var jobs: [Job] = []
        t = try await Self.seconds {
            while true {
                let page = try await store.claimJobs(sweepId: sweepId, owner: "bench", limit: 256, leaseSeconds: 600)
                if page.isEmpty { break }
                jobs += page
            }
        }
        Self.report("claimJobs (pages of 256)", count: jobs.count, seconds: t)
        #expect(jobs.count == n)

        let lp = Fixtures.logprobs(count: 128, top: 5)
        let responses = jobs.map { Fixtures.response($0.id, content: String(repeating: "token ", count: 128), logprobs: lp) }
        let stats0 = store.writerStats
        let cpu0 = Self.cpuSeconds()
        t = try await Self.seconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<callers {
                    group.addTask {
                        var i = c
                        while i < n {
                            try await store.commitSuccess(Fixtures.attempt(responses[i].jobId), response: responses[i])
                            i += callers
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let cpu = Self.cpuSeconds() - cpu0
        let stats = store.writerStats
        let txns = stats.transactions - stats0.transactions
        Self.report("commitSuccess synchronous=\(sync.rawValue), \(callers) callers, 128 tok x top-5", count: n, seconds: t)
        print("BENCH   \(txns) transactions (mean batch \((stats.operations - stats0.operations) / max(txns, 1))), "
              + "CPU \(Int(cpu * 1e6) / n) us per commit, wall \(Int(t * 1e6) / n) us per commit")
        #expect(try store.counts()["responses"] == n)

        var exported = 0
        t = try await Self.seconds {
            var after: Int64 = 0
            while true {
                let page = try store.responses(query: ResponseQuery(setName: "s", afterId: after, limit: 1000, includeLogprobs: true))
                guard let last = page.last else { break }
                exported += page.count
                after = last.id
            }
        }
        Self.report("export responses with logprobs", count: exported, seconds: t)
        #expect(exported == n)
    }

    @Test func createSweepHundredThousandJobs() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        let prompts = (0..<25_000).map { Fixtures.prompt($0) }
        _ = try store.importPrompts(setName: "s", prompts: prompts, sourceName: "bench")
        var summary: SweepSummary?
        var t = try await Self.seconds {
            summary = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 4)
        }
        Self.report("createSweep 25k prompts x 4 samples", count: summary?.totalJobs ?? 0, seconds: t)
        #expect(summary?.newJobs == 100_000)
        t = try await Self.seconds {
            summary = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 4)
        }
        Self.report("createSweep again (all existing)", count: summary?.totalJobs ?? 0, seconds: t)
        #expect(summary?.newJobs == 0)
        var claimed = 0
        t = try await Self.seconds {
            for _ in 0..<100 { claimed += try await store.claimJobs(sweepId: summary!.sweepId, owner: "x", limit: 64, leaseSeconds: 600).count }
        }
        Self.report("claimJobs 100 x 64 on a 100k sweep", count: claimed, seconds: t)
        t = try await Self.seconds { _ = try store.sweepStatuses() }
        Self.report("sweepStatuses over 100k jobs", count: 1, seconds: t)
    }
}

extension BenchTests {
    /// Where the CPU of one commit goes: HLP1 encoding on the caller, SQL on the writer, the COMMIT itself.
    @Test func commitCostBreakdown() async throws {
        let dir = TempDir()
        let n = 20_000, half = n / 2
        let store = try SQLiteStore(path: dir.db)
        _ = try store.importPrompts(setName: "s", prompts: (0..<n).map { Fixtures.prompt($0) }, sourceName: "bench")
        let sweepId = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1).sweepId
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "b", limit: n, leaseSeconds: 600)
        store.close()
        let lp = Fixtures.logprobs(count: 128, top: 5)
        let responses = jobs.map { Fixtures.response($0.id, content: String(repeating: "token ", count: 128), logprobs: lp) }
        var rows: [ResponseRow] = []
        var t = await Self.seconds { rows = responses.map(ResponseRow.init) }
        Self.report("caller side: ResponseRow (HLP1 encode, \(rows[0].logprobs!.count) bytes, split for HLP2)", count: n, seconds: t)

        let db = try SQLiteDatabase(path: dir.db, mode: .readWrite)
        try db.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536")
        let vocabulary = LogprobVocabularyWriter()
        vocabulary.attach(to: db)
        for withSavepoints in [false, true] {
            let part = withSavepoints ? rows[..<half] : rows[half...]
            t = try await Self.seconds {
                try db.execute("BEGIN IMMEDIATE")
                for r in part {
                    if withSavepoints { try db.cached("SAVEPOINT op").run() }
                    _ = try JobRows.commitSuccess(db, attempt: AttemptRow(Fixtures.attempt(r.jobId), outcome: .success), response: r, now: 0, vocabulary: vocabulary)
                    if withSavepoints { try db.cached("RELEASE op").run() }
                }
            }
            Self.report("writer side: commitSuccess SQL, savepoints \(withSavepoints)", count: part.count, seconds: t)
            t = try await Self.seconds { try db.execute("COMMIT") }
            Self.report("writer side: one COMMIT of those", count: part.count, seconds: t)
        }
    }
}
