import HarvestCore
import Testing
@testable import SQLiteStore

@Suite struct ResponsesTests {
    /// Answers every job of the sweep; returns the job ids.
    static func answerAll(_ store: SQLiteStore, _ sweepId: Int64) async throws -> [Int64] {
        let jobs = try await store.claimJobs(sweepId: sweepId, owner: "a", limit: 10_000, leaseSeconds: 60)
        for job in jobs {
            try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "answer \(job.id)"))
        }
        return jobs.map(\.id)
    }

    @Test func paginationReturnsEveryRowExactlyOnce() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 20, samples: 2)
        let jobIds = try await Self.answerAll(store, sweepId)
        var seen: [Int64] = []
        var after: Int64 = 0
        var pages = 0
        while true {
            let page = try store.responses(query: ResponseQuery(sweepId: sweepId, afterId: after, limit: 7, includeLogprobs: false))
            if page.isEmpty { break }
            #expect(page.count <= 7)
            seen += page.map(\.jobId)
            after = page.last!.id
            pages += 1
        }
        #expect(pages == 6)
        #expect(seen.count == 40 && Set(seen) == Set(jobIds))
    }

    @Test func setSelectionUsesTheSetsIdsAndPicksTheLowestDuplicate() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.db)
        var b = Fixtures.prompt(0)
        b.externalId = "a-first"
        b.metadataJSON = "{\"dup\":true}"
        _ = try store.importPrompts(setName: "s", prompts: [Fixtures.prompt(0), b, Fixtures.prompt(1)], sourceName: "x")
        _ = try store.importPrompts(setName: "other", prompts: [Fixtures.prompt(1, text: "unrelated")], sourceName: "y")
        let sweep = try store.createSweep(name: "w", setName: "s", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1)
        #expect(sweep.totalJobs == 2)
        let other = try store.createSweep(name: "w2", setName: "other", teacher: Fixtures.teacher, params: Fixtures.params, samples: 1)
        _ = try await Self.answerAll(store, sweep.sweepId)
        _ = try await Self.answerAll(store, other.sweepId)

        let bySet = try store.responses(query: ResponseQuery(setName: "s", includeLogprobs: false))
        #expect(bySet.map(\.externalId) == ["a-first", "p1"])
        #expect(bySet[0].metadataJSON == "{\"dup\":true}")
        #expect(bySet[0].messages == Fixtures.prompt(0).messages)
        #expect(bySet[0].promptHash == PromptHash.hex(Fixtures.prompt(0).contentHash))
        #expect(bySet[0].teacher == Fixtures.teacher && bySet[0].params == Fixtures.params)

        let bySweep = try store.responses(query: ResponseQuery(sweepId: other.sweepId, includeLogprobs: false))
        #expect(bySweep.map(\.externalId) == ["p1"])
        #expect(bySweep.map(\.choice.content).allSatisfy { $0.hasPrefix("answer") })
        let all = try store.responses(query: ResponseQuery(includeLogprobs: false))
        #expect(all.count == 3 && all.allSatisfy { $0.externalId == nil })

        #expect(throws: StoreError.self) { try store.responses(query: ResponseQuery(setName: "missing", includeLogprobs: false)) }
        #expect(throws: StoreError.self) { try store.responses(query: ResponseQuery(sweepId: 99, includeLogprobs: false)) }
    }
}
