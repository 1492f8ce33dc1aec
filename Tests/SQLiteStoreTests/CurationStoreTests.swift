import HarvestCore
@testable import SQLiteStore
import Testing

@Suite struct CurationStoreTests {
    /// Store with `n` answered prompts in set "s"; returns the store and the response ids.
    func filled(_ dir: TempDir, _ n: Int) async throws -> (SQLiteStore, [Int64]) {
        let (store, sweep) = try Fixtures.storeWithSweep(dir, prompts: n)
        for job in try await store.claimJobs(sweepId: sweep, owner: "t", limit: n, leaseSeconds: 60) {
            try await store.commitSuccess(Fixtures.attempt(job.id), response: Fixtures.response(job.id, content: "answer \(job.id)"))
        }
        let ids = try store.responses(query: ResponseQuery(setName: "s", limit: 100, includeLogprobs: false)).map(\.id)
        return (store, ids)
    }

    @Test func marksStateAndProgressRoundTrip() async throws {
        let dir = TempDir()
        let (store, ids) = try await filled(dir, 4)
        defer { store.close() }
        let commit = CurationCommit(
            setName: "s", config: "[]", startedAt: 1,
            marks: [CurationMarkRecord(responseId: ids[1], stage: "filter.length", reason: "too long", detail: "{\"characters\":9}", paramsFingerprint: "f1"),
                    CurationMarkRecord(responseId: ids[1], stage: "dedup.exact", reason: "dup", detail: "{}", paramsFingerprint: "e1"),
                    CurationMarkRecord(responseId: ids[2], stage: "dedup.exact", reason: "dup", detail: "{}", paramsFingerprint: "e1")],
            hashes: [CurationStateEntry(target: "response", ownerId: ids[0], bytes: Array(repeating: 7, count: 16), paramsFingerprint: "e1")],
            signatures: [CurationStateEntry(target: "prompt", ownerId: 1, bytes: [1, 2, 3, 4], paramsFingerprint: "n1")],
            progress: [CurationProgress(stage: "dedup.exact", paramsFingerprint: "e1", lastResponseId: ids[3])],
            counts: "{}", finishedAt: 2)
        let runId = try store.commitCuration(commit)
        let marks = try store.marks(responseId: ids[1])
        #expect(marks.map(\.stage) == ["dedup.exact", "filter.length"])
        #expect(marks.allSatisfy { $0.runId == runId })
        #expect(marks.last?.detail == "{\"characters\":9}")
        #expect(try store.curationState(setName: "s", fingerprint: "e1", signatures: false).map(\.bytes) == [Array(repeating: 7, count: 16)])
        #expect(try store.curationState(setName: "s", fingerprint: "n1", signatures: true).map(\.ownerId) == [1])
        #expect(try store.curationState(setName: "s", fingerprint: "other", signatures: true).isEmpty)
        #expect(try store.curationProgress(setName: "s") == [CurationProgress(stage: "dedup.exact", paramsFingerprint: "e1", lastResponseId: ids[3])])
        #expect(try store.curationCounts(setName: "s") == ["dedup.exact": 2, "filter.length": 1])
        #expect(try store.curationTotals(setName: "s") == (responses: 4, dropped: 2))
        #expect(try store.curationTotals(setName: nil, excludingStages: ["dedup.exact"]) == (responses: 4, dropped: 1))
        let kept = try store.responses(query: ResponseQuery(setName: "s", limit: 100, includeLogprobs: false, excludeMarked: true)).map(\.id)
        #expect(kept == [ids[0], ids[3]])

        // Replacing a stage deletes its marks, state and progress for the set.
        try store.commitCuration(CurationCommit(setName: "s", config: "[]", startedAt: 3, replaceStages: ["dedup.exact"]))
        #expect(try store.curationCounts(setName: "s") == ["filter.length": 1])
        #expect(try store.curationState(setName: "s", fingerprint: "e1", signatures: false).isEmpty)
        #expect(try store.curationProgress(setName: "s").isEmpty)
        #expect(try store.marks(responseId: ids[2]).isEmpty)
    }

    @Test func unknownSetIsReported() async throws {
        let dir = TempDir()
        let (store, _) = try await filled(dir, 1)
        defer { store.close() }
        #expect(throws: StoreError.self) { try store.commitCuration(CurationCommit(setName: "nope", config: "[]", startedAt: 0)) }
    }
}
